"""FLAT MANAGEMENT: the guide's window with four tabs, Flat / Telephone(s) & Email(s) /
Panel display(s) / APass(es). Every change goes through a core service as the
operator; a refusal shows by its field (forms) or on the window's message line
(deletes, moves), and changes nothing. Keys a right does not allow are hidden."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Input,
    Static,
    TabbedContent,
    TabPane,
)

from console.context import ConsoleContext
from console.screens.flat_forms import (
    display_form,
    phone_label,
    profile_name,
    telephone_form,
    week_type_name,
)
from console.widgets.form import ConfirmScreen, Field, FieldsMixin
from console.widgets.plain import plain
from core.errors import DoorkeeperError
from core.model import APassState
from core.rights import Action, Area
from core.rules import NOTES_MAX
from core.services.access_passes import send_to_lost, send_to_stock
from core.services.flats import update_flat
from core.services.residents import delete_panel_display, delete_telephone
from store.flat_queries import FlatDetail, flat_detail

PANES = ("tab-flat", "tab-phones", "tab-displays", "tab-passes")


class FlatPane(FieldsMixin, VerticalScroll):
    """The FLAT tab: every field of the guide's flat form, saved in one go."""

    def __init__(self, owner: FlatScreen) -> None:
        super().__init__(id="flat-pane")
        self.owner = owner
        detail, can = owner.detail, owner.can
        flat, editable = detail.flat, can(Area.FLATS)
        codes = editable and can(Area.KEYPAD_CODE)
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

    @on(Button.Pressed, "#save-flat")
    @on(Input.Submitted)
    async def save(self) -> None:
        """Save the flat; on a refusal what was typed stays and the error shows by it."""
        if not self.owner.can(Area.FLATS):
            return
        self.clear_errors()
        values = self.values()
        if not self.owner.can(Area.KEYPAD_CODE):
            for name in ("code_main_door", "code_aux_relay_1", "code_aux_relay_2"):
                values.pop(name)
        try:
            await self.owner.ctx.change(update_flat, self.owner.detail.flat.id, **values)
        except DoorkeeperError as err:
            self.owner.say("")
            self.show_error(err)
            return
        await self.owner.reload()
        self.owner.say("Flat saved.")


