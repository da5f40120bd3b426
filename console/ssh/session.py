"""One SSH session: one console app, in-process, bound to one channel.

The session refuses a channel without a PTY with one plain line; otherwise it builds the
operator's context (their rights, a share of the worker's live feed) and runs the app
with the SSH driver. It ends the app at once when the channel closes, closes a session
whose client stops reading for too long, and turns an error inside the app into a short
message for that client and a log line: never an error of the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import asyncssh
from rich.console import Console

from console.rich_compat import environ_console
from console.ssh.driver import OUTPUT_LIMIT, SSHDriver
from console.ssh.limits import Cut, InputLimiter, clamp_size

if TYPE_CHECKING:
    from console.app import DoorkeeperApp
    from console.context import ConsoleContext

log = logging.getLogger(__name__)

NO_PTY = (b"Doorkeeper is a full-screen console: connect with a terminal, e.g. "
          b"`ssh -t -p PORT you@host` (not -T, no command).\r\n")
NO_COMMANDS = (b"Doorkeeper has no commands: connect with a terminal and no command, e.g. "
               b"`ssh -t -p PORT you@host`.\r\n")
#: window changes are applied at most this often (the latest size wins)
RESIZE_EVERY = 0.25
#: a session is told about cut input at most this often
NOTICE_EVERY = 5.0
#: a client that reads nothing for this long (frames dropped all along) is closed
STALL_SECONDS = 30.0
#: a closed channel's app gets this long to finish before its task is cancelled
END_GRACE = 2.0


@dataclass
class SessionHost:
    """What a session needs from its worker."""

    make_context: Callable[[str, str], Awaitable[ConsoleContext]]  # (operator, source)
    idle_timeout: float = 0.0  # seconds; 0 = never
    output_limit: int = OUTPUT_LIMIT
    on_end: Callable[[SSHSession], object] | None = None  # when the session is over


class NullFile(io.TextIOBase):
    """Where an app's console 'prints' (Textual renders through the driver)."""

    def write(self, s: str) -> int:
        return len(s)


def client_console(term_type: str, env: dict[str, str]) -> Console:
    """The Rich console of one client: colour depth from its TERM/COLORTERM, not ours."""
    environ = {"TERM": term_type or "xterm", "COLORTERM": env.get("COLORTERM", "")}
    return environ_console(environ, color_system="auto", file=NullFile(), markup=True,
                           highlight=False, emoji=False, legacy_windows=False,
                           force_terminal=True, safe_box=False, soft_wrap=False)


