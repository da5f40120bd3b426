"""Rows of the Events tab's log: the fields of a row, the colour of each result, a
published (live) event turned into a row like the stored ones, and the log's table."""

from __future__ import annotations

from datetime import datetime

from textual.binding import Binding
from textual.message import Message

from console.widgets.log_table import LogTable
from core.model import EventResult

#: the fields of a row of the log (as store.queries.event_page gives them)
ROW_KEYS = ("id", "at", "site_id", "kind", "result", "device_id", "block_id", "flat_id",
            "credential", "name", "reason", "description")
RESULT_STYLES = {
    EventResult.OPENING.value: "green",
    EventResult.OPENING_DENIED.value: "red",
    EventResult.COMMUNICATION_NOT_COMPLETED.value: "yellow",
    EventResult.ALARM.value: "bold red",
    EventResult.INFORMATION.value: "",
}


def live_row(event: dict) -> dict | None:
    """A published event as a row of the log (None if it is malformed)."""
    try:
        at = datetime.fromisoformat(event["at"])
    except (KeyError, TypeError, ValueError):
        return None
    row = {key: event.get(key) for key in ROW_KEYS}
    row.update(at=at, id=event.get("id"))
    for key in ("kind", "result", "credential", "name", "reason", "description"):
        row[key] = str(row[key] or "")
    return row


class EventTable(LogTable[dict]):
    """The log: Home goes to the newest event (and fetches what came meanwhile)."""

    BINDINGS = [Binding("home", "newest", "Newest", show=False),
                Binding("ctrl+home", "newest", "Newest", show=False)]

    class Newest(Message):
        """The operator went back to the top."""

    def action_newest(self) -> None:
        self.move_cursor(row=0, animate=False)
        self.scroll_x = 0
        self.post_message(self.Newest())
