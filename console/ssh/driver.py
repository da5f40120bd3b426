"""A Textual driver that speaks over one SSH channel instead of the process's terminal.

Output: the app writes a frame in pieces and then flushes; the driver sends the whole
frame at once, or drops it when the client is not reading (the channel's buffer is over
`limit`) and asks for a full repaint once the buffer drains, so a slow client costs a
bounded amount of memory and never holds up the others. Input: the channel's bytes are
decoded incrementally as UTF-8 and parsed by Textual's own xterm parser (a private
module: console/textual_compat.py holds it and the other private Textual parts).
No signals, no termios, no threads: everything runs on the worker's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from codecs import getincrementaldecoder
from typing import TYPE_CHECKING, Protocol

from textual import constants, events
from textual.driver import Driver
from textual.geometry import Size
from textual.message import Message

from console import textual_compat
from console.textual_compat import XTermParser

if TYPE_CHECKING:
    from textual.app import App

log = logging.getLogger(__name__)

#: bytes waiting in the channel above which frames are dropped
OUTPUT_LIMIT = 256 * 1024
#: one frame larger than this is never sent (a 500x200 window in full colour stays below)
FRAME_LIMIT = 4 * 1024 * 1024


# each app in the process renders in its own client's colour depth (see there)
textual_compat.colours_per_client()


class Channel(Protocol):
    """What the driver needs from the SSH side (console.ssh.session.SSHSession)."""

    def send(self, data: bytes) -> None: ...

    def buffered(self) -> int: ...

    def dropping(self, over: bool) -> None: ...


class SSHDriver(Driver):
    """Display and input for one app over one SSH channel."""

    def __init__(self, app: App, *, debug: bool = False, mouse: bool = True,
                 size: tuple[int, int] | None = None, channel: Channel,
                 limit: int = OUTPUT_LIMIT) -> None:
        super().__init__(app, debug=debug, mouse=mouse, size=size)
        self._channel = channel
        self._limit = limit
        self._frame: list[str] = []
        self._parser = XTermParser()
        self._decode = getincrementaldecoder("utf-8")("replace").decode
        self._tick: asyncio.TimerHandle | None = None
        self._input = False
        self._repaint_pending = False
        self.frames_sent = 0
        self.frames_dropped = 0

    # --- output ----------------------------------------------------------------------------
    def write(self, data: str) -> None:
        """Gather a piece of the frame being written."""
        self._frame.append(data)

    def flush(self) -> None:
        """Send the frame, or drop it when the client is behind (repainted in full later)."""
        if not self._frame:
            return
        data = "".join(self._frame).encode("utf-8", "replace")
        self._frame.clear()
        if len(data) > FRAME_LIMIT:
            self.frames_dropped += 1
            log.warning("a frame of %d bytes was not sent (over %d)", len(data), FRAME_LIMIT)
            return
        if self._channel.buffered() > self._limit:
            self.frames_dropped += 1
            self._repaint_pending = True
            self._channel.dropping(True)
            return
        self._channel.send(data)
        self.frames_sent += 1

    def _send_now(self, data: str) -> None:
        """Terminal modes go out whatever the buffer holds (they are small)."""
        self._frame.clear()
        self._channel.send(data.encode("utf-8"))

    def caught_up(self) -> None:
        """The client read its backlog: repaint the whole screen if frames were dropped."""
        self._channel.dropping(False)
        if self._repaint_pending:
            self._repaint_pending = False
            with contextlib.suppress(Exception):  # no screen yet, or the app is closing
                self._app.refresh(repaint=True)

    # --- modes -----------------------------------------------------------------------------
    def start_application_mode(self) -> None:
        """Alt screen, hidden cursor, mouse, bracketed paste, focus events; ask for sync output."""
        modes = "\x1b[?1049h\x1b[?25l\x1b[?1004h\x1b[?2004h\x1b[?7l"
        if self._mouse:
            modes += "\x1b[?1000h\x1b[?1003h\x1b[?1015h\x1b[?1006h"
        modes += "\x1b[?2026$p"  # the reply (if any) switches on synchronized output
        self._send_now(modes)
        self._input = True
        self.resize(*(self._size or (80, 24)))

    def disable_input(self) -> None:
        """Stop taking input (the app is closing)."""
        self._input = False
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None

    def stop_application_mode(self) -> None:
        """Give the client's terminal back as it was."""
        self.disable_input()
        modes = "\x1b[?2004l\x1b[?7h\x1b[?1004l"
        if self._mouse:
            modes += "\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l"
        self._send_now(modes + "\x1b[?1049l\x1b[?25h")

    # --- input -----------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """Bytes typed by the client: parsed into keys, mouse and paste events."""
        if not self._input:
            return
        text = self._decode(data)
        if text:
            for message in self._parser.feed(text):
                self.process_message(message)
        self._schedule_tick()

    def _schedule_tick(self) -> None:
        """A lone Esc is only known as such after the escape delay: tick the parser then."""
        if self._tick is None and textual_compat.escape_pending(self._parser):
            self._tick = self._loop.call_later(constants.ESCAPE_DELAY + 0.01, self._on_tick)

    def _on_tick(self) -> None:
        self._tick = None
        if not self._input:
            return
        for message in self._parser.tick():
            self.process_message(message)
        self._schedule_tick()

    def send_message(self, message: Message) -> None:
        """Post straight to the app: the driver runs on the app's own loop."""
        self._app.post_message(message)

    @property
    def window(self) -> tuple[int, int] | None:
        """The size the app was last given."""
        return self._size

    def resize(self, width: int, height: int) -> None:
        """The client's window changed size."""
        self._size = (width, height)
        self._parser.terminal_size = (width, height)
        size = Size(width, height)
        self.send_message(events.Resize(size, size))
