"""Add or modify a device (Devices tab, `n` / `e`, with Devices Create/Modify): its type,
block, the control unit it is wired to, its doors on relays 1 to 4 with their open
times, and what its type needs. Only the fields of the type chosen are shown; the others
are sent empty, and core checks everything again (a refusal shows by its field).

A Secure Channel key typed here is stored and never shown again: the field always opens
empty, and left empty it keeps the key set. A reader with no key yet that is still on
its install key gets a fresh one, sent to it by the gateway with KEYSET."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.widgets import Select

from console.context import ConsoleContext
from console.screens.device_detail import TYPE_LABELS
from console.widgets.form import Field, FormScreen
from console.widgets.plain import plain
from core.config import CARD_FORMATS
from core.model import Device, DeviceType, Door
from core.rules import NOTES_MAX
from core.services.devices import FORM_RELAYS, create_device, new_key, update_device
from core.views.rows import DeviceRow

#: "none" in a Select (which holds no None): no block (the site's), not wired to a unit
NONE = 0
#: the fields only some types have, and those types
ONLY = {
    "bus": {DeviceType.READER, DeviceType.GSM_MODEM},
    "card_format": {DeviceType.READER},
    "secure": {DeviceType.READER},
    "scbk": {DeviceType.READER},
    "sc_install": {DeviceType.READER},
    "telephone": {DeviceType.GSM_MODEM},
    "display_capacity": {DeviceType.IPGUARD_4G, DeviceType.PANEL_3G},
}


class DeviceForm(FormScreen):
    """The device dialog: fields shown by type."""

    DEFAULT_CSS = "DeviceForm .field.-hidden { display: none; }"

    def on_mount(self) -> None:
        self._show_for(self.query_one("#f-type", Select).value)

    @on(Select.Changed, "#f-type")
    def _type_changed(self, event: Select.Changed) -> None:
        self._show_for(event.value)

    def _show_for(self, kind: object) -> None:
        for name, kinds in ONLY.items():
            self.query_one(f"#field-{name}").set_class(kind not in kinds, "-hidden")


def _door_fields(doors: dict[int, Door]) -> list[Field]:
    fields = []
    for relay in FORM_RELAYS:
        door = doors.get(relay)
        fields += [Field(f"relay{relay}_name", f"Relay {relay}: door (blank = none)",
                         door.name if door else ""),
                   Field(f"relay{relay}_open_seconds", f"Relay {relay}: open time (s)",
                         str(door.open_seconds) if door else "5")]
    return fields


def device_form(ctx: ConsoleContext, site_id: int, row: DeviceRow | None,
                blocks: list[tuple[int, str]], units: list[DeviceRow],
                block_id: int | None = None) -> DeviceForm:
    """Add a device to the site (in `block_id` when one is selected), or modify one."""
    kinds = [(plain(TYPE_LABELS[k]), k) for k in DeviceType]
    block_options = [(plain("— (the site)"), NONE)] + [(plain(n), i) for i, n in blocks]
    unit_options = [(plain("— (none)"), NONE)] + [(plain(u.name), u.id) for u in units
                                                 if row is None or u.id != row.id]
    key_help = ("set: blank keeps it" if row is not None and row.secure
                else "blank: a new one, for a reader on its install key")
    fields = [
        Field("name", "Device name", row.name if row else ""),
        Field("type", "Type", row.type if row else DeviceType.READER, kind="select",
              options=kinds, allow_blank=False),
        Field("block_id", "Block", (row.block_id if row else block_id) or NONE, kind="select",
              options=block_options, allow_blank=False),
        Field("parent_id", "Wired to (control unit)", (row.parent_id if row else None) or NONE,
              kind="select", options=unit_options, allow_blank=False),
        Field("address", "Address (an OSDP reader's: 0 to 126 on its bus)",
              row.address if row else ""),
        Field("bus", "Serial port (a reader's RS-485 bus, a modem's port)",
              row.bus if row else "", placeholder="/dev/ttyUSB0"),
        Field("card_format", "Card format", (row.card_format if row else "") or CARD_FORMATS[0],
              kind="select", options=[(f, f) for f in CARD_FORMATS], allow_blank=False),
        Field("secure", "Secure Channel", row.secure if row else False, kind="switch"),
        Field("scbk", f"Secure Channel key, 32 hex digits ({key_help})", "", password=True),
        Field("sc_install", "The reader is still on its install key (send it the key)",
              row.sc_install if row else False, kind="switch"),
        Field("telephone", "Modem's telephone number", row.telephone if row else ""),
        Field("display_capacity", "Names its display holds",
              str(row.display_capacity) if row else "0"),
        Field("gsm_access_point", "GSM access point of the site",
              row.gsm_access_point if row else False, kind="switch"),
        *_door_fields({d.relay: d for d in row.doors} if row else {}),
        Field("notes", f"Notes (max {NOTES_MAX} characters)", row.notes if row else ""),
    ]

    async def save(values: dict[str, Any]) -> Device:
        kind = values["type"]
        has = {name: kind in kinds for name, kinds in ONLY.items()}
        changes: dict[str, Any] = {
            "name": values["name"], "type": kind, "notes": values["notes"],
            "block_id": values["block_id"] or None, "parent_id": values["parent_id"] or None,
            "gsm_access_point": values["gsm_access_point"], "address": values["address"],
            "bus": values["bus"] if has["bus"] else "",
            "card_format": values["card_format"] if has["card_format"] and values["bus"]
            else "",
            "telephone": values["telephone"] if has["telephone"] else "",
            "display_capacity": values["display_capacity"] if has["display_capacity"] else 0,
            "sc_install": bool(values["sc_install"]) and has["sc_install"],
        }
        if not (has["secure"] and values["secure"]):
            changes.update(scbk="", sc_install=False)
        elif values["scbk"]:
            changes["scbk"] = values["scbk"]
        elif row is not None and row.secure:
            changes["scbk"] = None  # keep the key set
        else:  # commissioning: a fresh key, sent to the reader on its install key
            changes.update(scbk=new_key(), sc_install=True)
        doors = [Door(0, relay, values[f"relay{relay}_name"],
                      values[f"relay{relay}_open_seconds"], held_open_seconds=max(
                          held.get(relay, 30), _number(values[f"relay{relay}_open_seconds"])))
                 for relay in FORM_RELAYS if values[f"relay{relay}_name"].strip()]
        if row is None:
            if changes["scbk"] is None:
                del changes["scbk"]
            return await ctx.change(create_device, Device(site_id=site_id, **changes), doors)
        return await ctx.change(update_device, row.id, doors=doors, **changes)

    held = {d.relay: d.held_open_seconds for d in row.doors} if row else {}
    title = f"Modify device {row.name}" if row else "Add a device"
    return DeviceForm(title, fields, save)


def _number(typed: str) -> int:
    """The open time as typed, for the held-open alarm's default (core checks it)."""
    return int(typed) if typed.strip().isascii() and typed.strip().isdigit() else 0
