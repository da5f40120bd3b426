"""Hard limits at the edge: what one SSH client may send before it reaches its console.

Applied by the worker to a session's channel, before Textual sees a byte, so one
careless or hostile client can cost its worker only a bounded amount:

- window sizes are clamped to `MAX_COLUMNS` x `MAX_ROWS` (a larger request is clamped,
  not refused: the client sees the top-left part);
- input is cut into whole units (a character, an escape sequence, a bracketed paste) and
  let through at `KEYS_PER_SECOND` after a burst of `KEY_BURST`; a unit is passed or
  dropped whole, so a cut never leaves half an escape sequence to be typed as text;
- a bracketed paste is one unit, cut to `PASTE_MAX` bytes (more than any field takes),
  its end marker kept so the terminal's paste mode closes.

The dropped counts are returned so the session can tell its operator.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_COLUMNS = 500
MAX_ROWS = 200
#: keys, mouse reports and pastes a session may send at once, then per second
KEY_BURST = 100
KEYS_PER_SECOND = 40.0
#: bytes of one bracketed paste let through (the longest field takes far fewer)
PASTE_MAX = 4096

PASTE_START = b"\x1b[200~"
PASTE_END = b"\x1b[201~"
#: one unit: a paste start, a CSI / SS3 / other escape, a UTF-8 character, any other byte
_UNIT = re.compile(rb"\x1b\[200~|\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]|\x1bO.|\x1b[^\[O]"
                   rb"|[\xc0-\xff][\x80-\xbf]{0,3}|.", re.DOTALL)
#: a chunk ending in the middle of a unit (not a lone Esc: that may be the Esc key)
_OPEN_TAIL = re.compile(rb"(\x1b\[[\x30-\x3f]*[\x20-\x2f]*|\x1bO|[\xc0-\xdf]"
                        rb"|[\xe0-\xef][\x80-\xbf]?|[\xf0-\xf7][\x80-\xbf]{0,2})\Z")
#: what continues an escape sequence cut at a chunk's end
_CONTINUATION = re.compile(rb"^[\x20-\x3f]*[\x40-\x7e]|^[\x80-\xbf]+")
_HELD_MAX = 64  # an open tail longer than this is dropped, not held
#: what does not start a unit: UTF-8 continuation bytes
_CONTINUATION_BYTES = bytes(range(0x80, 0xC0))


_COUNT_EXACTLY = 4096


def _count_units(data: bytes) -> int:
    """How many units `data` holds; above _COUNT_EXACTLY bytes, cheaply and about right
    (an escape sequence counted by its bytes), so a megabyte of garbage is dropped in
    milliseconds instead of holding the worker's loop for half a second."""
    if len(data) <= _COUNT_EXACTLY:
        return len(_UNIT.findall(data))
    return len(data.translate(None, _CONTINUATION_BYTES))


def clamp_size(width: int, height: int) -> tuple[int, int]:
    """The window size a session gets for the one its client asked for."""
    return max(1, min(width or 80, MAX_COLUMNS)), max(1, min(height or 24, MAX_ROWS))


@dataclass
class Cut:
    """What one call let through and what it dropped."""

    data: bytes
    keys_dropped: int = 0
    paste_dropped: int = 0


class InputLimiter:
    """One session's input: a token bucket of units, pastes cut to `PASTE_MAX`."""

    def __init__(self, burst: int = KEY_BURST, per_second: float = KEYS_PER_SECOND,
                 paste_max: int = PASTE_MAX,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = burst
        self.rate = per_second
        self.paste_max = paste_max
        self.clock = clock
        self.tokens = float(burst)
        self.at = clock()
        self.held = b""  # an open tail kept for the next chunk
        self.in_paste = False
        self.paste_sent = 0
        self.resync = False  # a dropped chunk ended inside a sequence

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def feed(self, data: bytes) -> Cut:
        """The part of `data` that goes on to the console."""
        self._refill()
        data, self.held = self.held + data, b""
        if self.resync:
            self.resync = False
            if m := _CONTINUATION.match(data):
                data = data[m.end():]
        out = bytearray()
        cut = Cut(b"")
        pos = 0
        while pos < len(data):
            if self.in_paste:
                pos = self._paste(data, pos, out, cut)
                continue
            if self.tokens < 1:  # nothing more this time: drop the rest, whole units
                rest = data[pos:]
                cut.keys_dropped += _count_units(rest)
                self.resync = bool(_OPEN_TAIL.search(rest[-_HELD_MAX:]))
                break
            if (tail := _OPEN_TAIL.match(data, pos)) and tail.end() == len(data):
                if len(data) - pos <= _HELD_MAX:
                    self.held = data[pos:]
                break
            m = _UNIT.match(data, pos)
            assert m is not None  # `.` with DOTALL matches any byte
            unit = m.group()
            self.tokens -= 1
            out += unit
            pos = m.end()
            if unit == PASTE_START:
                self.in_paste, self.paste_sent = True, 0
        cut.data = bytes(out)
        return cut

    def _paste(self, data: bytes, pos: int, out: bytearray, cut: Cut) -> int:
        """Inside a bracketed paste: pass up to `paste_max` bytes, then only its end."""
        end = data.find(PASTE_END, pos)
        stop = len(data) if end < 0 else end
        if end < 0:  # keep a possible start of the end marker for the next chunk
            for n in range(len(PASTE_END) - 1, 0, -1):
                if data.endswith(PASTE_END[:n]):
                    stop = len(data) - n
                    self.held = data[stop:]
                    break
        room = max(0, self.paste_max - self.paste_sent)
        take = data[pos:min(stop, pos + room)]
        if len(take) < stop - pos:  # cut: not in the middle of a UTF-8 character
            while take and (take[-1] & 0xC0) == 0x80:
                take = take[:-1]
            if take and take[-1] >= 0xC0:
                take = take[:-1]
            self.paste_sent = self.paste_max
        else:
            self.paste_sent += len(take)
        out += take
        cut.paste_dropped += (stop - pos) - len(take)
        if end < 0:
            return len(data)
        out += PASTE_END
        self.in_paste = False
        return end + len(PASTE_END)