class ListPane(Vertical):
    """A tab that lists rows in a table, with keys for its actions."""

    right: Area = Area.RESIDENTS_DISPLAYS

    def __init__(self, owner: FlatScreen, columns: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.owner = owner
        self.columns = columns
        self.rows: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Static("", classes="pane-caption")
        yield DataTable(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*self.columns)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("add", "modify", "delete", "stock", "lost"):
            if not self.owner.can(self.right):
                return False
            if action != "add" and self.current is None:
                return None  # shown, but nothing to act on
        return True

    @property
    def current(self) -> Any:
        table = self.query_one(DataTable)
        if 0 <= table.cursor_row < len(self.rows):
            return self.rows[table.cursor_row]
        return None

    def fill(self, rows: list[Any], cells: Sequence[tuple[Text, ...]], caption: Text) -> None:
        """Show rows, keeping the cursor where it was."""
        table = self.query_one(DataTable)
        at = table.cursor_row
        self.rows = rows
        table.clear()
        table.add_rows(cells)
        if rows:
            table.move_cursor(row=min(max(at, 0), len(rows) - 1), animate=False)
        self.query_one(".pane-caption", Static).update(caption)
        self.refresh_bindings()

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        if self.check_action("modify", ()) and hasattr(self, "action_modify"):
            self.action_modify()

    async def _run_form(self, screen: Any) -> None:
        if await self.app.push_screen_wait(screen):
            await self.owner.reload()

    async def _confirmed(self, question: str, change: Any, *args: Any, done: str) -> None:
        if not await self.app.push_screen_wait(ConfirmScreen(question)):
            return
        try:
            await self.owner.ctx.change(change, *args)
        except DoorkeeperError as err:
            self.owner.say(err.message, error=True)
            return
        await self.owner.reload()
        self.owner.say(done)


class PhonesPane(ListPane):
    """TELEPHONE(S) & EMAIL(S): up to three per flat."""

    BINDINGS = [Binding("n", "add", "Add a telephone number or email"),
                Binding("e", "modify", "Modify"),
                Binding("d", "delete", "Delete")]

    def show(self, detail: FlatDetail) -> None:
        country = detail.site.default_country
        cells = [(plain(phone_label(p, country), "yellow" if p.foreign else ""),
                  plain("yes" if p.app_activated else "")) for p in detail.telephones]
        caption = plain(f"{len(detail.telephones)} of 3 telephone numbers or emails")
        self.fill(detail.telephones, cells, caption)

    @work(exclusive=True, group="flat-form")
    async def action_add(self) -> None:
        await self._run_form(telephone_form(self.owner.ctx, self.owner.detail))

    @work(exclusive=True, group="flat-form")
    async def action_modify(self) -> None:
        if self.current is not None:
            await self._run_form(telephone_form(self.owner.ctx, self.owner.detail,
                                                self.current))

    @work(exclusive=True, group="flat-form")
    async def action_delete(self) -> None:
        phone = self.current
        if phone is not None:
            shown = phone_label(phone, self.owner.detail.site.default_country)
            await self._confirmed(f"Delete {shown}?", delete_telephone, phone.id,
                                  done=f"{shown} deleted.")


class DisplaysPane(ListPane):
    """PANEL DISPLAY(S): the flat's names on the panels, within the site's quota."""

    BINDINGS = [Binding("n", "add", "Add a panel display name"),
                Binding("e", "modify", "Modify"),
                Binding("d", "delete", "Delete")]

    def show(self, detail: FlatDetail) -> None:
        phones = {p.id: p for p in detail.telephones}
        country = detail.site.default_country

        def chain(display: Any) -> str:
            return " → ".join(
                f"{phone_label(phones[s.telephone_id], country)} {s.ring_seconds} s"
                if s.telephone_id in phones else f"? {s.ring_seconds} s"
                for s in display.call_chain) or ("hardwired" if display.hardwired else "")

        cells = [(plain(d.display_name), plain(d.call_code),
                  plain(profile_name(detail, d.access_profile_id)), plain(chain(d)),
                  plain(week_type_name(detail, d.auto_open_week_type_id)))
                 for d in detail.displays]
        caption = plain(f"Qty of flats/names programmed = {detail.site.max_panel_names}. "
                        f"You can still program : {detail.names_left} name(s)")
        self.fill(detail.displays, cells, caption)

    @work(exclusive=True, group="flat-form")
    async def action_add(self) -> None:
        await self._run_form(display_form(self.owner.ctx, self.owner.detail))

    @work(exclusive=True, group="flat-form")
    async def action_modify(self) -> None:
        if self.current is not None:
            await self._run_form(display_form(self.owner.ctx, self.owner.detail,
                                              self.current))

    @work(exclusive=True, group="flat-form")
    async def action_delete(self) -> None:
        display = self.current
        if display is not None:
            await self._confirmed(f"Remove {display.display_name} from the panels?",
                                  delete_panel_display, display.id,
                                  done=f"{display.display_name} removed.")


class PassesPane(ListPane):
    """APASS(ES): the flat's passes; send one to the site stock or the lost record."""

    right = Area.APASS_MANAGEMENT
    BINDINGS = [Binding("l", "lost", "To lost record"),
                Binding("s", "stock", "To site stock")]

    def show(self, detail: FlatDetail) -> None:
        cells = [(plain(p.number), plain(p.type), plain(p.colour), plain(p.resident),
                  plain(profile_name(detail, p.access_profile_id)),
                  plain("LOST" if p.state is APassState.LOST else "assigned",
                        "red" if p.state is APassState.LOST else ""))
                 for p in detail.passes]
        assigned = sum(p.state is APassState.ASSIGNED for p in detail.passes)
        self.fill(detail.passes, cells, plain(f"{assigned} APass(es) assigned"))

    @work(exclusive=True, group="flat-form")
    async def action_lost(self) -> None:
        ap = self.current
        if ap is not None:
            await self._confirmed(
                f"Send APass {ap.number} to the site lost APasses record? It will be "
                "disabled BUT its programmed data will be saved.", send_to_lost, ap.number,
                done=f"APass {ap.number} is in the lost record.")

    @work(exclusive=True, group="flat-form")
    async def action_stock(self) -> None:
        ap = self.current
        if ap is not None:
            await self._confirmed(
                f"Send APass {ap.number} to the site stock of available APasses? It will be "
                "disabled AND all its programmed data will be deleted.", send_to_stock,
                ap.number, done=f"APass {ap.number} is back in the site stock.")


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
    FlatScreen #flat-message { height: auto; }
    FlatScreen #flat-message.-error { color: $error; }
    FlatScreen .pane-caption { height: auto; color: $text-muted; }
    FlatScreen ListPane DataTable { height: 1fr; }
    FlatScreen .flat-note { color: $text-muted; height: auto; }
    FlatScreen #flat-buttons { height: auto; align-horizontal: right; }
    FlatScreen Button { margin-left: 1; }
    /* one line per field: label, input, and its error under it when there is one */
    FlatPane .field { layout: grid; grid-size: 2; grid-columns: 28 1fr; grid-rows: auto;
                      height: auto; }
    FlatPane .field Input { border: none; height: 1; padding: 0 1; background: $boost; }
    FlatPane .field Input:focus { background: $accent 30%; }
    FlatPane .field Input:disabled { background: $surface; color: $text-muted; }
    FlatPane .field .field-error { column-span: 2; display: none; }
    """

    BINDINGS = [Binding("escape", "close", "Close"),
                Binding("ctrl+s", "save", "Save flat"),
                Binding("1", "pane(0)", "Flat", show=False),
                Binding("2", "pane(1)", "Telephone(s) & Email(s)", show=False),
                Binding("3", "pane(2)", "Panel display(s)", show=False),
                Binding("4", "pane(3)", "APass(es)", show=False)]

    def __init__(self, ctx: ConsoleContext, detail: FlatDetail, pane: int = 0) -> None:
        super().__init__()
        self.ctx = ctx
        self.detail = detail
        self.first_pane = pane

    def can(self, area: Area) -> bool:
        """Whether the operator may change `area` on this flat's site."""
        return self.ctx.can(self.detail.site.id, area, Action.MODIFY)

    def compose(self) -> ComposeResult:
        with Vertical(id="flat-dialog"):
            yield Static(self._title(), id="flat-title")
            with TabbedContent(id="flat-tabs", initial=PANES[self.first_pane]):
                with TabPane("Flat", id="tab-flat"):
                    yield FlatPane(self)
                with TabPane("Telephone(s) & Email(s)", id="tab-phones"):
                    yield PhonesPane(self, ("Telephone N° / Email", "IPGUARD App activated"))
                with TabPane("Panel display(s)", id="tab-displays"):
                    yield DisplaysPane(self, ("Name", "Call code", "Access / display profile",
                                              "Call chain", "Auto-opening"))
                with TabPane("APass(es)", id="tab-passes"):
                    yield PassesPane(self, ("Access Pass", "Type", "Colour", "Resident",
                                            "Access profile", "State"))
            yield Static("", id="flat-message")
            with Horizontal(id="flat-buttons"):
                yield Button("Close", id="close", compact=True)
        yield Footer()

    def _title(self) -> Text:
        d = self.detail
        title = Text("FLAT MANAGEMENT · ", style="bold")
        title.append(plain(f"{d.block.name} › {d.flat.number} {d.flat.name}", "bold"))
        return title

    def on_mount(self) -> None:
        self._show()
        self.call_after_refresh(self._focus_pane)

    def _show(self) -> None:
        for pane in self.query(ListPane):
            pane.show(self.detail)
        self.query_one("#flat-title", Static).update(self._title())

    async def reload(self) -> None:
        """Read the flat again after a change (the Flat tab keeps what is typed)."""
        self.detail = await flat_detail(self.ctx.store, self.detail.flat.id)
        self._show()

    def say(self, message: str, error: bool = False) -> None:
        """A line under the tabs: what was done, or why it was refused."""
        line = self.query_one("#flat-message", Static)
        line.update(plain(message))
        line.set_class(error, "-error")

    @on(TabbedContent.TabActivated, "#flat-tabs")
    def _pane_shown(self) -> None:
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
            self.query_one(f"#{self.active_pane} DataTable").focus()

    def action_pane(self, index: int) -> None:
        self.query_one("#flat-tabs", TabbedContent).active = PANES[index]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save":
            return self.active_pane == "tab-flat" and self.can(Area.FLATS)
        return True

    async def action_save(self) -> None:
        """Save the Flat tab (ctrl+s)."""
        await self.query_one(FlatPane).save()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(True)
