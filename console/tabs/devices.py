"""The guide's Devices tab: every device of the site (or block) with its doors and its
health live from the gateway, and a remote opening of a door from the desk. With Devices
Create/Modify: add, modify and remove devices (console.screens.device_form) and restart
an OSDP reader's session.

Health is painted cell by cell: a device report changes its Health, Last seen and
Counters cells only (no reload); a change saved elsewhere reloads the list.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable, Static

from console.live import LiveBatch
from console.screens.device_detail import (
    TYPE_LABELS,
    DeviceDetailScreen,
    DoorPickScreen,
    counters_text,
    doors_cell,
    health_text,
    last_seen_text,
)
from console.tabs.base import SiteTab
from console.widgets.columns import Col, fit, shown
from console.widgets.form import ConfirmScreen
from console.widgets.guard import attempt
from console.widgets.paged_table import RowTable
from console.widgets.plain import plain
from core.errors import DoorkeeperError
from core.model import DeviceType
from core.rights import Action, Area
from core.services.devices import delete_device
from core.text import safe_text
from core.views.blocks import block_rows
from core.views.devices import device_rows
from core.views.rows import DeviceRow

#: (column key, heading, priority: console.widgets.columns); Device and Health are
#: always shown, the others give way on a narrow terminal, the least needed first (what
#: gives way is in the device's detail: Enter)
COLUMNS = (("device", "Device", 0), ("type", "Type", 2), ("health", "Health", 0),
           ("seen", "Last seen", 1), ("block", "Block", 4), ("doors", "Door(s)", 3),
           ("parent", "Wired to", 6), ("gsm", "GSM AP", 7), ("counters", "Counters", 5))
COLS = [Col(heading, priority) for _, heading, priority in COLUMNS]
#: seconds between two repaints of "12 s ago"
TICK = 1.0


class DevicesTab(SiteTab):
    """The guide's Devices tab."""

    area = Area.DEVICES
    title = "Devices"

    BINDINGS = [
        Binding("o", "open_door", "Open door", tooltip="Open a door of this device remotely"),
        Binding("i", "details", "Details", tooltip="The device in full (Enter too)"),
        Binding("n", "add", "Add device", tooltip="Commission a device on this site"),
        Binding("e", "modify", "Modify", tooltip="Modify the device, its doors and settings"),
        Binding("d", "remove", "Remove", tooltip="Remove the device (refused while in use)"),
        Binding("r", "restart_reader", "Restart reader",
                tooltip="Start the OSDP reader's session again (ID, CAP, Secure Channel)"),
    ]
    DEFAULT_CSS = """
    DevicesTab #devices-summary { height: 1; padding: 0 1; color: $text-muted; }
    DevicesTab #devices-table { height: 1fr; }
    """

    def __init__(self, ctx, **kwargs) -> None:
        super().__init__(ctx, **kwargs)
        self.rows: list[DeviceRow] = []
        self.health: dict[int, dict] = {}  # device id -> the gateway's latest report
        self.tz = ZoneInfo("UTC")
        self._painted: dict[tuple[int, str], str] = {}
        #: the columns shown at the tab's width (every one until it is measured)
        self.keys: list[str] = [key for key, _, _ in COLUMNS]

    def compose(self) -> ComposeResult:
        yield Static("", id="devices-summary")
        yield RowTable(id="devices-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self._add_columns()
        self.set_interval(TICK, self._tick)

    def _add_columns(self) -> None:
        table = self.table
        for key, heading, _ in COLUMNS:
            if key in self.keys:
                table.add_column(heading, key=key)

    def _cells(self, row: DeviceRow) -> dict[str, Text]:
        state = self.health.get(row.id)
        return {"device": plain(row.name), "type": plain(TYPE_LABELS.get(row.type, row.type)),
                "health": health_text(state),
                "seen": plain(last_seen_text(state, self.ctx.actor.now(), self.tz)),
                "block": plain(row.block or "—", "dim" if not row.block else ""),
                "doors": doors_cell(row), "parent": plain(row.parent),
                "gsm": Text("✓" if row.gsm_access_point else ""),
                "counters": plain(counters_text(state))}

    def _keys_for(self, cells: list[dict[str, Text]]) -> list[str]:
        """The columns to show at the tab's width, the most needed first."""
        if self.size.width <= 0 or not cells:  # not laid out yet: every column
            return [key for key, _, _ in COLUMNS]
        natural = [max([len(heading)] + [c[key].cell_len for c in cells])
                   for key, heading, _ in COLUMNS]
        widths = fit(natural, COLS, self.size.width - 2)  # the table's scrollbar
        return [COLUMNS[i][0] for i in shown(widths)]

    async def on_resize(self) -> None:
        if self.rows and self._keys_for([self._cells(r) for r in self.rows]) != self.keys:
            await self.reload()

    @property
    def table(self) -> DataTable:
        return self.query_one("#devices-table", DataTable)

    @property
    def current(self) -> DeviceRow | None:
        """The device under the cursor (none before the tab is first shown)."""
        if not self.is_mounted:
            return None
        row = self.table.cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    @property
    def focus_target(self) -> Widget:
        return self.table

    # --- loading ----------------------------------------------------------------------
    async def reload(self) -> None:
        """Read the site's (block's) devices and paint them with the health known."""
        if self.site_id is None:
            return
        rows = await self.ctx.view(device_rows, self.site_id, self.block_id)
        try:
            self.tz = ZoneInfo(self.ctx.site(self.site_id).timezone)
        except Exception:  # an unknown zone name: show UTC rather than fail
            self.tz = ZoneInfo("UTC")
        if self.ctx.live is not None:
            self.health.update(self.ctx.live.device_states())
        table = self.table
        was = self.current.id if self.current else None
        self.rows = rows
        all_cells = [self._cells(row) for row in rows]
        keys = self._keys_for(all_cells)
        table.clear(columns=keys != self.keys)
        if keys != self.keys:
            self.keys = keys
            self._add_columns()
        self._painted = {}
        for row, cells in zip(rows, all_cells, strict=True):
            self._painted.update({(row.id, k): cells[k].plain
                                  for k in ("health", "seen", "counters")})
            table.add_row(*(cells[k] for k in self.keys), key=str(row.id))
        index = next((i for i, r in enumerate(rows) if r.id == was), 0)
        if rows:
            table.move_cursor(row=index, animate=False)
        self._summary()
        self.refresh_bindings()

    def _summary(self) -> None:
        """"17 devices · 15 online · 1 offline · 1 unknown"."""
        online = sum(1 for r in self.rows if (self.health.get(r.id) or {}).get("online") is True)
        offline = sum(1 for r in self.rows
                      if (self.health.get(r.id) or {}).get("online") is False)
        unknown = len(self.rows) - online - offline
        parts = [f"{len(self.rows)} device{'s' if len(self.rows) != 1 else ''}",
                 f"{online} online", f"{offline} offline"]
        if unknown:
            parts.append(f"{unknown} unknown")
        if self.ctx.live is None:
            parts.append("no gateway: health unknown")
        self.query_one("#devices-summary", Static).update(" · ".join(parts))

    # --- live -------------------------------------------------------------------------
    async def live(self, batch: LiveBatch) -> None:
        """New health repaints only its cells; a change saved elsewhere reloads."""
        self.health.update(batch.devices)
        if batch.changed:
            await self.refresh_tab()
        elif batch.devices:
            self._paint(batch.devices)

    def live_hidden(self, batch: LiveBatch) -> None:
        self.health.update(batch.devices)
        super().live_hidden(batch)

    async def show(self) -> None:
        """Shown again: reload if stale, else bring the health painted up to date."""
        await super().show()
        self._paint(self.health)

    def _paint(self, device_ids) -> None:
        """Update the health cells of these devices that changed (no full redraw)."""
        known = {r.id for r in self.rows}
        ids = [i for i in device_ids if i in known]
        if not ids:
            return
        now = self.ctx.actor.now()
        table = self.table
        for device_id in ids:
            state = self.health.get(device_id)
            cells = {"health": health_text(state), "seen": plain(last_seen_text(state, now,
                                                                                self.tz)),
                     "counters": plain(counters_text(state))}
            for column, cell in cells.items():
                if column in self.keys and self._painted.get((device_id, column)) != cell.plain:
                    self._painted[(device_id, column)] = cell.plain
                    table.update_cell(str(device_id), column, cell,
                                      update_width=column in ("health", "counters"))
        self._summary()

    def _tick(self) -> None:
        """Keep "12 s ago" true while the tab is in view."""
        if self.shown and self.rows and self.screen is self.app.screen:
            self._paint([r.id for r in self.rows if r.id in self.health])

    # --- actions ----------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Open door only with Devices consult on the site and a door to open (False
        hides the key from the footer and the palette)."""
        if action == "open_door":
            row = self.current
            return self.can() and row is not None and bool(row.opens)
        if action == "details":
            return self.current is not None
        if action in ("add", "modify", "remove", "restart_reader"):
            row = self.current
            if not self.can(Action.MODIFY):
                return False
            if action == "restart_reader":
                return row is not None and row.type is DeviceType.READER and bool(row.bus)
            return action == "add" or row is not None
        return True

    @on(DataTable.RowHighlighted, "#devices-table")
    def _moved(self) -> None:
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#devices-table")
    def _selected(self) -> None:
        self.action_details()

    def action_details(self) -> None:
        """The device in full."""
        row = self.current
        if row is not None:
            self.app.push_screen(DeviceDetailScreen(row, self.health.get(row.id),
                                                    self.ctx.actor.now(), self.tz))

    def action_open_door(self) -> None:
        """Pick the door, confirm, and ask the gateway to open it."""
        row = self.current
        if row is None or not row.opens or not self.can():
            return
        self.run_worker(attempt(self, self._open_door(row)), group="open-door", exclusive=True)

    def action_add(self) -> None:
        self.run_worker(attempt(self, self._edit(None)), group="setup-form", exclusive=True)

    def action_modify(self) -> None:
        if self.current is not None:
            self.run_worker(attempt(self, self._edit(self.current)), group="setup-form",
                            exclusive=True)

    async def _edit(self, row: DeviceRow | None) -> None:
        from console.screens.device_form import device_form

        site_id = self.site_id
        if site_id is None or not self.can(Action.MODIFY):
            return
        blocks = ([(b.id, b.name) for b in await self.ctx.view(block_rows, site_id)]
                  if self.ctx.can(site_id, Area.BLOCKS) else [])
        units = [r for r in await self.ctx.view(device_rows, site_id)
                 if r.type is DeviceType.CONTROL_UNIT]
        saved = await self.app.push_screen_wait(
            device_form(self.ctx, site_id, row, blocks, units, self.block_id))
        if saved:
            await self.refresh_tab()
            self.notify(safe_text(f"{saved.name} saved."), markup=False)

    def action_remove(self) -> None:
        row = self.current
        if row is not None and self.can(Action.MODIFY):
            self.run_worker(attempt(self, self._remove(row)), group="setup-form",
                            exclusive=True)

    async def _remove(self, row: DeviceRow) -> None:
        if not await self.app.push_screen_wait(ConfirmScreen(f"Remove {row.name}?",
                                                             yes="Remove")):
            return
        try:
            await self.ctx.change(delete_device, row.id)
        except DoorkeeperError as err:
            self.notify(safe_text(err.message), title="Not removed", severity="error",
                        markup=False)
            return
        await self.refresh_tab()
        self.notify(safe_text(f"{row.name} removed."), markup=False)

    def action_restart_reader(self) -> None:
        row = self.current
        if row is not None and self.check_action("restart_reader", ()):
            self.run_worker(attempt(self, self._restart(row)), group="device-command",
                            exclusive=True)

    async def _restart(self, row: DeviceRow) -> None:
        try:
            await self.ctx.commander.request({"type": "restart_reader", "device_id": row.id})
        except DoorkeeperError as err:
            self.notify(safe_text(err.message), title="Reader not restarted",
                        severity="error", markup=False)
            return
        self.notify(safe_text(f"{row.name}: session started again"), markup=False)

    async def _open_door(self, row: DeviceRow) -> None:
        door = row.opens[0]
        if len(row.opens) > 1:
            door = await self.app.push_screen_wait(DoorPickScreen(row.name, row.opens))
            if door is None:
                return
        question = f"Open {door.name} for {door.open_seconds} s?"
        if not await self.app.push_screen_wait(ConfirmScreen(question, yes="Open")):
            return
        try:
            await self.ctx.commander.request({"type": "open_door", "door_id": door.id})
        except DoorkeeperError as err:
            self.notify(safe_text(err.message), title="Door not opened", severity="error",
                        markup=False)
            return
        self.notify(safe_text(f"{door.name} opened for {door.open_seconds} s"), markup=False)
