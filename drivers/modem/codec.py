"""AT result lines, pure (3GPP TS 27.007 / 27.005): what each line a modem sends means.

A modem's output is lines ending CR LF. A command's reply is its information
lines then one final result: `OK`, `ERROR`, `+CME ERROR: <n|text>` (equipment,
27.007 §9.2) or `+CMS ERROR: <n>` (messaging, 27.005 §3.2.5). Unsolicited
result codes (URCs) may come at any moment, between two replies or inside
one: `RING` / `+CRING: <type>`, `+CLIP: "<number>",<type>[,<subaddr>,<satype>,
<alpha>,<validity>]`, `+CMTI: "<mem>",<index>`, `+CREG: <stat>`, and a modem's
own boot lines (`RDY`, `+CFUN: 1`, `+CPIN: READY`). `AT+CMGS` answers with
the prompt `> ` (no line end) before its final result.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

#: +CME ERROR codes (27.007 §9.2.1) -> a name; verbose modems (AT+CMEE=2) send the text
CME_ERRORS = {
    0: "phone failure", 3: "operation not allowed", 4: "operation not supported",
    10: "SIM not inserted", 11: "SIM PIN required", 12: "SIM PUK required", 13: "SIM failure",
    14: "SIM busy", 15: "SIM wrong", 16: "incorrect password", 20: "memory full",
    21: "invalid index", 22: "not found", 30: "no network service", 31: "network timeout",
    100: "unknown",
}
#: +CMS ERROR codes (27.005 §3.2.5) -> a name
CMS_ERRORS = {
    300: "ME failure", 302: "operation not allowed", 303: "operation not supported",
    304: "invalid PDU mode parameter", 305: "invalid text mode parameter",
    310: "SIM not inserted", 311: "SIM PIN required", 313: "SIM failure",
    320: "memory failure", 321: "invalid memory index", 322: "memory full",
    330: "SMSC address unknown", 331: "no network service", 332: "network timeout",
    500: "unknown error",
}
#: +CREG stat -> the Devices tab's word
REGISTRATION = {0: "not searching", 1: "home", 2: "searching", 3: "denied", 4: "unknown",
                5: "roaming"}
FINAL_PLAIN = frozenset({"OK", "ERROR", "NO CARRIER", "NO ANSWER", "BUSY", "NO DIALTONE"})
BOOT_LINES = frozenset({"RDY", "+CFUN: 1", "+CPIN: READY", "+CPIN: SIM PIN", "PB DONE",
                        "SMS DONE", "Call Ready", "SMS Ready"})
_CLIP = re.compile(r'\+CLIP:\s*"([^"]*)"\s*,\s*(\d+)(?:,[^,]*,[^,]*,(?:"[^"]*"|[^,]*),\s*(\d))?')
_CMTI = re.compile(r'\+CMTI:\s*"([^"]*)"\s*,\s*(\d+)')
_CREG = re.compile(r"\+CREG:\s*(?:(\d)\s*,\s*)?(\d)(?:\s*,.*)?$")
_CSQ = re.compile(r"\+CSQ:\s*(\d+)\s*,\s*(\d+)")
_COPS = re.compile(r'\+COPS:\s*\d+(?:\s*,\s*\d+\s*,\s*"([^"]*)")?')
_CMGR = re.compile(r'\+CMGR:\s*"([^"]*)"\s*,\s*"([^"]*)"\s*,[^,]*,\s*"([^"]*)"')
_CMGL = re.compile(r'\+CMGL:\s*(\d+)\s*,')
_CMGS = re.compile(r'\+CMGS:\s*(\d+)')
_NOT_DIALLABLE = re.compile(r"[^0-9*#+A-Da-d]")


class Urc(enum.Enum):
    """The unsolicited result codes the driver acts on."""

    RING = "ring"
    CLIP = "clip"
    CMTI = "cmti"
    CREG = "creg"
    BOOT = "boot"  # the modem restarted: its settings are gone


class ModemError(Exception):
    """A command's final result was an error; `name` is what 27.007/27.005 call it."""

    def __init__(self, kind: str, code: int | None, name: str, command: str = "") -> None:
        self.kind, self.code, self.name, self.command = kind, code, name, command
        super().__init__(f"{command or 'command'}: {kind} ERROR {name}")


class CmeError(ModemError):
    """+CME ERROR: the modem or SIM refused."""


class CmsError(ModemError):
    """+CMS ERROR: the message service refused."""


def is_final(line: str) -> bool:
    """True if the line ends a command's reply."""
    return line in FINAL_PLAIN or line.startswith(("+CME ERROR:", "+CMS ERROR:"))


