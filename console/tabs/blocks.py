"""The Blocks tab: the site's blocks (Block, Flat(s), Device(s), APass(es), Notes, and
a Total row); Enter on a block lists its flats in the guide's columns, a page at a time
(Block C's 1,998 flats open at once; narrow, the least needed columns give way); Enter on a
flat opens FLAT MANAGEMENT. Adding, modifying and deleting need the Blocks or Flats right (else the keys are hidden;
the services refuse anyway). `i`: import flats (screens/import_flats.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable, Static

from console.context import ConsoleContext
from console.screens.block_forms import add_flats_form, block_form
from console.screens.flat import FlatScreen
from console.screens.import_flats import ImportFlatsKey
from console.tabs.base import SiteTab
from console.widgets.cells import passes_cell, phone_cell
from console.widgets.chrome import SiteHeaderBar, SiteTree
from console.widgets.columns import Col
from console.widgets.form import ConfirmScreen
from console.widgets.guard import attempt, guarded
from console.widgets.message_line import MessageLine
from console.widgets.paged_table import PagedTable, TotalledTable
from console.widgets.plain import plain
from core.errors import DoorkeeperError
from core.rights import Action, Area
from core.services.blocks import delete_block
from core.services.flats import delete_flat
from core.views import blocks as views
from core.views.rows import BlockRow, FlatRow

if TYPE_CHECKING:
    from core.model import Block

#: the guide's columns and the field each shows (a field the operator may not consult: left out)
BLOCK_COLUMNS = (("Block", None), ("Flat(s)", None), ("Device(s)", "devices"),
                 ("APass(es)", "passes"), ("Notes", None))
#: narrow, the last priority goes first (Flat management shows all): N°, name, telephones stay
FLAT_COLUMNS = ((Col("Flat N°"), None), (Col("Flat"), None), (Col("Access Passes", 2), "passes"),
                (Col("Display", 3), "display"), (Col("Direct call code", 5), "call_code"),
                (Col("Telephone N° / Email", 1), "telephones"),
                (Col("Keypad code", 4), "keypad_code"), (Col("Notes", 6), None))
TOTAL = "total"
#: open_flat pages this far at most to put the cursor on the flat it opens
FIND_PAGES = 25


class FlatsTable(PagedTable[FlatRow]):
    """A block's flats."""


