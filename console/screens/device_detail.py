"""A device in full (Enter on the Devices tab), the door picker of a remote opening, and
the way a device's health reads: Online/Offline, last seen, the driver's counters."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from console.widgets.key_bar import KeyBar
from console.widgets.plain import plain
from core.model import DeviceType, Door
from core.views.rows import DeviceRow

#: the guide's names of device types
TYPE_LABELS = {
    DeviceType.IPGUARD_4G: "IPGUARD 4G",
    DeviceType.PANEL_3G: "3G panel",
    DeviceType.CONTROL_UNIT: "Control unit",
    DeviceType.READER: "Reader",
    DeviceType.RADIO_RECEIVER: "Radio receiver",
    DeviceType.CODE_KEYPAD: "Code keypad",
    DeviceType.KEY_SAFE: "IPKEYSAFE",
    DeviceType.GSM_MODEM: "GSM modem",
}
ONLINE, OFFLINE, UNKNOWN = "green", "red", "grey50"


def health_text(state: dict | None) -> Text:
    """● Online in green, ● Offline in red, "unknown" before the gateway reports."""
    if not state or not isinstance(state.get("online"), bool):
        return Text("unknown", style=UNKNOWN)
    text = (Text("● Online", style=ONLINE) if state["online"]
            else Text("● Offline", style=f"bold {OFFLINE}"))
    info = state.get("info")
    if state["online"] and isinstance(info, dict) and "registration" in info:
        # a GSM modem: its network and signal bars ("● Online home ▂▄▆_")
        signal = str(info.get("signal", ""))
        bars = signal.split(" ", 1)[0] if "dBm" in signal else ""
        text.append(plain(f" {info['registration']} {bars}".rstrip()))
    return text


def seen_at(state: dict | None) -> datetime | None:
    """When the device last said something (aware), if the gateway knows."""
    value = (state or {}).get("last_seen")
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def last_seen_text(state: dict | None, now: datetime, tz: ZoneInfo) -> str:
    """"12 s ago", "5 min ago", "3 h ago"; a day or more back, the site's local time."""
    at = seen_at(state)
    if at is None:
        return "—"
    seconds = max(0, int((now - at).total_seconds()))
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def counter_text(name: str, n: object, sep: str = " ") -> str:
    """"grants 12"; a gauge named "... ms" reads "round trip 13 ms"."""
    if isinstance(name, str) and name.endswith(" ms"):
        return f"{name[:-3]}{sep}{n} ms"
    return f"{name}{sep}{n}"


def counters_text(state: dict | None) -> str:
    """The driver's counters in one line: "grants 12 · denials 3"."""
    counters = (state or {}).get("counters")
    if not isinstance(counters, dict) or not counters:
        return ""
    return " · ".join(counter_text(name, n) for name, n in counters.items())


def door_text(door: Door) -> str:
    """A door as the tab lists it: name, relay, open time."""
    return f"{door.name} R{door.relay} {door.open_seconds} s"


def doors_cell(row: DeviceRow) -> Text:
    """Its own doors; a reader's control-unit doors dimmed, after an arrow."""
    if row.doors:
        return plain(", ".join(door_text(d) for d in row.doors))
    if row.inherited:
        return plain("↳ " + ", ".join(door_text(d) for d in row.inherited), "dim")
    return plain("—", "dim")


def _line(label: str, value: object = None, style: str = "") -> Text:
    """"Label: value" (the value shown literally); wraps in the dialog."""
    if value is None:
        return Text(label, style="bold")
    return Text.assemble((f"{label}: " if label else "", "bold"), plain(value, style))


class DeviceDetailScreen(ModalScreen[None]):
    """Every field of a device, its doors, its health and counters: plain text."""

    BINDINGS = [Binding("escape", "close", "Close"), Binding("enter", "close", "Close",
                                                             show=False)]
    DEFAULT_CSS = """
    DeviceDetailScreen .dialog-body Static { height: auto; }
    """

    def __init__(self, row: DeviceRow, state: dict | None, now: datetime, tz: ZoneInfo) -> None:
        super().__init__(classes="form-screen")
        self.row, self.state, self.now, self.tz = row, state, now, tz

    def lines(self) -> list[Text]:
        """What the dialog says, a line each."""
        row, state = self.row, self.state
        at = seen_at(state)
        seen = last_seen_text(state, self.now, self.tz)
        if at is not None:
            seen += f" ({at.astimezone(self.tz):%Y-%m-%d %H:%M:%S %Z})"
        out = [
            _line("Type", TYPE_LABELS.get(row.type, row.type)),
            _line("Block", row.block or "— (the site)"),
            _line("Wired to", row.parent or "—"),
            _line("GSM access point", "yes" if row.gsm_access_point else "no"),
            _line("Address", row.address or "—"),
            *([_line("Serial port", row.bus)] if row.bus else []),
            *([_line("Card format", row.card_format)] if row.card_format else []),
            *([_line("Secure Channel", "key set" + (", sent on its install key"
                                                     if row.sc_install else ""))]
              if row.secure else []),
            *([_line("Telephone", row.telephone)] if row.telephone else []),
            *([_line("Display holds", f"{row.display_capacity} names")]
              if row.display_capacity else []),
            Text.assemble(("Health: ", "bold"), health_text(state)),
            _line("Last seen", seen),
        ]
        info = (state or {}).get("info")
        # what the device says: a reader's OSDP ID and CAP, a modem's network, signal, operator
        if isinstance(info, dict) and info:
            out.append(_line("Reported by the device:"))
            out += [_line("", f"  {name}: {value}") for name, value in info.items()]
        counters = (state or {}).get("counters")
        if isinstance(counters, dict) and counters:
            out.append(_line("Counters:"))
            out += [_line("", "  " + counter_text(name, n, ": ")) for name, n in counters.items()]
        else:
            out.append(_line("Counters", "—"))
        if row.doors:
            out.append(_line("Doors:"))
            out += [_line("", f"  Relay {d.relay}: {d.name} — opens {d.open_seconds} s, "
                          f"held-open alarm after {d.held_open_seconds} s") for d in row.doors]
        elif row.inherited:
            out.append(_line("Doors", f"none of its own; opens {row.parent}'s"))
            out += [_line("", f"  Relay {d.relay}: {d.name} — opens {d.open_seconds} s")
                    for d in row.inherited]
        else:
            out.append(_line("Doors", "none"))
        if row.wired:
            out.append(_line("Wired to it", ", ".join(row.wired)))
        out.append(_line("Notes", row.notes or "—"))
        return out

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.row.name, "bold"), classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                for line in self.lines():
                    yield Static(line)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="close")
        yield KeyBar()  # this window's keys, not those of the screen under it

    def on_mount(self) -> None:
        self.query_one("#close").focus()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)


class DoorPickScreen(ModalScreen[Door | None]):
    """Which door of the device to open (when it has several)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    DoorPickScreen OptionList { height: auto; max-height: 12; }
    """

    def __init__(self, device: str, doors: tuple[Door, ...]) -> None:
        super().__init__(classes="form-screen")
        self.device = device
        self.doors = doors

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog confirm"):
            yield Static(plain(f"Open which door of {self.device}?", "bold"),
                         classes="dialog-title")
            yield OptionList(*[Option(plain(door_text(d)), id=str(i))
                               for i, d in enumerate(self.doors)])

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.doors[int(event.option.id)])

    def action_cancel(self) -> None:
        self.dismiss(None)
