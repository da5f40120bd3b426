"""OSDP frames and checks: pure functions, no I/O (the payloads are drivers.osdp.payloads).

A frame on the wire (IEC 60839-11-5, SIA OSDP 2.2)::

    [FF] 53 ADDR LEN_L LEN_H CTRL [SCB: len type data..] CODE DATA.. [MAC x4] CHECK

- ``FF`` is an optional mark byte before the start of message ``53``.
- ADDR is the reader's address 0x00-0x7E (0x7F broadcast); replies set bit 7.
- LEN counts every byte from ``53`` to the last check byte (the mark excluded).
- CTRL: bits 0-1 the sequence number, 0x04 a CRC-16 (else a 1-byte checksum),
  0x08 a security control block (SCB) follows.
- The CRC is CRC-16/AUG-CCITT (poly 0x1021, init 0x1D0F, MSB first, no
  reflection), sent low byte first; the checksum is the two's complement of
  the byte sum.
- In a secure channel the SCB type says whether a 4-byte MAC follows the data
  (0x15-0x18) and whether the data is encrypted (0x17, 0x18); see secure.py.

The control panel starts at sequence 0 (the reader resets, dropping any
secure channel), then counts 1, 2, 3, 1 ... A repeated number asks the reader
to send its last reply again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

SOM = 0x53
MARK = 0xFF
BROADCAST = 0x7F
REPLY_BIT = 0x80
CTRL_SQN = 0x03
CTRL_CRC = 0x04
CTRL_SCB = 0x08
HEADER = 5  # SOM ADDR LEN_L LEN_H CTRL
MAX_FRAME = 1440  # largest frame we accept (libosdp's default buffer is smaller)
MAC_LEN = 4


class Cmd(enum.IntEnum):
    """Command codes (control panel to reader)."""

    POLL = 0x60
    ID = 0x61
    CAP = 0x62
    LSTAT = 0x64
    ISTAT = 0x65
    OSTAT = 0x66
    RSTAT = 0x67
    OUT = 0x68
    LED = 0x69
    BUZ = 0x6A
    TEXT = 0x6B
    COMSET = 0x6E
    KEYSET = 0x75
    CHLNG = 0x76
    SCRYPT = 0x77
    ACURXSIZE = 0x7B
    FILETRANSFER = 0x7C
    MFG = 0x80
    KEEPACTIVE = 0xA7


class Reply(enum.IntEnum):
    """Reply codes (reader to control panel)."""

    ACK = 0x40
    NAK = 0x41
    PDID = 0x45
    PDCAP = 0x46
    LSTATR = 0x48
    ISTATR = 0x49
    OSTATR = 0x4A
    RSTATR = 0x4B
    RAW = 0x50
    FMT = 0x51
    KEYPAD = 0x53
    COM = 0x54
    CCRYPT = 0x76
    RMAC_I = 0x78
    BUSY = 0x79
    MFGREP = 0x90


class Nak(enum.IntEnum):
    """Why a reader refused a command."""

    NONE = 0
    CHECK = 1
    LENGTH = 2
    UNKNOWN_COMMAND = 3
    SEQUENCE = 4
    SCB_UNSUPPORTED = 5
    SECURITY = 6
    BIO_TYPE = 7
    BIO_FORMAT = 8
    UNABLE = 9


class FrameError(ValueError):
    """Bytes that are not a valid frame (the reason says which check failed)."""


class CheckError(FrameError):
    """A frame whose CRC or checksum does not match."""


def crc16(data: bytes) -> int:
    """CRC-16/AUG-CCITT of `data` (b"123456789" -> 0xE5CC)."""
    crc = 0x1D0F
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
        crc &= 0xFFFF
    return crc


def _crc_table() -> list[int]:
    table = []
    for n in range(256):
        crc = n << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
        table.append(crc & 0xFFFF)
    return table


_TABLE = _crc_table()


def crc16_fast(data: bytes) -> int:
    """The same CRC by table (the hot path)."""
    crc = 0x1D0F
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _TABLE[((crc >> 8) ^ byte) & 0xFF]
    return crc


def checksum(data: bytes) -> int:
    """Two's complement of the byte sum."""
    return (-sum(data)) & 0xFF


