"""The Displays tab: the names programmed on the site's panels. A panel shows the
names of its block's flats, so the list runs block by block (or one panel's block),
each name with its call code, flat, profile, call chain and auto-opening. Enter opens
the name's flat; the quota line reads "Names programmed 1,821 / 2,200"."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import DataTable, Select, Static

from console.tabs.base import SiteTab
from console.widgets.columns import Col
from console.widgets.paged_table import PagedTable
from console.widgets.plain import cut, plain
from core.phones import display_phone
from core.rights import Action, Area
from core.views.blocks import site_header
from core.views.devices import display_page, site_panels
from core.views.list_exports import displays_export
from core.views.rows import DisplayRow, PanelRow

#: the first number of a call chain and its ring time: "02079460123 GB (20 s)"
CHAIN_MIN = 24
#: narrow, the profile goes first, then the block and auto-opening: the call chain stays,
#: cut with "…" down to its first number (whole in the row) rather than left out, which
#: would leave out every column after it too (columns.fit stops at the first that does
#: not fit)
COLUMNS = (Col("Display name"), Col("Call code", 2), Col("Flat N°"),
           Col("Call chain", 1, CHAIN_MIN),
           Col("Auto-opening", 3), Col("Block", 4), Col("Access profile", 5))


def call_chain_text(row: DisplayRow) -> Text:
    """ "07546277360 GB (20 s) → 07700900123 GB (20 s)"; hardwired names say so."""
    if not row.call_chain:
        return Text("Hardwired / no telephone N°" if row.hardwired else "—", style="dim")
    text = Text(no_wrap=True)
    for i, link in enumerate(row.call_chain):
        if i:
            text.append(" → ", style="dim")
        text.append(plain(display_phone(link.value, link.country)))
        text.append(f" ({link.ring_seconds} s)", style="dim")
    return text


def display_cells(row: DisplayRow) -> tuple[Text, ...]:
    """A name in the tab's columns, every value shown literally."""
    auto = plain(row.auto_open) if row.auto_open else Text("Never", style="dim")
    return (plain(row.display_name, "bold"), plain(row.call_code), plain(row.flat_number),
            call_chain_text(row), auto, cut(row.block, 20),
            cut(row.access_profile, 24))


def panel_options(panels: list[PanelRow]) -> list[tuple[Text, int]]:
    """One option per block with panels: "Panel Block C · Block C - TOUCH"."""
    by_block: dict[int, tuple[str, list[str]]] = {}
    for panel in panels:
        if panel.block_id is not None:
            by_block.setdefault(panel.block_id, (panel.block, []))[1].append(panel.name)
    options = []
    for block_id, (block, names) in by_block.items():
        label = plain(", ".join(names))
        label.append(" · ")
        label.append(plain(block))
        options.append((label, block_id))
    return options


class DisplaysTab(SiteTab):
    """The guide's Displays tab."""

    area = Area.RESIDENTS_DISPLAYS
    title = "Displays"

    DEFAULT_CSS = """
    DisplaysTab #dp-bar { height: 3; }
    DisplaysTab #dp-panel { width: 1fr; max-width: 60; }
    DisplaysTab #dp-quota { width: auto; padding: 1 1 0 1; }
    DisplaysTab #dp-table { height: 1fr; }
    """

    BINDINGS = [
        Binding("p", "next_panel", "Panel"),
        Binding("o", "open_flat", "Open flat"),
        Binding("x", "export", "Export", tooltip="These names to XLSX, CSV or PDF"),
    ]

    def __init__(self, ctx, **kwargs) -> None:
        super().__init__(ctx, **kwargs)
        self.panel_block: int | None = None  # the block whose panels are chosen
        self.panel_blocks: list[int] = []
        self._options_for: tuple | None = None
        self._loaded_for: tuple | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="dp-bar"):
            yield Select([], prompt="All panels of the site", id="dp-panel")
            yield Static("", id="dp-quota")
        yield PagedTable(COLUMNS, fetch=self._fetch, cells=display_cells,
                         key=lambda r: r.key, id="dp-table")

    @property
    def table(self) -> PagedTable[DisplayRow]:
        return self.query_one("#dp-table", PagedTable)

    @property
    def focus_target(self) -> Widget:
        """Focus goes to the list."""
        return self.table

    async def _fetch(self, after: tuple | None, limit: int) -> list[DisplayRow]:
        if self.site_id is None:
            return []
        return await self.ctx.view(display_page, self.site_id, block_id=self.panel_block,
                                   after=after, limit=limit)

    async def reload(self) -> None:
        """Panels, quota line and the names (the cursor stays on a refresh)."""
        select = self.query_one("#dp-panel", Select)
        if self._options_for != (self.site_id, self.block_id):
            self._options_for = (self.site_id, self.block_id)
            options = panel_options(await self.ctx.view(site_panels, self.site_id))
            self.panel_blocks = [value for _, value in options]
            self.panel_block = self.block_id
            with select.prevent(Select.Changed):
                select.set_options(options)
                if self.block_id in self.panel_blocks:
                    select.value = self.block_id
        wanted = (self.site_id, self.panel_block)
        await self.table.load(keep_cursor=wanted == self._loaded_for)
        self._loaded_for = wanted
        header = await self.ctx.view(site_header, self.site_id)
        used, quota = header.usage.get("panel_names", 0), header.quotas.get("panel_names", 0)
        self.query_one("#dp-quota", Static).update(Text(
            f"Names programmed {used:,} / {quota:,}",
            style="bold red" if quota and used >= quota else ""))

    @on(Select.Changed, "#dp-panel")
    async def _panel_changed(self, event: Select.Changed) -> None:
        block = None if event.value is Select.NULL else event.value
        if block != self.panel_block:
            self.panel_block = block
            await self.refresh_tab()

    def action_next_panel(self) -> None:
        """Cycle all panels → each block's panels."""
        select = self.query_one("#dp-panel", Select)
        values: list[int | None] = [None, *self.panel_blocks]
        at = values.index(self.panel_block) if self.panel_block in values else 0
        following = values[(at + 1) % len(values)]
        select.value = Select.NULL if following is None else following

    @on(DataTable.RowSelected, "#dp-table")
    async def _row_selected(self) -> None:
        await self.action_open_flat()

    async def action_open_flat(self) -> None:
        """Go to the flat of the name under the cursor."""
        row = self.table.current
        if row is None:
            self.notify("No display selected.", severity="warning")
            return
        await self.app.main.open_flat(self.site_id, row.block_id, row.flat_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            return self.site_id is not None and self.can(Action.CONSULT, Area.EXPORT)
        return True

    async def action_export(self) -> None:
        """The names listed (the panels' block chosen) to a file in the export folder."""
        site, block = self.site_id, self.panel_block
        if site is None:
            return
        from console.screens.export_progress import open_list_export
        await open_list_export(self, "displays", "the names on the panels",
                               lambda: self.ctx.view(displays_export, site, block_id=block))
