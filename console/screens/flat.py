"""FLAT MANAGEMENT: the guide's window with four tabs, Flat / Telephone(s) & Email(s) /
Panel display(s) / APass(es), and a fifth, History (console.screens.flat_history). Every change goes through a core service as the
operator; a refusal shows by its field (forms) or on the window's message line
(deletes, moves), and changes nothing. Keys a right does not allow are hidden."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Input,
    Static,
    TabbedContent,
    TabPane,
)

from console.context import ConsoleContext
from console.screens.flat_history import HistoryPane
from console.screens.flat_panes import DisplaysPane, ListPane, PassesPane, PhonesPane
from console.widgets.columns import Col
from console.widgets.form import Field, FieldsMixin
from console.widgets.key_bar import KeyBar
from console.widgets.message_line import MessageLine
from console.widgets.plain import plain
from core.errors import DoorkeeperError
from core.rights import Action, Area
from core.rules import NOTES_MAX
from core.services.flats import update_flat
from core.views.blocks import flat_detail
from core.views.rows import FlatDetail

PANES = ("tab-flat", "tab-phones", "tab-displays", "tab-passes", "tab-history")
CODE_FIELDS = ("code_main_door", "code_aux_relay_1", "code_aux_relay_2")


class FlatPane(FieldsMixin, VerticalScroll):
    """The FLAT tab: every field of the guide's flat form, saved in one go."""

    compact_fields = True
    #: Tab goes from the tabs to the first field: the pane itself takes no keys a
    #: concierge would type (a focused field scrolls itself into view)
    can_focus = False

    def __init__(self, owner: FlatScreen) -> None:
        super().__init__(id="flat-pane")
        self.owner = owner
        detail, can = owner.detail, owner.can
        flat, editable = detail.flat, can(Area.FLATS)
        codes = editable and can(Area.KEYPAD_CODE)
        #: keypad codes are left out, not shown empty, for an operator who may not
        #: consult them (saving then leaves them as they are)
        self.codes_shown = owner.ctx.can(detail.site.id, Area.KEYPAD_CODE)
        self.fields = [
            Field("number", "Flat N°", flat.number, disabled=not editable),
            Field("name", "* Name of flat", flat.name, disabled=not editable),
            Field("floor", "Floor (empty: not defined)",
                  "" if flat.floor is None else str(flat.floor), disabled=not editable),
            Field("code_main_door", "Keypad code · Main door", flat.code_main_door or "",
                  disabled=not codes),
            Field("code_aux_relay_1", "Keypad code · AUX relay 1", flat.code_aux_relay_1 or "",
                  disabled=not codes),
            Field("code_aux_relay_2", "Keypad code · AUX relay 2", flat.code_aux_relay_2 or "",
                  disabled=not codes),
            Field("notes", f"Notes (max {NOTES_MAX} characters)", flat.notes,
                  disabled=not editable),
        ]
        if not self.codes_shown:
            self.fields = [f for f in self.fields if f.name not in CODE_FIELDS]

    def compose(self) -> ComposeResult:
        yield from self.compose_fields()
        yield Static(plain(f"Temporary ID : {self.owner.detail.flat.temporary_id}"),
                     classes="flat-note")
        yield Static("", classes="form-error")
        if self.owner.can(Area.FLATS):
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="save-flat", compact=True)

    def on_mount(self) -> None:
        self.clear_errors()

    def clear_errors(self) -> None:
        """Empty error lines take no room (one line per field)."""
        super().clear_errors()
        for line in self.query(".field-error"):
            line.display = False

    def show_error(self, err: DoorkeeperError) -> None:
        super().show_error(err)
        if err.field in {f.name for f in self.fields}:
            self.query_one(f"#e-{err.field}").display = True

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        """Enter goes on to the next field; ctrl+s (or Save) saves."""
        event.stop()
        self.screen.focus_next()

    @on(Button.Pressed, "#save-flat")
    async def save(self) -> None:
        """Save the flat; on a refusal what was typed stays and the error shows by it."""
        if not self.owner.can(Area.FLATS):
            return
        self.clear_errors()
        values = self.values()
        if not self.owner.can(Area.KEYPAD_CODE):
            for name in CODE_FIELDS:
                values.pop(name, None)
        try:
            await self.owner.ctx.change(update_flat, self.owner.detail.flat.id, **values)
        except DoorkeeperError as err:
            self.owner.say("")
            self.show_error(err)
            return
        await self.owner.reload()
        self.owner.say("Flat saved.")


