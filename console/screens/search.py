"""The search screen (key `/` anywhere): the guide's section 10, "How to use the
search function". In: All my sites, or one of them. By: Name of resident, Name of
flat, Telephone number, APasses, or Anything. Keyword: searched as it is typed
(a telephone number in any written form), results in the guide's columns Site,
Block, Flat, Access Pass, Resident with "(N found)". Enter on a result goes to its
flat; Escape closes. Only the operator's own sites are ever searched."""

from __future__ import annotations

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Label, Select, Static

from console.context import ConsoleContext
from console.widgets.columns import Col
from console.widgets.guard import guarded
from console.widgets.kept_lines import KeptLines
from console.widgets.key_bar import KeyBar
from console.widgets.plain import plain
from console.widgets.strip_table import StripTable
from console.widgets.text_input import TextInput
from core.errors import DoorkeeperError
from core.phones import display_phone
from core.rights import Area
from core.views.facilities_rows import FacilitiesHit
from core.views.facilities_search import search_facilities
from core.views.search import search
from core.views.search_rows import SearchHit, SearchResults

ALL_SITES = 0
BY_OPTIONS = [("Anything", "any"), ("Name of resident", "resident"),
              ("Name of flat", "flat"), ("Telephone number", "telephone"),
              ("APasses", "apass")]
RESIDENT_MIN = 12
#: Resident, last, is cut with "…" where the screen ends (whole in the row's cells)
COLUMNS = ("Site", "Block", "Flat", "Access Pass", Col("Resident", 0, RESIDENT_MIN))
#: typing faster than this searches once, for the last keystroke: a word typed at a
#: typist's pace (8 keys a second) is one search and one redraw of the results, not one
#: per key (bench/bench_search_keys.py)
DEBOUNCE_S = 0.25
WIDE = 100  # narrower screens shorten the columns
HINT = "Type a name, a flat, a telephone number (any way it is written) or an APass number."


class KeywordInput(KeptLines, TextInput):
    """The keyword field, not drawn again while the results change beside it."""


class Line(KeptLines, Static):
    """A line of the screen (title, status), not drawn again for every key typed."""


class Caption(KeptLines, Label):
    """A field's label, not drawn again for every key typed."""


