"""The audit trail in the field guide's words: what each change was ("Flat modified",
"APass declared lost"), which area of the rights matrix it belongs to, and each field's
before -> after with the guide's labels, never table or column names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.rights import Action, Area
from core.vocabulary import colour_name, pass_type_name

#: what each audited entity is called in the guide, and the area whose Consult right
#: shows its changes (None: the site creators' own entries: sites, the demo's build)
ENTITIES: dict[str, tuple[str, Area | None]] = {
    "site": ("Site", Area.EVENTS),
    "block": ("Block", Area.BLOCKS),
    "flat": ("Flat", Area.FLATS),
    "telephone": ("Telephone", Area.RESIDENTS_DISPLAYS),
    "panel_display": ("Panel display", Area.RESIDENTS_DISPLAYS),
    "access_pass": ("APass", Area.APASS_MANAGEMENT),
    "device": ("Device", Area.DEVICES),
    "door": ("Door", Area.DEVICES),
    "reader": ("Reader", Area.DEVICES),
    "alarm": ("Alarm", Area.EVENTS),
    "week_type": ("Week type", Area.WEEK_TYPES),
    "holiday": ("Holiday", Area.WEEK_TYPES),
    "access_profile": ("Access profile", Area.ACCESS_PROFILES),
    "operator": ("User", Area.USERS),
    "operator_key": ("User's SSH key", Area.USERS),
    "grant": ("User's rights on a site", Area.USERS),
    "session": ("Session", Area.USERS),
    "company": ("Management company", Area.FACILITIES),
    "provider": ("Service provider", Area.FACILITIES),
    "task": ("Task", Area.FACILITIES),
    "company_access": ("Management company's sites", Area.FACILITIES),
    "sms": ("SMS", Area.SMS),
    "sms_credit": ("SMS credits", Area.SMS),
    "import": ("Import", Area.FLATS),
    "demo": ("Demo estate", None),
}

VERBS = {
    "create": "created", "update": "modified", "delete": "removed",
    "create_batch": "added in a batch", "assign": "assigned to a flat",
    "stock": "returned to site stock", "lost": "declared lost",
    "open": "opened remotely", "restart": "restarted", "acknowledge": "acknowledged",
    "password": "password changed", "activate": "activated", "deactivate": "deactivated",
    "login": "logged in", "logout": "logged out", "refused": "login refused",
    "over_limit": "ended over its limit", "residents": "residents added",
    "complete": "built", "send": "sent", "add": "added", "flats": "of flats",
}

#: field labels as the guide writes them (per entity where the same name differs)
LABELS: dict[str, str] = {
    "number": "Number", "name": "Name", "floor": "Floor", "notes": "Notes",
    "code_main_door": "Keypad code (main door)", "code_aux_relay_1": "Keypad code (aux relay 1)",
    "code_aux_relay_2": "Keypad code (aux relay 2)", "block_id": "Block", "flat_id": "Flat",
    "site_id": "Site", "value": "Telephone N° / email", "kind": "Kind",
    "app_activated": "IPGUARD App activated", "foreign": "Foreign number",
    "display_name": "Display name", "call_code": "Call code",
    "access_profile_id": "Access profile", "call_chain": "Call chain",
    "auto_open_week_type_id": "Auto-opening", "hardwired": "Hardwired NPH",
    "name_at_top": "Name at top", "voice_server": "Voice server", "type": "Type",
    "colour": "Colour", "state": "State", "resident": "Resident", "email": "Email",
    "login": "Login", "active": "Active", "rights": "Rights", "profile": "Profile",
    "valid_from": "Valid from", "valid_to": "Valid to", "password_hash": "Password",
    "timezone": "Time zone", "address": "Address", "temporary_id": "Temporary ID",
}
ENTITY_LABELS = {("flat", "number"): "Flat N°", ("access_pass", "number"): "APass number",
                 ("operator", "email"): "Email", ("block", "name"): "Block name"}
#: fields shown only with a right on the entry's site (masked otherwise)
GUARDED = {"code_main_door": Area.KEYPAD_CODE, "code_aux_relay_1": Area.KEYPAD_CODE,
           "code_aux_relay_2": Area.KEYPAD_CODE}
HIDDEN = "(hidden)"
SKIPPED = frozenset({"id"})


def entities_of(area: Area) -> frozenset[str]:
    """The audited entities whose changes belong to an area of the rights matrix."""
    return frozenset(e for e, (_, a) in ENTITIES.items() if a is area)


def what(action: str) -> str:
    """An action in words: "flat.update" -> "Flat modified"."""
    entity, _, verb = action.partition(".")
    noun = ENTITIES.get(entity, (entity.replace("_", " ").capitalize(), None))[0]
    return f"{noun} {VERBS.get(verb, verb.replace('_', ' '))}"


def area_of(entity: str) -> Area | None:
    return ENTITIES.get(entity, ("", None))[1]


def label(entity: str, name: str) -> str:
    """A field's label in the guide's words."""
    found = ENTITY_LABELS.get((entity, name)) or LABELS.get(name)
    if found:
        return found
    for suffix, plural in (("_ids", "s"), ("_id", "")):  # a reference: named by its thing
        if name.endswith(suffix):
            name = name[:-len(suffix)] + plural
    return name.replace("_", " ").capitalize()


def shown(value: Any) -> str:
    """A stored value as a person reads it."""
    if value is None or value == "":
        return "—"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {shown(v)}" for k, v in value.items())
    return str(value)


def rights_words(value: Any) -> str:
    """A grant's rights as the matrix reads: "Blocks (Consult), Flats (Modify)"."""
    held: dict[str, str] = {}
    for item in value if isinstance(value, list) else []:
        area, _, action = str(item).partition(":")
        try:
            name = Area(area).label
        except ValueError:
            name = area
        if action == Action.MODIFY.value or name not in held:
            held[name] = "Modify" if action == Action.MODIFY.value else "Consult"
    return ", ".join(f"{k} ({v})" for k, v in held.items()) or "—"