class SSHSession(asyncssh.SSHServerSession):
    """One channel's console (asyncssh calls these methods on the worker's loop)."""

    def __init__(self, host: SessionHost, operator: str, source: str) -> None:
        self.host = host
        self.operator = operator
        self.source = source
        self.chan: asyncssh.SSHServerChannel | None = None
        self.term_type = ""
        self.size = (80, 24)
        self.pty = False
        self.app: DoorkeeperApp | None = None
        self.driver: SSHDriver | None = None
        self.task: asyncio.Task | None = None
        self.closed = False
        self.ending = ""  # a line for the client once the app has given the terminal back
        self.last_input = time.monotonic()
        self.over_since: float | None = None
        self._idle: asyncio.TimerHandle | None = None
        self.command: str | None = None  # `ssh host cmd`: answered with one line
        self.limiter = InputLimiter()
        self._resize: asyncio.TimerHandle | None = None
        self._noticed = -NOTICE_EVERY
        self._dropped = [0, 0]  # keys, paste bytes not yet told

    # --- asyncssh callbacks --------------------------------------------------------------
    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        self.chan = chan
        chan.set_write_buffer_limits(high=self.host.output_limit // 2)

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int],
                      term_modes: Mapping[int, int]) -> bool:
        self.pty = True
        self.term_type = term_type
        self.size = clamp_size(term_size[0], term_size[1])
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self.command = command  # answered with one line: there are no commands
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        return False

    def session_started(self) -> None:
        if self.command is not None or not self.pty:
            self.send(NO_COMMANDS if self.command is not None else NO_PTY)
            self._close(1)
            self._ended()
            return
        self.task = asyncio.get_running_loop().create_task(
            self._run(), name=f"ssh session {self.operator} {self.source}")

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        """Input, cut at the edge (console.ssh.limits) before the app sees it."""
        self.last_input = time.monotonic()
        if self.driver is None:
            return
        cut = self.limiter.feed(data)
        if cut.data:
            self.driver.feed(cut.data)
        if cut.keys_dropped or cut.paste_dropped:
            self._tell_cut(cut)

    def _tell_cut(self, cut: Cut) -> None:
        """Tell the operator their input was cut (at most once every few seconds)."""
        self._dropped[0] += cut.keys_dropped
        self._dropped[1] += cut.paste_dropped
        now = time.monotonic()
        if now - self._noticed < NOTICE_EVERY or self.app is None:
            return
        self._noticed = now
        keys, pasted = self._dropped
        self._dropped = [0, 0]
        parts = ([f"a paste was cut to {self.limiter.paste_max} bytes"] if pasted else []) + (
            [f"{keys} keys sent faster than anyone types were dropped"] if keys else [])
        log.warning("%s %s: input cut (%s)", self.operator, self.source, "; ".join(parts))
        with contextlib.suppress(Exception):  # the app may be closing
            self.app.notify("Input cut: " + "; ".join(parts) + ".", severity="warning")

    def terminal_size_changed(self, width: int, height: int, pixwidth: int,
                              pixheight: int) -> None:
        """Window changes are clamped and coalesced: a storm of them costs one resize
        each RESIZE_EVERY, at the latest size."""
        if width and height:
            self.size = clamp_size(width, height)
            if self._resize is None:
                self._resize = asyncio.get_running_loop().call_later(RESIZE_EVERY,
                                                                      self._apply_size)

    def _apply_size(self) -> None:
        self._resize = None
        if self.driver is not None and self.driver.window != self.size:
            self.driver.resize(*self.size)

    def eof_received(self) -> bool:
        self.end("")
        return False

    def resume_writing(self) -> None:
        if self.driver is not None:
            self.driver.caught_up()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.task is None:
            self._ended()  # no app was started
        self.end("")

    # --- the driver's channel ------------------------------------------------------------
    def send(self, data: bytes) -> None:
        if not self.closed and self.chan is not None:
            self.chan.write(data)

    def buffered(self) -> int:
        return self.chan.get_write_buffer_size() if self.chan is not None else 0

    def dropping(self, over: bool) -> None:
        """Frames are being dropped (over=True) or the client caught up."""
        now = time.monotonic()
        if not over:
            self.over_since = None
        elif self.over_since is None:
            self.over_since = now
        elif now - self.over_since > STALL_SECONDS:
            log.warning("%s %s: the client reads nothing; session closed",
                        self.operator, self.source)
            self.closed = True  # nothing more is written to it
            if self.chan is not None:
                self.chan.abort()

    # --- the app -------------------------------------------------------------------------
    async def _run(self) -> None:
        from console.app import DoorkeeperApp  # Textual loads with the first session

        ctx: ConsoleContext | None = None
        status = 0
        try:
            ctx = await self.host.make_context(self.operator, self.source)
            if self.closed:
                return
            self.app = app = DoorkeeperApp(ctx, driver_class=partial(
                self._make_driver, limit=self.host.output_limit))
            app.console = client_console(self.term_type, self._environment())
            errors = io.StringIO()
            app.error_console = Console(file=errors, width=100, color_system=None)
            self._watch_idle()
            await app.run_async(size=self.size, mouse=True)
            if app.return_code:
                status = 1
                log.error("%s %s: the console stopped on an error:\n%s", self.operator,
                          self.source, errors.getvalue())
                self.ending = ("Doorkeeper hit an error and closed this session; it is "
                               "logged. Connect again to carry on.")
        except asyncio.CancelledError:
            status = 1
        except Exception:
            status = 1
            log.exception("%s %s: the session failed", self.operator, self.source)
            self.ending = "Doorkeeper could not open the console; it is logged. Try again."
        finally:
            for timer in (self._idle, self._resize):
                if timer is not None:
                    timer.cancel()
            if ctx is not None and ctx.live is not None:
                ctx.live.close()
            self.driver = None
            self.app = None
            _restore_std_streams()
            if self.ending:
                self.send(f"\r\n{self.ending}\r\n".encode())
            self._close(status)
            self._ended()

    def _ended(self) -> None:
        if callable(self.host.on_end):
            self.host.on_end(self)

    def _make_driver(self, app: DoorkeeperApp, *, limit: int, **kwargs) -> SSHDriver:
        self.driver = SSHDriver(app, channel=self, limit=limit, **kwargs)
        return self.driver

    def _environment(self) -> dict[str, str]:
        if self.chan is None:
            return {}
        try:
            return {str(k): str(v) for k, v in self.chan.get_environment().items()}
        except Exception:  # an odd value from the client: the defaults do
            return {}

    def end(self, message: str) -> None:
        """Ask the app to quit (the channel closed, idle, the worker stops)."""
        if message and not self.ending:
            self.ending = message
        app, task = self.app, self.task
        if app is not None:
            with contextlib.suppress(Exception):
                app.exit(return_code=0)
        if task is not None and not task.done() and self.closed:
            asyncio.get_running_loop().call_later(END_GRACE, _cancel, task)

    def _watch_idle(self) -> None:
        timeout = self.host.idle_timeout
        if not timeout:
            return
        if self.driver is None or not self.driver.frames_sent:
            self.last_input = time.monotonic()  # still opening: the clock starts at the screen
        idle = time.monotonic() - self.last_input
        if idle >= timeout:
            self.end(f"Closed after {spoken_duration(timeout)} without a key press.")
            return
        self._idle = asyncio.get_running_loop().call_later(timeout - idle + 0.05,
                                                           self._watch_idle)

    def _close(self, status: int) -> None:
        if self.chan is not None and not self.closed:
            with contextlib.suppress(Exception):
                self.chan.exit(status)
        self.closed = True


def spoken_duration(seconds: float) -> str:
    """A timeout as a person says it: "20 seconds", "1 minute", "15 minutes", "90 seconds"."""
    whole = round(seconds)
    if whole % 60 or whole < 60:
        return f"{whole} second{'s' * (whole != 1)}"
    minutes = whole // 60
    return f"{minutes} minute{'s' * (minutes != 1)}"


def _cancel(task: asyncio.Task) -> None:
    if not task.done():
        task.cancel()


def _restore_std_streams() -> None:
    """Each app redirects sys.stdout/stderr while it runs and puts back what it found;
    sessions ending out of order would leave them on a dead app. Nothing in a worker
    prints: point them back at the process's own streams."""
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