class SearchScreen(Screen[None]):
    """Search the operator's sites for residents, flats, numbers and passes."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("enter", "open_current", "Open flat"),
        Binding("ctrl+f", "focus_keyword", "Keyword"),
        Binding("down", "focus_results", "Results", show=False),
    ]

    DEFAULT_CSS = """
    SearchScreen #search-title { height: 1; padding: 0 1; background: $panel;
                                 text-style: bold; }
    SearchScreen #search-form { height: 1; margin: 1 0; padding: 0 1; }
    SearchScreen #search-form Label { padding: 0 1; }
    SearchScreen #search-in { width: 22; }
    SearchScreen #search-by { width: 21; }
    SearchScreen #search-keyword { width: 1fr; min-width: 12; }
    SearchScreen #search-status { height: 1; padding: 0 1; color: $text-muted; }
    SearchScreen #search-results { height: 1fr; }
    """

    def __init__(self, ctx: ConsoleContext, site_id: int | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.site_id = site_id
        #: the sites this operator may search: theirs, where they may consult flats
        self.site_ids = ctx.viewer.sites_with(Area.FLATS)
        #: no "Access Pass" column for an operator who may consult APasses nowhere
        self.with_passes = bool(set(self.site_ids) & set(ctx.viewer.sites_with(Area.APASS_MANAGEMENT)))
        self.columns = COLUMNS if self.with_passes else tuple(c for c in COLUMNS
                                                                  if c != "Access Pass")
        self.hits: list[SearchHit] = []
        self.fac_hits: list[FacilitiesHit] = []  # providers and companies, after the flats
        self._generation = 0  # the newest query; an older answer is dropped
        self._timer: Timer | None = None
        self._shown: tuple[object, ...] | None = None  # what the table holds now

    def compose(self) -> ComposeResult:
        yield Line("Search", id="search-title")
        sites = [s for s in self.ctx.sites if s.id in self.site_ids]
        with Horizontal(id="search-form"):
            yield Caption("In")
            yield Select([(plain("All my sites"), ALL_SITES)]
                         + [(plain(s.name), s.id) for s in sites],
                         value=ALL_SITES, allow_blank=False, compact=True, id="search-in")
            yield Caption("By")
            yield Select(BY_OPTIONS, value="any", allow_blank=False, compact=True,
                         id="search-by")
            yield Caption("Keyword")
            yield KeywordInput(placeholder="name, flat, number, APass", compact=True,
                               select_on_focus=False,  # a key typed in the results goes on
                               id="search-keyword")
        yield Line(HINT, id="search-status")
        # drawn as ready-made strips: a new set of hits costs a screenful of rows, not a
        # DataTable's cell-by-cell layout (bench/bench_search_keys.py)
        yield StripTable(self.columns, id="search-results")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#search-keyword", Input).focus()

    # --- searching ----------------------------------------------------------------------
    @on(Input.Changed, "#search-keyword")
    @on(Select.Changed)
    def _changed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._generation += 1
        self._timer = self.set_timer(DEBOUNCE_S, self._search_now)

    def _search_now(self) -> None:
        keyword = self.query_one("#search-keyword", Input).value
        within = self.query_one("#search-in", Select).value
        by = self.query_one("#search-by", Select).value
        sites = self.site_ids if within == ALL_SITES else [within]
        self.run_search(self._generation, keyword, str(by), sites)

    @work(exclusive=True, group="search")

    @guarded
    async def run_search(self, generation: int, keyword: str, by: str,
                         sites: list[int]) -> None:
        """One query in the background; only the newest one's answer is shown."""
        facilities: list[FacilitiesHit] = []
        if not keyword.strip():
            results: SearchResults | None = SearchResults()
        else:
            try:
                results = await self.ctx.view(search, keyword, by, sites)
                facilities = await self.ctx.view(search_facilities, keyword, by)
            except DoorkeeperError as err:
                if generation == self._generation:
                    self._status(Text(err.message, style="red"))
                return
        # an answer that comes after the screen closed (Escape while it ran) is dropped
        if generation == self._generation and self.is_attached:
            self.show(keyword, results, facilities)

    def show(self, keyword: str, results: SearchResults,
             facilities: list[FacilitiesHit] | None = None) -> None:
        """Fill the table with the hits (flats, then providers and companies), and say
        how many. The same hits as shown (a letter more of the same name) leave the table
        as it is: only the count line changes."""
        self.hits = list(results)
        self.fac_hits = list(facilities or [])
        narrow = self.size.width < WIDE
        shown = (narrow, *self.hits, None, *self.fac_hits)
        if shown != self._shown:
            self._shown = shown
            self._fill(narrow)
        if not keyword.strip():
            self._status(Text(HINT))
            return
        found = len(self.hits) + len(self.fac_hits)
        count = f"{found}+" if results.capped else str(found)
        line = Text("Search result for ")
        line.append(plain(keyword.strip(), "bold"))
        line.append(f" ({count} found)")
        if results.capped:
            line.append(" — keep typing to narrow it", style="dim")
        self._status(line)

    def _fill(self, narrow: bool) -> None:
        """The hits as the table's rows; the column widths fit these hits."""
        rows = [hit_cells(hit, narrow) for hit in self.hits]
        rows += [facilities_cells(fac) for fac in self.fac_hits]
        if not self.with_passes:
            rows = [cells[:3] + cells[4:] for cells in rows]
        self.query_one("#search-results", StripTable).set_rows(rows)

    def _status(self, text: Text) -> None:
        # one line whatever it says: repainted, no layout of the whole screen
        self.query_one("#search-status", Static).update(text, layout=False)

    # --- going to a flat ------------------------------------------------------------------
    @on(Input.Submitted, "#search-keyword")
    def _submitted(self) -> None:
        self.action_focus_results()

    def action_focus_results(self) -> None:
        if self.hits or self.fac_hits:
            self.query_one("#search-results", StripTable).focus()

    def action_focus_keyword(self) -> None:
        self.query_one("#search-keyword", Input).focus()

    def on_key(self, event: events.Key) -> None:
        """A character typed in the results starts the next keyword (it used to go to
        the list, and the Enter after it opened a flat)."""
        if event.is_printable and event.character and isinstance(self.focused, StripTable):
            event.stop()
            event.prevent_default()
            keyword = self.query_one("#search-keyword", Input)
            keyword.value = event.character
            keyword.cursor_position = len(keyword.value)
            keyword.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_current":  # Enter opens a flat only from the results
            return bool(self.hits or self.fac_hits) and isinstance(self.focused, StripTable)
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    async def action_open_current(self) -> None:
        table = self.query_one("#search-results", StripTable)
        await self._open_row(table.cursor_row)

    @on(StripTable.RowSelected, "#search-results")
    async def _row_selected(self, event: StripTable.RowSelected) -> None:
        await self._open_row(event.cursor_row)

    async def _open_row(self, row: int) -> None:
        """A flat opens its Flat management; a provider or company the Facilities screen,
        filtered to it."""
        if 0 <= row < len(self.hits):
            await self.open(self.hits[row])
        elif 0 <= row - len(self.hits) < len(self.fac_hits):
            from console.screens.facilities import FacilitiesScreen
            fac = self.fac_hits[row - len(self.hits)]
            self.dismiss(None)
            await self.app.push_screen(FacilitiesScreen(self.ctx, found=fac))

    async def open(self, hit: SearchHit) -> None:
        """Close the search and show the hit's flat, on the main screen's own message
        loop (this screen's closes with it)."""
        main = self.app.main
        self.dismiss(None)
        main.call_later(main.open_flat, hit.site_id, hit.block_id, hit.flat_id)

    def action_close(self) -> None:
        self.dismiss(None)


