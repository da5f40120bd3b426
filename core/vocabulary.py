"""One way of writing an APass's type and colour, everywhere the desk shows or exports
them (a tab, Flat management, a dialog's choices, an export): the guide's words, "Radio
transmitter", "Dual tech", and the colour tag in capitals as on the guide's APASS
MANAGEMENT ("Colour : GREEN")."""

from __future__ import annotations

from core.model import APassColour, APassType

PASS_TYPE_NAMES = {
    APassType.PROXIMITY_FOB: "Proximity fob",
    APassType.RADIO_TRANSMITTER: "Radio transmitter",
    APassType.DUAL_TECH: "Dual tech",
}


def pass_type_name(value: str) -> str:
    """ "Proximity fob", "Radio transmitter", "Dual tech" (an unknown value as it is)."""
    try:
        return PASS_TYPE_NAMES[APassType(value)]
    except ValueError:
        return value


def colour_name(value: str) -> str:
    """ "GREEN": a colour tag as the guide writes it (an unknown value as it is)."""
    try:
        return APassColour(value).value.upper()
    except ValueError:
        return value


def pass_type_options() -> list[tuple[str, str]]:
    """(name, value) for a dialog's choice of type."""
    return [(name, t.value) for t, name in PASS_TYPE_NAMES.items()]


def colour_options() -> list[tuple[str, str]]:
    """(name, value) for a dialog's choice of colour."""
    return [(colour_name(c.value), c.value) for c in APassColour]
