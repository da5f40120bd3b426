"""The list tabs of FLAT MANAGEMENT: Telephone(s) & Email(s), Panel display(s) and
APass(es). Each lists what the read service gave (a tab the operator may not
consult is not built at all) and changes it through core services."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from console.screens.add_passes import add_passes_form, add_sources
from console.screens.flat_forms import (
    display_form,
    phone_label,
    profile_name,
    telephone_form,
    week_type_name,
)
from console.widgets.columns import Col
from console.widgets.form import ConfirmScreen
from console.widgets.guard import guarded
from console.widgets.paged_table import FittedTable
from console.widgets.plain import plain
from core.errors import DoorkeeperError
from core.model import APassState
from core.rights import Area
from core.services.access_passes import send_to_lost, send_to_stock
from core.services.residents import delete_panel_display, delete_telephone
from core.views.rows import FlatDetail
from core.vocabulary import colour_name, pass_type_name

if TYPE_CHECKING:
    from console.screens.flat import FlatScreen


class ListPane(Vertical):
    """A tab that lists rows in a table, with keys for its actions."""

    right: Area = Area.RESIDENTS_DISPLAYS

    def __init__(self, owner: FlatScreen, columns: tuple[str | Col, ...],
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.owner = owner
        self.columns = columns
        self.rows: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Static("", classes="pane-caption")
        yield FittedTable(self.columns)

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
        table = self.query_one(FittedTable)
        at = table.cursor_row
        self.rows = rows
        table.set_rows(cells)
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
        phones = detail.telephones or []
        cells = [(plain(phone_label(p, country), "yellow" if p.foreign else ""),
                  plain("yes" if p.app_activated else "")) for p in phones]
        caption = plain(f"{len(phones)} of 3 telephone numbers or emails")
        self.fill(phones, cells, caption)

    @work(exclusive=True, group="flat-form")

    @guarded
    async def action_add(self) -> None:
        await self._run_form(telephone_form(self.owner.ctx, self.owner.detail))

    @work(exclusive=True, group="flat-form")

    @guarded
    async def action_modify(self) -> None:
        if self.current is not None:
            await self._run_form(telephone_form(self.owner.ctx, self.owner.detail,
                                                self.current))

    @work(exclusive=True, group="flat-form")

    @guarded
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
        phones = {p.id: p for p in detail.telephones or []}
        displays = detail.displays or []
        country = detail.site.default_country

        def chain(display: Any) -> str:
            return " → ".join(
                f"{phone_label(phones[s.telephone_id], country)} {s.ring_seconds} s"
                if s.telephone_id in phones else f"? {s.ring_seconds} s"
                for s in display.call_chain) or ("hardwired" if display.hardwired else "")

        cells = [(plain(d.display_name), plain(d.call_code),
                  plain(profile_name(detail, d.access_profile_id)), plain(chain(d)),
                  plain(week_type_name(detail, d.auto_open_week_type_id)))
                 for d in displays]
        caption = plain(f"Qty of flats/names programmed = {detail.site.max_panel_names}. "
                        f"You can still program : {detail.names_left} name(s)")
        self.fill(displays, cells, caption)

    @work(exclusive=True, group="flat-form")

    @guarded
    async def action_add(self) -> None:
        await self._run_form(display_form(self.owner.ctx, self.owner.detail))

    @work(exclusive=True, group="flat-form")

    @guarded
    async def action_modify(self) -> None:
        if self.current is not None:
            await self._run_form(display_form(self.owner.ctx, self.owner.detail,
                                              self.current))

    @work(exclusive=True, group="flat-form")

    @guarded
    async def action_delete(self) -> None:
        display = self.current
        if display is not None:
            await self._confirmed(f"Remove {display.display_name} from the panels?",
                                  delete_panel_display, display.id,
                                  done=f"{display.display_name} removed.")


class PassesPane(ListPane):
    """APASS(ES): the flat's passes; add some (from the site stock, or new ones), send
    one to the site stock or the lost record."""

    right = Area.APASS_MANAGEMENT
    BINDINGS = [Binding("n", "add", "Add APasses"),
                Binding("l", "lost", "To lost record"),
                Binding("s", "stock", "To site stock")]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "add":  # either right will do: stock, or Create APasses
            return bool(add_sources(self.owner.ctx, self.owner.detail.site.id))
        return super().check_action(action, parameters)

    @work(exclusive=True, group="flat-form")
    @guarded
    async def action_add(self) -> None:
        if add_sources(self.owner.ctx, self.owner.detail.site.id):
            await self._run_form(add_passes_form(self.owner.ctx, self.owner.detail))

    def show(self, detail: FlatDetail) -> None:
        passes = detail.passes or []
        cells = [(plain(p.number), plain(pass_type_name(p.type)), plain(colour_name(p.colour)), plain(p.resident),
                  plain(profile_name(detail, p.access_profile_id)),
                  plain("LOST" if p.state is APassState.LOST else "assigned",
                        "red" if p.state is APassState.LOST else ""))
                 for p in passes]
        assigned = sum(p.state is APassState.ASSIGNED for p in passes)
        self.fill(passes, cells, plain(f"{assigned} APass(es) assigned"))

    @work(exclusive=True, group="flat-form")

    @guarded
    async def action_lost(self) -> None:
        ap = self.current
        if ap is not None:
            await self._confirmed(
                f"Send APass {ap.number} to the site lost APasses record? It will be "
                "disabled BUT its programmed data will be saved.", send_to_lost, ap.number,
                done=f"APass {ap.number} is in the lost record.")

    @work(exclusive=True, group="flat-form")

    @guarded
    async def action_stock(self) -> None:
        ap = self.current
        if ap is not None:
            await self._confirmed(
                f"Send APass {ap.number} to the site stock of available APasses? It will be "
                "disabled AND all its programmed data will be deleted.", send_to_stock,
                ap.number, done=f"APass {ap.number} is back in the site stock.")