def facilities_cells(hit: FacilitiesHit) -> tuple[Text, ...]:
    """A provider or company in the search's columns, marked as such in the first."""
    name = plain(hit.name)
    if hit.telephone:
        name = Text.assemble(plain(display_phone(hit.telephone, ""), "bold"), "  ", name)
    return (plain(f"[{hit.kind}]", "italic magenta"), _cut(plain(hit.company), 24),
            plain(""), plain(hit.apass), name)


def _cut(text: Text, width: int) -> Text:
    text.truncate(width, overflow="ellipsis")
    return text


def hit_cells(hit: SearchHit, narrow: bool = False) -> tuple[Text, ...]:
    """A hit in the guide's columns, every value shown literally; lost passes in red.
    Narrow screens get shorter names and one pass, so Resident stays in view."""
    shown = 1 if narrow else 2
    passes = Text(no_wrap=True)
    numbers, lost_ones = hit.access_passes or (), hit.lost_passes or ()  # None: not yours
    for i, number in enumerate(numbers[:shown]):
        if i:
            passes.append(", ")
        lost = number in lost_ones
        passes.append(plain(number + (" (lost)" if lost else ""), "red" if lost else ""))
    if len(numbers) > shown:
        passes.append(f" +{len(numbers) - shown}", style="dim")
    resident = Text(no_wrap=True)
    for e164 in hit.telephones or ():  # the number that matched first: it is what was typed
        resident.append(plain(display_phone(e164, ""), "bold"))
        resident.append("  ")
    resident.append(plain("; ".join(hit.residents or ())))
    flat = plain(hit.flat)
    if hit.flat_number and hit.flat_number not in hit.flat:
        flat.append(plain(f" ({hit.flat_number})", "dim"))
    site, block, flat_width = (12, 14, 12) if narrow else (20, 24, 18)
    return (_cut(plain(hit.site), site), _cut(plain(hit.block), block), _cut(flat, flat_width),
            passes, resident)