class BlocksTab(ImportFlatsKey, SiteTab):
    """The guide's Blocks tab, and a block's flats."""

    area = Area.BLOCKS
    title = "Blocks"

    DEFAULT_CSS = """
    BlocksTab #blocks-caption { height: 1; padding: 0 1; text-style: bold; }
    BlocksTab DataTable { height: 1fr; }
    BlocksTab #blocks-status { padding: 0 1; }
    """

    BINDINGS = [
        Binding("n", "add_block", "Add a block"),
        Binding("e", "modify_block", "Modify block"),
        Binding("d", "delete_block", "Delete block"),
        Binding("g", "goto_flat", "Go to Flat N°"),
        Binding("i", "import_flats", "Import flats"),
        Binding("x", "export_flats", "Export flats"),
        Binding("n", "add_flats", "Add flats"),
        Binding("e", "open_current", "Flat management"),
        Binding("d", "delete_flat", "Delete flat"),
        Binding("escape", "back", "Blocks"),
        Binding("backspace", "back", "Blocks", show=False),
    ]

    def __init__(self, ctx: ConsoleContext, **kwargs: Any) -> None:
        super().__init__(ctx, **kwargs)
        self.blocks: list[BlockRow] = []
        self._loaded_block: int | None = None
        self._columns_of: int | None = None  # the site whose rights set the columns

    def compose(self) -> ComposeResult:
        yield Static("", id="blocks-caption")
        yield TotalledTable(id="blocks-table", cursor_type="row", zebra_stripes=True)
        yield FlatsTable([col for col, _ in FLAT_COLUMNS], id="flats-table",
                         fetch=self._fetch_flats,
                         cells=self._flat_cells, key=lambda row: row.number)
        yield MessageLine(id="blocks-status")

    def on_mount(self) -> None:
        self.query_one("#flats-table").display = False

    def _set_columns(self, site_id: int) -> None:
        """The columns the operator may consult on the site (they differ between sites)."""
        if self._columns_of != site_id:
            self._columns_of = site_id
            gone = views.hidden(self.ctx.viewer, site_id, views.BLOCK_PARTS)
            self.blocks_table.clear(columns=True)
            self.blocks_table.add_columns(*(lb for lb, part in BLOCK_COLUMNS if part not in gone))
            gone = views.hidden(self.ctx.viewer, site_id, views.FLAT_PARTS)
            self.flats_table.set_columns([col for col, part in FLAT_COLUMNS if part not in gone])

    # --- what is shown ----------------------------------------------------------------
    @property
    def blocks_table(self) -> DataTable:
        return self.query_one("#blocks-table", DataTable)

    @property
    def flats_table(self) -> FlatsTable:
        return self.query_one("#flats-table", FlatsTable)

    @property
    def in_block(self) -> bool:
        """Whether a block's flats are shown (else the list of blocks)."""
        return self.block_id is not None

    @property
    def focus_target(self) -> Widget:
        return self.flats_table if self.in_block else self.blocks_table

    async def reload(self) -> None:
        """The blocks (with counts), or the shown block's flats, keeping the cursor."""
        if self.site_id is None:
            return
        self._set_columns(self.site_id)
        self.blocks = await self.ctx.view(views.block_rows, self.site_id)
        if self.in_block and not any(b.id == self.block_id for b in self.blocks):
            self.block_id = None  # deleted meanwhile
        if self.in_block:
            same = self._loaded_block == self.block_id
            self._loaded_block = self.block_id
            await self.flats_table.load(keep_cursor=same)
        else:
            self._loaded_block = None
            self._fill_blocks()
        # switched once the rows are in: no frame is drawn of a half-loaded table
        self.blocks_table.display = not self.in_block
        self.flats_table.display = self.in_block
        self._caption()
        self.refresh_bindings()

    def _fill_blocks(self) -> None:
        table = self.blocks_table
        at = table.cursor_row
        table.clear()
        counts = [c for c in ("flats", "devices", "passes")
                  if self.blocks and getattr(self.blocks[0], c) is not None]
        for b in self.blocks:
            table.add_row(plain(b.name), *(Text(f"{getattr(b, c):,}") for c in counts),
                          plain(b.notes), key=str(b.id))
        if self.blocks:
            total = (sum(getattr(b, c) for b in self.blocks) for c in counts)
            table.add_row(Text("Total", style="bold"),
                          *(Text(f"{n:,}", style="bold") for n in total), Text(""),
                          key=TOTAL)
            table.move_cursor(row=min(max(at, 0), len(self.blocks) - 1), animate=False)

    def _caption(self) -> None:
        block = self.block
        if block is None:
            site = self.ctx.site(self.site_id).name
            text = plain(site, "bold")
            text.append(f" · {len(self.blocks)} block(s)  ")
        else:
            text = plain(block.name, "bold")
            text.append(f" · {block.flats:,} flats")
            if block.passes is not None:
                text.append(f" · {block.passes:,} APasses")
            text.append("  ")
            text.append("Esc: blocks", style="dim")
        self.query_one("#blocks-caption", Static).update(text)

    @property
    def block(self) -> BlockRow | None:
        """The block whose flats are shown."""
        return next((b for b in self.blocks if b.id == self.block_id), None)

    @property
    def current_block(self) -> BlockRow | None:
        """The block under the cursor of the blocks list (not the Total row)."""
        row = self.blocks_table.cursor_row
        return self.blocks[row] if not self.in_block and 0 <= row < len(self.blocks) else None

    async def _fetch_flats(self, after: str | None, limit: int) -> list[FlatRow]:
        if self.block_id is None:
            return []
        return await self.ctx.view(views.flat_page, self.site_id, self.block_id, after, limit)

    def _flat_cells(self, row: FlatRow) -> tuple[Text, ...]:
        country = self.ctx.site(self.site_id).default_country
        cells: list[Text] = [plain(row.number), plain(row.name)]
        if row.passes is not None:
            cells.append(passes_cell(row.passes))
        if row.display is not None:
            cells += [plain(row.display), plain(row.call_code or "")]
        if row.telephones is not None:
            cells.append(Text(" ").join(phone_cell(p, country) for p in row.telephones))
        if row.keypad_code is not None:
            cells.append(plain(f"Main door : {row.keypad_code}" if row.keypad_code else ""))
        cells.append(plain(row.notes))
        return tuple(cells)

    def say(self, message: str = "", error: bool = False) -> None:
        """The tab's message line: why a change was refused, or what was done."""
        self.query_one(MessageLine).say(message, error)

    # --- keys ----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        block_actions = {"add_block", "modify_block", "delete_block"}
        flat_actions = {"add_flats", "delete_flat"}
        if action in block_actions:
            if self.in_block or not self.can(Action.MODIFY, Area.BLOCKS):
                return False
            return True if action == "add_block" or self.current_block else None
        if action in flat_actions:
            if not self.in_block or not self.can(Action.MODIFY, Area.FLATS):
                return False
            return True if action == "add_flats" or self.flats_table.current else None
        if action == "open_current":
            return self.in_block and self.can(Action.CONSULT, Area.FLATS)
        if action == "goto_flat":
            return not self.in_block and self.can(Action.CONSULT, Area.FLATS) and (
                True if self.current_block else None)
        if action == "back":
            return self.in_block
        if action in ("import_flats", "export_flats"):
            return self.flats_transfer(action)
        return True

    @on(DataTable.RowSelected, "#blocks-table")
    async def _block_chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value != TOTAL:
            await self.show_block(int(event.row_key.value))

    @on(DataTable.RowSelected, "#flats-table")
    def _flat_chosen(self) -> None:
        self.action_open_current()

    async def show_block(self, block_id: int | None) -> None:
        """List a block's flats (None: back to the blocks)."""
        self.block_id = block_id
        self.say()
        await self.refresh_tab()
        await self._refresh_header()
        self.focus()

    async def action_back(self) -> None:
        back_to = self.block_id
        await self.show_block(None)
        row = next((i for i, b in enumerate(self.blocks) if b.id == back_to), 0)
        self.blocks_table.move_cursor(row=row, animate=False)

    # --- blocks --------------------------------------------------------------------------
    @work(exclusive=True, group="blocks-form")
    @guarded
    async def action_add_block(self) -> None:
        await self._block_form(None)

    @work(exclusive=True, group="blocks-form")
    @guarded
    async def action_modify_block(self) -> None:
        row = self.current_block
        if row is not None:
            try:
                block = await self.ctx.view(views.block, self.site_id, row.id)
            except DoorkeeperError as err:
                self.say(err.message, error=True)
                return
            await self._block_form(block)

    async def _block_form(self, block: Block | None) -> None:
        profiles = await self.ctx.view(views.site_profiles, self.site_id)
        saved = await self.app.push_screen_wait(
            block_form(self.ctx, self.site_id, profiles, block))
        if saved:
            await self._changed_blocks(f"{saved.name} saved.")

    @work(exclusive=True, group="blocks-form")
    @guarded
    async def action_delete_block(self) -> None:
        row = self.current_block
        if row is None or not await self.app.push_screen_wait(
                ConfirmScreen(f"Delete block {row.name}?", yes="Delete")):
            return
        try:
            await self.ctx.change(delete_block, row.id)
        except DoorkeeperError as err:
            self.say(err.message, error=True)
            return
        await self._changed_blocks(f"{row.name} deleted.")

    async def _changed_blocks(self, message: str) -> None:
        await self.reload()
        await self._refresh_tree()
        await self._refresh_header()
        self.say(message)

    # --- flats ---------------------------------------------------------------------------
    @work(exclusive=True, group="blocks-form")
    @guarded
    async def action_add_flats(self) -> None:
        block = self.block
        if block is None:
            return
        first = await self.ctx.view(views.next_flat_number, self.site_id, block.id)
        made = await self.app.push_screen_wait(
            add_flats_form(self.ctx, block.id, block.name, first))
        if made:
            await self.reload()
            await self._refresh_header()
            self.say(f"{len(made)} flat(s) added to {block.name}: "
                     f"{made[0].number} to {made[-1].number}.")

    @work(exclusive=True, group="blocks-form")
    @guarded
    async def action_delete_flat(self) -> None:
        row = self.flats_table.current
        if row is None or not await self.app.push_screen_wait(ConfirmScreen(
                f"Delete flat {row.number} {row.name} with its telephones and panel "
                "displays?", yes="Delete")):
            return
        try:
            await self.ctx.change(delete_flat, row.id)
        except DoorkeeperError as err:
            self.say(err.message, error=True)
            return
        await self.reload()
        await self._refresh_header()
        self.say(f"Flat {row.number} deleted.")

    def action_open_current(self) -> None:
        row = self.flats_table.current
        if row is not None and self.in_block and self.can(Action.CONSULT, Area.FLATS):
            self.run_worker(attempt(self, self._open(row.id)), group="flat", exclusive=True)

    @work(exclusive=True, group="setup-form")
    async def action_goto_flat(self) -> None:
        from console.screens.goto_flat import go_to_flat
        await go_to_flat(self)

    async def open_flat(self, flat_id: int) -> None:
        """Show the flat's block with the cursor on it, and open its FLAT MANAGEMENT."""
        try:
            _, block_id = await self.ctx.view(views.flat_place, flat_id)
        except DoorkeeperError as err:
            self.say(err.message, error=True)
            return
        if block_id != self.block_id or self._loaded_block != block_id:
            await self.show_block(block_id)
        table = self.flats_table
        for _ in range(FIND_PAGES):
            row = next((i for i, r in enumerate(table.rows_held) if r.id == flat_id), None)
            if row is not None:
                table.move_cursor(row=row, animate=False)
                break
            if not await table.more():
                break
        await self._open(flat_id)

    async def _open(self, flat_id: int) -> None:
        try:
            detail = await self.ctx.view(views.flat_detail, flat_id)
        except DoorkeeperError as err:
            self.say(err.message, error=True)
            return
        self.app.push_screen(FlatScreen(self.ctx, detail), callback=self._after_flat)

    async def _after_flat(self, _result: object) -> None:
        await self.flats_table.load(keep_cursor=True)
        self.blocks = await self.ctx.view(views.block_rows, self.site_id)
        self._caption()
        await self._refresh_header()
        self.focus()

    # --- the chrome around the tab ---------------------------------------------------------
    async def _refresh_header(self) -> None:
        """The site header's quotas (flats used) and the block shown."""
        bar = self.app.main.query_one(SiteHeaderBar)
        block = self.block
        bar.show_header(await self.ctx.view(views.site_header, self.site_id),
                        block.name if block else None)

    async def _refresh_tree(self) -> None:
        """The tree's blocks of this site after one was added, renamed or deleted."""
        tree = self.app.main.query_one(SiteTree)
        node = next((n for n in tree.root.children if n.data == (self.site_id, None)), None)
        if node is None:
            return
        node.remove_children()
        for block in self.blocks:
            node.add_leaf(plain(block.name), data=(self.site_id, block.id))
