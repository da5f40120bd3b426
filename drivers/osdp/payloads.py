"""OSDP payloads: what the data of each command and reply holds. Pure functions, no I/O.

The frame around them (addresses, lengths, checks, sequence numbers) is
drivers.osdp.codec; the Secure Channel's SCB and MAC are drivers.osdp.secure.
Multi-byte numbers are little endian; timers count tenths of a second.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from drivers.osdp.codec import FrameError

# --- command payloads ----------------------------------------------------------------------

class Output(enum.IntEnum):
    """OUT control codes."""

    NOP = 0
    OFF = 1  # permanent off, abort a timed operation
    ON = 2  # permanent on, abort a timed operation
    OFF_AFTER = 3
    ON_AFTER = 4
    PULSE_ON = 5  # temporary on for the timer, then back
    PULSE_OFF = 6


class Color(enum.IntEnum):
    """LED colours."""

    BLACK = 0
    RED = 1
    GREEN = 2
    AMBER = 3
    BLUE = 4


def out_data(output_no: int, control: int, timer_100ms: int = 0) -> bytes:
    """OUT: one output's control code and timer (units of 100 ms)."""
    return struct.pack("<BBH", output_no, control, min(timer_100ms, 0xFFFF))


def led_data(color: int, on_100ms: int, reader: int = 0, led: int = 0,
             permanent: int = Color.BLACK) -> bytes:
    """LED: show `color` steadily for a while (temporary state), then the permanent colour."""
    return bytes((reader, led,
                  2, 10, 0, color, color, on_100ms & 0xFF, on_100ms >> 8,  # temporary, timed
                  1, 10, 0, permanent, permanent))  # permanent: steady


def buz_data(on_100ms: int, off_100ms: int = 0, count: int = 1, reader: int = 0) -> bytes:
    """BUZ: the default tone `count` times."""
    return bytes((reader, 2, on_100ms, off_100ms, count))


def keyset_data(key: bytes) -> bytes:
    """KEYSET: a new secure channel base key (type 1 = SCBK)."""
    return bytes((1, len(key))) + key


def comset_data(address: int, baud: int) -> bytes:
    """COMSET: a new address and baud rate."""
    return struct.pack("<BI", address, baud)


# --- reply payloads ------------------------------------------------------------------------

@dataclass(frozen=True)
class PdId:
    """PDID: who made the reader."""

    vendor: int
    model: int
    version: int
    serial: int
    firmware: str


def parse_pdid(data: bytes) -> PdId:
    """PDID: vendor (3), model, version, serial (4, LE), firmware major.minor.build."""
    if len(data) < 12:
        raise FrameError("PDID too short")
    vendor = data[0] | data[1] << 8 | data[2] << 16
    serial = struct.unpack_from("<I", data, 5)[0]
    return PdId(vendor, data[3], data[4], serial, f"{data[9]}.{data[10]}.{data[11]}")


CAPABILITY_NAMES = {
    1: "contact status", 2: "outputs", 3: "card format", 4: "LEDs", 5: "audible",
    6: "text", 7: "time keeping", 8: "check character", 9: "security",
    10: "receive buffer", 11: "combined message", 12: "smart card", 13: "readers",
    14: "biometrics",
}


def parse_pdcap(data: bytes) -> dict[int, tuple[int, int]]:
    """PDCAP: function code -> (compliance level, number of items)."""
    return {data[i]: (data[i + 1], data[i + 2]) for i in range(0, len(data) - 2, 3)}


def describe_caps(caps: dict[int, tuple[int, int]]) -> str:
    """PDCAP in words: "outputs 1, LEDs 1, CRC-16, AES-128, receive buffer 256 bytes"."""
    words = []
    for code, (compliance, n) in sorted(caps.items()):
        name = CAPABILITY_NAMES.get(code)
        if name is None:
            continue
        if code == 8:  # check character: compliance 1 = CRC-16 supported
            words.append("CRC-16" if compliance else "checksum only")
        elif code == 9:  # communication security: compliance bit 0 = AES-128
            words.append(("AES-128" + (" (install key)" if n & 1 else ""))
                         if compliance & 1 else "no secure channel")
        elif code in (10, 11):  # sizes: compliance is the low byte, items the high byte
            words.append(f"{name} {compliance | n << 8} bytes")
        elif code == 3:  # card data format
            words.append({1: "card data binary", 2: "card data BCD",
                          3: "card data binary or BCD"}.get(compliance, "card data"))
        elif code == 7:
            continue  # time keeping: deprecated
        else:
            words.append(f"{name} {n}")
    return ", ".join(words)


@dataclass(frozen=True)
class CardRead:
    """RAW: a card's bits as read (format 0 unspecified, 1 Wiegand)."""

    reader: int
    format: int
    bits: int
    data: bytes


def parse_raw(data: bytes) -> CardRead:
    """RAW: reader, format, bit count (LE), then the bits, MSB first."""
    if len(data) < 4:
        raise FrameError("RAW too short")
    bits = data[2] | data[3] << 8
    body = data[4:]
    if bits == 0 or (bits + 7) // 8 != len(body):
        raise FrameError(f"RAW says {bits} bits but carries {len(body)} bytes")
    return CardRead(data[0], data[1], bits, bytes(body))


def parse_keypad(data: bytes) -> tuple[int, bytes]:
    """KEYPAD: reader, count, keys (ASCII; 0x7F means '*', 0x0D means '#')."""
    if len(data) < 2 or len(data) - 2 != data[1]:
        raise FrameError("KEYPAD length does not match its count")
    keys = data[2:].replace(b"\x7f", b"*").replace(b"\x0d", b"#")
    return data[0], keys


def parse_nak(data: bytes) -> int:
    """NAK: the reason code (0 if missing)."""
    return data[0] if data else 0