class FlatScreen(ModalScreen[bool]):
    """FLAT MANAGEMENT for one flat. Dismisses with True (the caller reloads its list)."""

    DEFAULT_CSS = """
    FlatScreen { align: center middle; background: $background 60%; }
    FlatScreen > #flat-dialog {
        width: 100%; max-width: 120; height: 100%; max-height: 40;
        border: round $accent; background: $surface; padding: 0 1;
    }
    FlatScreen #flat-title { text-style: bold; height: 1; }
    FlatScreen #flat-tabs { height: 1fr; }
    FlatScreen .pane-caption { height: auto; color: $text-muted; }
    FlatScreen ListPane DataTable { height: 1fr; }
    FlatScreen .flat-note { color: $text-muted; height: auto; }
    FlatScreen #flat-buttons { height: auto; align-horizontal: right; }
    FlatScreen Button { margin-left: 1; }
    /* one line per field: label, input, and its error under it when there is one */
    FlatPane .field { layout: grid; grid-size: 2; grid-columns: 28 1fr; grid-rows: auto;
                      height: auto; }
    FlatPane .field Input { padding: 0 1; background: $boost; }
    FlatPane .field Input:focus { background: $accent 30%; text-style: bold underline; }
    FlatPane .field Input:disabled { background: $surface; color: $text-muted; }
    FlatPane .field .field-error { column-span: 2; display: none; }
    """

    BINDINGS = [Binding("escape", "close", "Close", tooltip="Leave the field; again: close"),
                Binding("ctrl+s", "save", "Save flat"),
                Binding("1", "pane(0)", "Flat", show=False),
                Binding("2", "pane(1)", "Telephone(s) & Email(s)", show=False),
                Binding("3", "pane(2)", "Panel display(s)", show=False),
                Binding("4", "pane(3)", "APass(es)", show=False),
                Binding("5", "pane(4)", "History", show=False)]

    def __init__(self, ctx: ConsoleContext, detail: FlatDetail, pane: int = 0) -> None:
        super().__init__()
        self.ctx = ctx
        self.detail = detail
        self.first_pane = pane

    @property
    def panes(self) -> tuple[str, ...]:
        """The tabs the operator may consult (the read service left the others out)."""
        d = self.detail
        shown = {"tab-flat": True, "tab-phones": d.telephones is not None,
                 "tab-displays": d.displays is not None, "tab-passes": d.passes is not None, "tab-history": True}
        return tuple(p for p in PANES if shown[p])

    def can(self, area: Area) -> bool:
        """Whether the operator may change `area` on this flat's site."""
        return self.ctx.can(self.detail.site.id, area, Action.MODIFY)

    def compose(self) -> ComposeResult:
        with Vertical(id="flat-dialog"):
            yield Static(self._title(), id="flat-title")
            initial = PANES[self.first_pane]
            with TabbedContent(id="flat-tabs",
                               initial=initial if initial in self.panes else PANES[0]):
                with TabPane("Flat", id="tab-flat"):
                    yield FlatPane(self)
                if "tab-phones" in self.panes:
                    with TabPane("Telephone(s) & Email(s)", id="tab-phones"):
                        yield PhonesPane(self, ("Telephone N° / Email",
                                                "IPGUARD App activated"))
                if "tab-displays" in self.panes:
                    with TabPane("Panel display(s)", id="tab-displays"):
                        yield DisplaysPane(self, ("Name", "Call code",
                                                  Col("Access / display profile", 2),
                                                  Col("Call chain", 1),
                                                  Col("Auto-opening", 3)))
                if "tab-passes" in self.panes:
                    with TabPane("APass(es)", id="tab-passes"):
                        yield PassesPane(self, ("Access Pass", Col("Type", 3),
                                                Col("Colour", 4), Col("Resident", 2),
                                                Col("Access profile", 5), "State"))
                with TabPane("History", id="tab-history"):
                    yield HistoryPane(self)
            yield MessageLine(id="flat-message")
            with Horizontal(id="flat-buttons"):
                yield Button("Close", id="close", compact=True)
        yield KeyBar()

    def _title(self) -> Text:
        d = self.detail
        title = Text("FLAT MANAGEMENT · ", style="bold")
        title.append(plain(f"{d.block.name} › {d.flat.number} {d.flat.name}", "bold"))
        return title

    def on_mount(self) -> None:
        self._show()
        self.call_after_refresh(self._focus_pane)

    def _show(self) -> None:
        for pane in [*self.query(ListPane), *self.query(HistoryPane)]:
            pane.show(self.detail)
        self.query_one("#flat-title", Static).update(self._title())

    async def reload(self) -> None:
        """Read the flat again after a change (the Flat tab keeps what is typed)."""
        self.detail = await self.ctx.view(flat_detail, self.detail.flat.id)
        self._show()

    def say(self, message: str, error: bool = False) -> None:
        """A line under the tabs: what was done, or why it was refused."""
        self.query_one("#flat-message", MessageLine).say(message, error)

    @on(TabbedContent.TabActivated, "#flat-tabs")
    def _pane_shown(self) -> None:
        self.query_one("#flat-message", MessageLine).clear()  # it was about the other tab
        self.refresh_bindings()
        self.call_after_refresh(self._focus_pane)

    @property
    def active_pane(self) -> str:
        return self.query_one("#flat-tabs", TabbedContent).active

    def _focus_pane(self) -> None:
        """A list tab: its table. The Flat tab: the tab bar, so that a digit switches
        tabs instead of overwriting Flat N° (Tab goes down into the fields)."""
        if self.active_pane == "tab-flat":
            self.query_one("#flat-tabs ContentTabs").focus()
        else:
            pane = f"#{self.active_pane}"
            self.query_one(f"{pane} DataTable, {pane} LogTable").focus()

    def action_pane(self, index: int) -> None:
        if PANES[index] in self.panes:
            self.query_one("#flat-tabs", TabbedContent).active = PANES[index]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save":
            return self.active_pane == "tab-flat" and self.can(Area.FLATS)
        return True

    async def action_save(self) -> None:
        """Save the Flat tab (ctrl+s)."""
        await self.query_one(FlatPane).save()

    @on(Button.Pressed, "#close")
    def _close_pressed(self) -> None:
        self.dismiss(True)

    def action_close(self) -> None:
        """Escape: out of a field first (so the tab keys work again), then closed."""
        if isinstance(self.focused, Input):
            self._focus_pane()
        else:
            self.dismiss(True)