def changes(entity: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
            hidden: frozenset[str] = frozenset(), *,
            named: Callable[[str, Any], Any] | None = None) -> list[tuple[str, str, str]]:
    """Each field that differs as (label, before, after); every field of a creation or
    a removal that holds something. Fields named in `hidden` read "(hidden)"; `named`
    turns a field's stored value into what is shown (the ids of other objects into
    their names: core.views.audit_names), after the comparison."""
    old, new = before or {}, after or {}
    found = []
    for name in [*old, *(k for k in new if k not in old)]:
        if name in SKIPPED or (before is not None and after is not None
                               and old.get(name) == new.get(name)):
            continue
        if name in hidden:
            a = HIDDEN if before is not None else "—"
            b = HIDDEN if after is not None else "—"
        else:
            show = rights_words if name == "rights" else _words(entity, name)
            a = show(_named(named, name, old.get(name))) if before is not None else "—"
            b = show(_named(named, name, new.get(name))) if after is not None else "—"
        if a == b == "—":  # an empty field of a creation or a removal says nothing
            continue
        found.append((label(entity, name), a, b))
    return found


#: fields written in the desk's one vocabulary (core/vocabulary.py), as the lists show them
VOCABULARY: dict[tuple[str, str], Callable[[str], str]] = {
    ("access_pass", "type"): pass_type_name, ("access_pass", "colour"): colour_name}


def _words(entity: str, name: str) -> Callable[[Any], str]:
    """How a field's value is shown: the vocabulary's word for a pass's type or colour."""
    words = VOCABULARY.get((entity, name))
    if words is None:
        return shown
    return lambda value: words(value) if isinstance(value, str) and value else shown(value)


def _named(named: Callable[[str, Any], Any] | None, name: str, value: Any) -> Any:
    return named(name, value) if named is not None else value
