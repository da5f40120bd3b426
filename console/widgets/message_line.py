"""A tab's or a screen's message line: what was just done, or why it was refused.

A message belongs to where it was said: the line clears itself after SHOWN_S seconds,
and its owner clears it as soon as the operator moves on (another tab of the main
screen, another tab of Flat management); a screen's line goes with its screen. So a
refusal never stays under a list it no longer concerns (issue 19: one stayed for
minutes across tab changes)."""

from __future__ import annotations

from textual.timer import Timer
from textual.widgets import Static

from console.widgets.plain import plain

#: how long a message stays when nothing else clears it
SHOWN_S = 10.0


class MessageLine(Static):
    """One line of plain text, red for a refusal; empty when there is nothing to say."""

    DEFAULT_CSS = """
    MessageLine { height: auto; }
    MessageLine.-error { color: $error; }
    """

    _timer: Timer | None = None

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)

    @property
    def message(self) -> str:
        """What the line says now ("" when clear)."""
        return str(self.render())

    def say(self, message: str = "", error: bool = False) -> None:
        """Show the message (plain text) until SHOWN_S has passed or the owner moves on."""
        self._stop_timer()
        self.update(plain(message))
        self.set_class(error and bool(message), "-error")
        if message:
            self._timer = self.set_timer(SHOWN_S, self.clear)

    def clear(self) -> None:
        """Nothing to say any more."""
        self._stop_timer()
        self.update("")
        self.remove_class("-error")

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
