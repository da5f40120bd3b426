"""The Users screen's dialogs: MANAGE USER (add a user), CHANGE PROFILE (a site's
profile, its rights matrix and VALID DATES), a public key, a password. Every save goes
through core services; their refusals land by the field they name."""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Label, Select

from console.context import ConsoleContext
from console.widgets.form import Field, FormScreen
from console.widgets.plain import plain
from core import days, rules
from core.errors import PermissionDenied, ValidationError
from core.keys import KEY_LINE_MAX, parse_public_key
from core.model import Operator, OperatorKey
from core.rights import Action, Area, Profile, right, rights_for
from core.services.operator_keys import add_key, remove_key
from core.services.operators import add_operator, grant_site, set_password
from core.views.rows import GrantRow

DATE_HINT = f"{days.DAY_HINT}; empty = permanent"


def parse_day(value: str | None, field: str) -> date | None:
    """A validity day typed in a form (empty: no bound)."""
    value = (value or "").strip()
    if not value:
        return None
    day = days.parse_day(value)
    if day is None:
        raise ValidationError(f"{value!r} is not a date ({DATE_HINT}).", field=field)
    return day


class RightsMatrix(Widget, can_focus=True):
    """The guide's matrix: one line per area, a Consult and a Create/Del/Modify switch.
    Switchable for a Custom profile (arrows move, space or Enter switches); a named
    profile shows its fixed rights. One widget drawing 16 lines: thirty Switch
    widgets made the dialog take seconds to open."""

    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False),
        Binding("down", "move(1, 0)", "Down", show=False),
        Binding("left", "move(0, -1)", "Left", show=False),
        Binding("right", "move(0, 1)", "Right", show=False),
        Binding("space,enter", "toggle", "Switch"),
    ]
    DEFAULT_CSS = """
    RightsMatrix { height: auto; padding: 0 1; }
    RightsMatrix:focus { background-tint: $foreground 5%; }
    """
    AREA_WIDTH = 26
    CELL = 10
    cursor = reactive((0, 0))

    def __init__(self, rights: frozenset[str], editable: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.chosen: set[str] = set(rights)
        self.editable = editable

    @property
    def rights(self) -> list[str]:
        """The rights switched on, in the guide's order."""
        return [right(a, x) for a in Area for x in Action if right(a, x) in self.chosen]

    def value(self, area: Area, action: Action) -> bool:
        return right(area, action) in self.chosen

    def show(self, rights: frozenset[str], editable: bool) -> None:
        """Show a profile's rights; only a Custom profile's can be switched."""
        self.chosen, self.editable = set(rights), editable
        self.refresh()

    def switch(self, area: Area, action: Action) -> None:
        """Turn one right over: Modify brings Consult; no Consult, no Modify."""
        if not self.editable:
            return
        key = right(area, action)
        if key in self.chosen:
            self.chosen.discard(key)
            if action is Action.CONSULT:
                self.chosen.discard(right(area, Action.MODIFY))
        else:
            self.chosen.add(key)
            if action is Action.MODIFY:
                self.chosen.add(right(area, Action.CONSULT))
        self.refresh()

    def render(self) -> Text:
        text = Text(no_wrap=True)
        text.append("Area".ljust(self.AREA_WIDTH), "bold")
        text.append("Consult".ljust(self.CELL) + "Create/Del/Modify", "bold")
        row, col = self.cursor
        for r, area in enumerate(Area):
            text.append("\n" + area.label.ljust(self.AREA_WIDTH))
            for c, action in enumerate(Action):
                on = self.value(area, action)
                style = "green" if on else ""
                if not self.editable:
                    style = "dim"
                if self.has_focus and (r, c) == (row, col):
                    style += " reverse"
                text.append("[✓]" if on else "[ ]", style.strip())
                text.append(" " * (self.CELL - 3))
        return text

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return len(Area) + 1

    def action_move(self, rows: int, cols: int) -> None:
        row, col = self.cursor
        self.cursor = ((row + rows) % len(Area), (col + cols) % len(Action))
        self.scroll_visible()

    def action_toggle(self) -> None:
        row, col = self.cursor
        self.switch(list(Area)[row], list(Action)[col])

    def on_click(self, event: events.Click) -> None:
        row, x = event.y - 1, event.x - 1 - self.AREA_WIDTH
        if 0 <= row < len(Area) and 0 <= x < self.CELL * len(Action):
            self.cursor = (row, x // self.CELL)
            self.action_toggle()

    def watch_cursor(self) -> None:
        self.refresh()


def profile_options() -> list[tuple[str, str]]:
    return [(p.value, p.value) for p in Profile]


def grant_fields(site_options: list[tuple[Any, int]], grant: GrantRow | None,
                 site_id: int | None) -> list[Field]:
    """Site, profile and VALID DATES of a PROFILE BY SITE line."""
    return [
        Field("site_id", "Site", site_id, kind="select", options=site_options,
              allow_blank=False, disabled=grant is not None),
        Field("profile", "Profile", grant.profile if grant else Profile.CONCIERGE.value,
              kind="select", options=profile_options(), allow_blank=False),
        Field("valid_from", "Valid from", grant.valid_from if grant and grant.valid_from
              else "", placeholder=DATE_HINT),
        Field("valid_to", "Valid to", grant.valid_to if grant and grant.valid_to else "",
              placeholder=DATE_HINT),
    ]


class GrantForm(FormScreen):
    """A form whose fields end with a profile, and the rights matrix under them."""

    AUTO_FOCUS = ".field > Input"  # the first typed field (a grant's site is fixed)

    def __init__(self, title: str, fields: list[Field], save, rights: frozenset[str],
                 **kwargs: Any) -> None:
        super().__init__(title, fields, save, **kwargs)
        self.start_rights = rights

    def compose_body(self) -> ComposeResult:
        profile = next(f.value for f in self.fields if f.name == "profile")
        yield from self.compose_fields()
        yield Label("Rights · Custom profile: arrows move, space switches")
        yield RightsMatrix(self.start_rights, profile == Profile.CUSTOM.value)

    @on(Select.Changed, "#f-profile")
    def _profile_changed(self, event: Select.Changed) -> None:
        matrix = self.query_one(RightsMatrix)
        if event.value == Profile.CUSTOM.value:
            matrix.show(frozenset(matrix.rights), True)  # start from what was shown
        elif isinstance(event.value, str):
            matrix.show(rights_for(event.value), False)

    def values(self) -> dict[str, Any]:
        out = super().values()
        out["rights"] = self.query_one(RightsMatrix).rights
        return out


def _grant_args(ctx: ConsoleContext, values: dict[str, Any]) -> dict[str, Any]:
    """Check a PROFILE BY SITE line before any change is made."""
    if values.get("site_id") is None:
        raise ValidationError("Choose a site.", field="site_id")
    profile = Profile(values["profile"])
    custom = values["rights"] if profile is Profile.CUSTOM else None
    wanted = rights_for(profile, custom)
    valid_from = parse_day(values["valid_from"], "valid_from")
    valid_to = parse_day(values["valid_to"], "valid_to")
    rules.validity_dates(valid_from, valid_to)
    own = ctx.rights.get(values["site_id"], frozenset())
    if not ctx.operator.can_create_sites and not wanted <= own:
        raise PermissionDenied("You may not give rights you do not hold on this site.",
                               field="profile")
    return dict(profile=profile, custom=custom, valid_from=valid_from, valid_to=valid_to)


def add_user_form(ctx: ConsoleContext, site_options: list[tuple[Any, int]]) -> GrantForm:
    """MANAGE USER: email, name, login, a key, and the user's profile on one site."""
    fields = [
        Field("email", "Email", placeholder="name@example.com", max_length=254),
        Field("name", "Name & First Name", max_length=60),
        Field("login", "Login name (SSH user; optional)", max_length=32),
        Field("key", "Public key (optional)", placeholder="ssh-ed25519 AAAA… you@host",
              max_length=KEY_LINE_MAX),
        *grant_fields(site_options, None, site_options[0][1] if site_options else None),
    ]
    created: list[Operator] = []

    async def save(values: dict[str, Any]) -> Operator:
        grant = _grant_args(ctx, values)
        key = values["key"].strip()
        if key:
            parse_public_key(key)  # a damaged key is refused before the account is written
        if not created:
            created.append(await ctx.change(add_operator, Operator(
                email=values["email"], name=values["name"], login=values["login"] or None)))
            for name in ("email", "name", "login"):  # the account exists from now on
                form.query_one(f"#f-{name}").disabled = True
        op = created[0]
        await ctx.change(grant_site, op.id, values["site_id"], **grant)
        if key:
            await ctx.change(add_key, op.id, key)
        return op

    form = GrantForm("Add a user", fields, save, rights_for(Profile.CONCIERGE))
    return form


def grant_form(ctx: ConsoleContext, operator: Operator, site_options: list[tuple[Any, int]],
               grant: GrantRow | None) -> GrantForm:
    """CHANGE PROFILE of a user on a site (or give them another site)."""
    site_id = grant.site_id if grant else (site_options[0][1] if site_options else None)

    async def save(values: dict[str, Any]) -> Any:
        if grant is not None:
            values["site_id"] = grant.site_id
        result = await ctx.change(grant_site, operator.id, values["site_id"],
                                  **_grant_args(ctx, values))
        if operator.id == ctx.operator.id:
            await ctx.refresh_rights()
        return result

    where = f" on {grant.site}" if grant else ": another site"
    rights = grant.rights if grant else rights_for(Profile.CONCIERGE)
    return GrantForm(f"Change profile · {operator.email}{where}",
                     grant_fields(site_options, grant, site_id), save, frozenset(rights))


def key_form(ctx: ConsoleContext, operator: Operator) -> FormScreen:
    """Add a public key (paste the line of id_ed25519.pub or the like)."""

    async def save(values: dict[str, Any]) -> OperatorKey:
        return await ctx.change(add_key, operator.id, values["key"])

    return FormScreen(f"Add a public key · {operator.email}", [
        Field("key", "Public key", placeholder="ssh-ed25519 AAAA… you@host",
              max_length=KEY_LINE_MAX)], save)


def remove_key_form(ctx: ConsoleContext, operator: Operator,
                    keys: list[OperatorKey]) -> FormScreen:
    """Remove one of an operator's keys, chosen by fingerprint and comment."""
    options = [(plain(f"{k.fingerprint} {k.comment}".strip()), k.id) for k in keys]

    async def save(values: dict[str, Any]) -> bool:
        if values["key"] is None:
            raise ValidationError("Choose a key.", field="key")
        await ctx.change(remove_key, values["key"])
        return True

    return FormScreen(f"Remove a public key · {operator.email}", [
        Field("key", "Key", options[0][1] if options else None, kind="select",
              options=options, allow_blank=False)], save, save_label="Remove")


def password_form(ctx: ConsoleContext, operator: Operator) -> FormScreen:
    """Set an operator's password (at least 10 characters, stored as an argon2 hash)."""

    async def save(values: dict[str, Any]) -> bool:
        if values["password"] != values["confirm"]:
            raise ValidationError("The two passwords differ.", field="confirm")
        await ctx.change(set_password, operator.id, values["password"])
        return True

    return FormScreen(f"Password · {operator.email}", [
        Field("password", "Password", password=True),
        Field("confirm", "Password again", password=True)], save)