def next_sequence(sequence: int) -> int:
    """1 -> 2 -> 3 -> 1 (0 only starts a conversation)."""
    return 1 if sequence >= 3 else sequence + 1


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its address (reply bit cleared), code and data."""

    address: int
    code: int
    data: bytes = b""
    sequence: int = 0
    reply: bool = False
    use_crc: bool = True
    scb: bytes | None = None  # the security control block (len, type, data) if present
    mac: bytes = b""
    raw: bytes = b""  # the frame as received (without the mark byte)

    @property
    def scb_type(self) -> int | None:
        """The SCB type (0x11-0x18), None without one."""
        return self.scb[1] if self.scb else None


def encode(address: int, code: int, data: bytes = b"", sequence: int = 0, *, reply: bool = False,
           use_crc: bool = True, scb: bytes | None = None, mac: bytes = b"") -> bytes:
    """One frame, ready for the wire (no mark byte)."""
    if not 0 <= address <= BROADCAST:
        raise ValueError(f"address {address} is not 0..127")
    if not 0 <= sequence <= 3:
        raise ValueError(f"sequence {sequence} is not 0..3")
    ctrl = sequence | (CTRL_CRC if use_crc else 0) | (CTRL_SCB if scb else 0)
    body = bytes((code,)) + bytes(data)
    length = HEADER + (len(scb) if scb else 0) + len(body) + len(mac) + (2 if use_crc else 1)
    head = bytes((SOM, address | (REPLY_BIT if reply else 0), length & 0xFF, length >> 8, ctrl))
    frame = head + (scb or b"") + body + mac
    if use_crc:
        crc = crc16_fast(frame)
        return frame + bytes((crc & 0xFF, crc >> 8))
    return frame + bytes((checksum(frame),))


def frame_length(buf: bytes | bytearray, start: int = 0) -> int | None:
    """The full length of the frame starting at buf[start] (a SOM), None if the header is short."""
    if len(buf) - start < 4:
        return None
    return buf[start + 2] | (buf[start + 3] << 8)


def decode(raw: bytes) -> Frame:
    """Check and split one frame (without the mark byte); raises FrameError."""
    raw = bytes(raw)
    if len(raw) < HEADER + 2:
        raise FrameError("frame too short")
    if raw[0] != SOM:
        raise FrameError("no start of message")
    length = raw[2] | (raw[3] << 8)
    if length != len(raw):
        raise FrameError(f"length field {length} but {len(raw)} bytes")
    ctrl = raw[4]
    use_crc = bool(ctrl & CTRL_CRC)
    end = len(raw) - (2 if use_crc else 1)
    if use_crc:
        if crc16_fast(raw[:end]) != raw[end] | (raw[end + 1] << 8):
            raise CheckError("bad CRC")
    elif checksum(raw[:end]) != raw[end]:
        raise CheckError("bad checksum")
    pos = HEADER
    scb = None
    mac = b""
    if ctrl & CTRL_SCB:
        if pos >= end or raw[pos] < 2 or pos + raw[pos] > end:
            raise FrameError("bad security block")
        scb = raw[pos:pos + raw[pos]]
        pos += raw[pos]
        if scb[1] in (0x15, 0x16, 0x17, 0x18):
            end -= MAC_LEN
            mac = raw[end:end + MAC_LEN]
    if pos >= end:
        raise FrameError("no code")
    return Frame(address=raw[1] & 0x7F, code=raw[pos], data=raw[pos + 1:end],
                 sequence=ctrl & CTRL_SQN, reply=bool(raw[1] & REPLY_BIT), use_crc=use_crc,
                 scb=scb, mac=mac, raw=raw)


class Deframer:
    """Splits a byte stream into frames: skips noise, drops frames that fail their check."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.bad_checks = 0  # frames dropped for a bad CRC or checksum
        self.bad_frames = 0  # other malformed frames dropped
        self.noise = 0  # bytes skipped that began no frame (no start of message)

    def clear(self) -> None:
        """Forget a partial frame (the inter-character timeout ran out)."""
        self.buf.clear()

    def feed(self, data: bytes) -> list[Frame]:
        """Add bytes; return every complete, valid frame."""
        self.buf += data
        out: list[Frame] = []
        buf = self.buf
        while buf:
            start = buf.find(SOM)
            if start < 0:
                self.noise += len(buf) - buf.count(MARK)
                buf.clear()
                break
            if start:
                self.noise += start - buf.count(MARK, 0, start)
                del buf[:start]
            length = frame_length(buf)
            if length is None:
                break
            if length < HEADER + 2 or length > MAX_FRAME:
                del buf[:1]  # a 0x53 inside noise: look for the next one
                self.bad_frames += 1
                continue
            if len(buf) < length:
                break
            try:
                out.append(decode(bytes(buf[:length])))
            except CheckError:
                self.bad_checks += 1
                del buf[:1]
                continue
            except FrameError:
                self.bad_frames += 1
                del buf[:1]
                continue
            del buf[:length]
        return out