def error_of(line: str, command: str = "") -> ModemError | None:
    """The named error a final result line means (None for OK)."""
    if line == "OK":
        return None
    if line.startswith(("+CME ERROR:", "+CMS ERROR:")):
        kind, value = line[1:4], line.split(":", 1)[1].strip()
        table = CME_ERRORS if kind == "CME" else CMS_ERRORS
        code = int(value) if value.isdigit() else None
        if code is None:  # verbose: the text is the name
            code = next((c for c, n in table.items() if n.lower() == value.lower()), None)
        name = table.get(code, value) if code is not None else value
        cls = CmeError if kind == "CME" else CmsError
        return cls(kind, code, name, command)
    return ModemError("", None, line.lower(), command)


def urc_of(line: str) -> Urc | None:
    """Which URC a line is, if it is one (+CREG: with two numbers is AT+CREG?'s answer)."""
    if line == "RING" or line.startswith("+CRING:"):
        return Urc.RING
    if line.startswith("+CLIP:"):
        return Urc.CLIP if _CLIP.match(line) else None
    if line.startswith("+CMTI:"):
        return Urc.CMTI
    if line.startswith("+CREG:"):
        match = _CREG.match(line)
        return Urc.CREG if match and match.group(1) is None else None
    if line in ("RDY", "+CFUN: 1"):
        return Urc.BOOT
    return None


@dataclass(frozen=True)
class Caller:
    """Who is calling: the number (with + when international), or "" when not shown."""

    number: str
    withheld: bool


def dial_string(number: str) -> str:
    """A number as a modem may give it: digits, '+', '*', '#' and A-D (27.007 §6.2);
    anything else becomes '?'. Never cleaned by removal: "+4475462773<CSI>60" with the
    control character dropped is somebody else's number, and it would be the event's
    (and an 8-bit CSI, cleaned off the event's description, took the text after it)."""
    return _NOT_DIALLABLE.sub("?", number)


def parse_clip(line: str) -> Caller | None:
    """+CLIP: "<number>",<type>[,,,,<validity>] -> the caller (27.007 §7.6)."""
    match = _CLIP.match(line)
    if match is None:
        return None
    number, ton = dial_string(match.group(1).strip()), int(match.group(2))
    validity = int(match.group(3)) if match.group(3) else 0
    if validity != 0 or not number or ton == 128:
        return Caller("", True)
    if ton == 145 and not number.startswith("+"):
        number = "+" + number
    return Caller(number, False)


def parse_cmti(line: str) -> tuple[str, int] | None:
    """+CMTI: "<mem>",<index> -> (memory, index)."""
    match = _CMTI.match(line)
    return (match.group(1), int(match.group(2))) if match else None


def parse_creg(line: str) -> int | None:
    """+CREG: [<n>,]<stat> -> stat."""
    match = _CREG.match(line)
    return int(match.group(2)) if match else None


def parse_csq(line: str) -> int | None:
    """+CSQ: <rssi>,<ber> -> rssi (0..31, 99 unknown)."""
    match = _CSQ.match(line)
    return int(match.group(1)) if match else None


def parse_cops(line: str) -> str | None:
    """+COPS: <mode>[,<format>,"<oper>"] -> the operator ("" when not registered)."""
    match = _COPS.match(line)
    return (match.group(1) or "") if match else None


def parse_cmgr(lines: list[str]) -> tuple[str, str, str] | None:
    """AT+CMGR's text-mode reply -> (sender, timestamp, text); None if not a message."""
    for i, line in enumerate(lines):
        match = _CMGR.match(line)
        if match:
            return match.group(2), match.group(3), "\n".join(lines[i + 1:])
    return None


def parse_cmgl(lines: list[str]) -> list[int]:
    """AT+CMGL's reply -> the indexes of the stored messages."""
    return [int(m.group(1)) for line in lines if (m := _CMGL.match(line))]


def parse_cmgs(line: str) -> int | None:
    """+CMGS: <mr> -> the message reference AT+CMGS was given."""
    match = _CMGS.match(line)
    return int(match.group(1)) if match else None


def dbm(rssi: int) -> int | None:
    """+CSQ rssi -> dBm (27.007 §8.5): 0 is -113 or less, 31 is -51 or more, 99 unknown."""
    if not 0 <= rssi <= 31:
        return None
    return -113 + 2 * rssi


def bars(rssi: int) -> int:
    """Signal as 0-4 bars, the way handsets draw it (< -105, -105, -95, -85, -75 dBm)."""
    level = dbm(rssi)
    if level is None:
        return 0
    return sum(level >= edge for edge in (-105, -95, -85, -75))


def signal_text(rssi: int | None) -> str:
    """"▂▄▆_ -71 dBm" for the Devices tab (plain text), "unknown" when not known."""
    if rssi is None or dbm(rssi) is None:
        return "unknown"
    n = bars(rssi)
    return "▂▄▆█"[:n] + "_" * (4 - n) + f" {dbm(rssi)} dBm"
