"""One SSH session: a channel bound to a console process on a real pseudo-terminal.

The session refuses a channel without a PTY, and a command, with one plain line.
Otherwise its worker forks a console process from its zygote (console.ssh.zygote)
on a new pty, and the session only pumps bytes: the client's input through the edge
limits (console.ssh.limits) to the pty master, the console's output from the master
to the channel, each way with back-pressure (a full pty pauses reading the channel; a
channel whose client does not read pauses reading the master, so the console's own
writes wait, in its own process). Window changes are clamped and coalesced, then set
on the pty (TIOCSWINSZ: the console gets SIGWINCH like on any terminal).

The process's exit ends the channel with its exit status; a closed channel ends the
process (SIGHUP, then SIGKILL).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import socket
import struct
import termios
import time
import tty
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import asyncssh

from console.ssh.limits import Cut, InputLimiter, clamp_size
from console.ssh.starting import ConsoleStart
from core.errors import DoorkeeperError

log = logging.getLogger(__name__)

NO_PTY = (b"Doorkeeper is a full-screen console: connect with a terminal, e.g. "
          b"`ssh -t -p PORT you@host` (not -T, no command).\r\n")
NO_COMMANDS = (b"Doorkeeper has no commands: connect with a terminal and no command, e.g. "
               b"`ssh -t -p PORT you@host`.\r\n")
NOT_OPENED = "Doorkeeper could not open the console; it is logged. Try again."
#: what gives a client's terminal back when its console did not (it was killed)
RESTORE = (b"\x1b[?2004l\x1b[?7h\x1b[?1004l\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l"
           b"\x1b[?1049l\x1b[?25h")
#: output bytes waiting in the channel above which the pty is not read
OUTPUT_LIMIT = 256 * 1024
#: window changes are applied at most this often (the latest size wins)
RESIZE_EVERY = 0.25
#: a session is told about cut input at most this often
NOTICE_EVERY = 5.0
#: a client that reads nothing for this long is closed
STALL_SECONDS = 30.0
#: a console asked to quit (or sent SIGHUP) gets this long before SIGKILL
END_GRACE = 2.0
READ_SIZE = 65536

#: (session, fds for the process: pty slave and control socket, on_exit) -> its pid
OpenProcess = Callable[["SSHSession", list[int], Callable[[int], object]], Awaitable[int]]


@dataclass
class SessionHost:
    """What a session needs from its worker."""

    open_process: OpenProcess
    kill: Callable[[int, int], object]  # (pid, signal)
    idle_timeout: float = 0.0  # seconds; 0 = never
    output_limit: int = OUTPUT_LIMIT
    on_end: Callable[[SSHSession], object] | None = None  # when the session is over
    starts: asyncio.Semaphore | None = None  # consoles starting at once (console.ssh.starting)


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
        self.command: str | None = None  # `ssh host cmd`: answered with one line
        self.pid = 0  # the console process, once forked
        self.status: int | None = None  # its exit status, once it ended
        self.master = -1
        self.control: socket.socket | None = None
        self.task: asyncio.Task | None = None
        self.closed = False  # the channel is gone (nothing more is written to it)
        self.finished = False
        self.ending = ""  # a line for the client once the console has ended
        self.last_input = time.monotonic()
        self.limiter = InputLimiter()
        self.output_bytes = 0
        self._reading = self._writing = False
        self._inbuf = bytearray()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._noticed = -NOTICE_EVERY
        self._dropped = [0, 0]  # keys, paste bytes not yet told
        self.start = ConsoleStart(host.starts, f"{operator} {source}")

    # --- asyncssh callbacks --------------------------------------------------------------
    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        self.chan = chan
        chan.set_write_buffer_limits(high=self.host.output_limit)

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
            self._finish(1)
            return
        self.task = asyncio.get_running_loop().create_task(
            self._start(), name=f"ssh session {self.operator} {self.source}")

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        """Input, cut at the edge (console.ssh.limits) before the console sees it."""
        self.last_input = time.monotonic()
        if self.master < 0:
            return
        cut = self.limiter.feed(data)
        if cut.data:
            self._inbuf += cut.data
            self._write_pty()
        if cut.keys_dropped or cut.paste_dropped:
            self._tell_cut(cut)

    def terminal_size_changed(self, width: int, height: int, pixwidth: int,
                              pixheight: int) -> None:
        """Window changes are clamped and coalesced: a storm of them costs one resize
        each RESIZE_EVERY, at the latest size."""
        if width and height:
            self.size = clamp_size(width, height)
            self._later("resize", RESIZE_EVERY, self._apply_size)

    def pause_writing(self) -> None:
        """The client is behind: stop reading the console's output (it waits)."""
        self._read(False)
        self._later("stall", STALL_SECONDS, self._stalled)

    def resume_writing(self) -> None:
        self._cancel("stall")
        self._read(True)

    def eof_received(self) -> bool:
        self.end("")
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._read(False)
        if self.pid and self.status is None:
            self._kill(signal.SIGHUP)
            self._later("kill", END_GRACE, self._kill, signal.SIGKILL)
        elif not self.pid and self.task is None:
            self._finish(0)  # no console was started

    # --- the console process -------------------------------------------------------------
    async def _start(self) -> None:
        master, slave = os.openpty()
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.master, self.control = master, mine
        try:
            tty.setraw(slave)  # no echo, no signals from keys: the console sets its own modes
            _set_size(master, self.size)
            self.pid = await self.host.open_process(self, [slave, theirs.fileno()],
                                                    self._exited)
        except Exception as err:
            self.start.release()
            if isinstance(err, DoorkeeperError):
                self.ending = err.message
            else:
                log.exception("%s %s: the console could not start", self.operator, self.source)
                self.ending = NOT_OPENED
            self._finish(1)
            return
        finally:
            os.close(slave)
            theirs.close()
        mine.setblocking(False)
        os.set_blocking(master, False)
        self.start.watch(mine)
        if self.closed:
            self.connection_lost(None)  # closed while it was starting
            return
        self._read(True)
        self._watch_idle()

    def _exited(self, status: int) -> None:
        """The console process ended (-1: its zygote died)."""
        self.start.over()
        self.status = 128 - status if status < 0 else status  # killed by a signal
        self._cancel("kill")
        if self.closed or self.master < 0:
            self._finish(self.status)
        else:  # what it wrote last is still in the pty: read to its end (EIO), briefly
            self._read(True)
            self._later("drain", END_GRACE, self._finish, self.status)

    def _read(self, on: bool) -> None:
        if self.master < 0 or on == self._reading or (on and self.closed):
            return
        loop = asyncio.get_running_loop()
        if on:
            loop.add_reader(self.master, self._from_pty)
        else:
            loop.remove_reader(self.master)
        self._reading = on

    def _from_pty(self) -> None:
        try:
            data = os.read(self.master, READ_SIZE)
        except BlockingIOError:
            return
        except OSError:  # EIO: the console's side of the pty is closed
            data = b""
        if not data:
            self._read(False)
            if self.status is not None:
                self._finish(self.status)
            return
        self.output_bytes += len(data)
        self.send(data)

    def _write_pty(self) -> None:
        """Input to the console; a full pty pauses reading the channel until it drains."""
        while self._inbuf and self.master >= 0:
            try:
                written = os.write(self.master, self._inbuf)
            except BlockingIOError:
                break
            except OSError:
                self._inbuf.clear()
            else:
                del self._inbuf[:written]
        waiting = bool(self._inbuf) and self.master >= 0
        if waiting != self._writing and self.chan is not None:
            loop = asyncio.get_running_loop()
            if waiting:
                loop.add_writer(self.master, self._write_pty)
                self.chan.pause_reading()
            else:
                with contextlib.suppress(ValueError, OSError):
                    loop.remove_writer(self.master)
                self.chan.resume_reading()
            self._writing = waiting

    def _apply_size(self) -> None:
        if self.master >= 0:
            with contextlib.suppress(OSError):
                _set_size(self.master, self.size)

    def _control(self, kind: bytes, text: str = "") -> None:
        if self.control is not None:
            with contextlib.suppress(OSError):
                self.control.send(kind + b"\0" + text.encode())

    def _kill(self, sig: int) -> None:
        if self.pid and self.status is None:
            self.host.kill(self.pid, sig)

    def _stalled(self) -> None:
        log.warning("%s %s: the client reads nothing; session closed", self.operator,
                    self.source)
        if self.chan is not None:
            self.chan.abort()

    def _tell_cut(self, cut: Cut) -> None:
        """Tell the operator their input was cut (at most once every few seconds)."""
        self._dropped[0] += cut.keys_dropped
        self._dropped[1] += cut.paste_dropped
        now = time.monotonic()
        if now - self._noticed < NOTICE_EVERY:
            return
        self._noticed = now
        keys, pasted = self._dropped
        self._dropped = [0, 0]
        parts = ([f"a paste was cut to {self.limiter.paste_max} bytes"] if pasted else []) + (
            [f"{keys} keys sent faster than anyone types were dropped"] if keys else [])
        log.warning("%s %s: input cut (%s)", self.operator, self.source, "; ".join(parts))
        self._control(b"notify", "Input cut: " + "; ".join(parts) + ".")

    # --- ending ----------------------------------------------------------------------------
    def end(self, message: str) -> None:
        """Ask the console to quit (idle, the worker stops, the client sent EOF)."""
        if message and not self.ending:
            self.ending = message
        if self.pid and self.status is None:
            self._control(b"quit")
            self._later("hangup", END_GRACE, self._kill, signal.SIGHUP)
            self._later("kill", 2 * END_GRACE, self._kill, signal.SIGKILL)

    def stop(self, message: str) -> None:
        """End the console at once (it went over a limit) with a line for the client."""
        self.ending = message
        self._kill(signal.SIGKILL)

    def _finish(self, status: int) -> None:
        if self.finished:
            return
        self.finished = True
        for name in list(self._timers):
            self._cancel(name)
        self._read(False)
        if self.master >= 0:
            if self._writing:
                with contextlib.suppress(ValueError, OSError):
                    asyncio.get_running_loop().remove_writer(self.master)
            os.close(self.master)
            self.master = -1
        self.start.over()
        if self.control is not None:
            self.control.close()
            self.control = None
        if status and self.output_bytes:
            self.send(RESTORE)
        if self.ending:
            self.send(f"\r\n{self.ending}\r\n".encode())
        if self.chan is not None and not self.closed:
            with contextlib.suppress(Exception):
                self.chan.exit(status)
        self.closed = True
        if callable(self.host.on_end):
            self.host.on_end(self)

    def _watch_idle(self) -> None:
        timeout = self.host.idle_timeout
        if not timeout or self.status is not None:
            return
        if not self.output_bytes:
            self.last_input = time.monotonic()  # still opening: the clock starts at the screen
        idle = time.monotonic() - self.last_input
        if idle >= timeout:
            self.end(f"Closed after {spoken_duration(timeout)} without a key press.")
            return
        self._later("idle", timeout - idle + 0.05, self._watch_idle)

    # --- small parts -----------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        if not self.closed and self.chan is not None:
            try:
                self.chan.write(data)
            except BrokenPipeError:
                # the channel stopped sending (closing) before asyncssh told this session
                # (connection_lost): nothing more reaches the client; the console is
                # ended as for a lost connection, not left writing to a dead channel
                # with an error logged for each read
                self.connection_lost(None)

    def _later(self, name: str, delay: float, callback: Callable[..., object],
               *args: object) -> None:
        """One timer by name (a pending one is kept: storms coalesce)."""
        if name not in self._timers:
            def fire() -> None:
                self._timers.pop(name, None)
                callback(*args)
            self._timers[name] = asyncio.get_running_loop().call_later(delay, fire)

    def _cancel(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.cancel()


def _set_size(fd: int, size: tuple[int, int]) -> None:
    """The window size of a pty (its console gets SIGWINCH)."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))


def spoken_duration(seconds: float) -> str:
    """A timeout as a person says it: "20 seconds", "1 minute", "15 minutes", "90 seconds"."""
    whole = round(seconds)
    if whole % 60 or whole < 60:
        return f"{whole} second{'s' * (whole != 1)}"
    minutes = whole // 60
    return f"{minutes} minute{'s' * (minutes != 1)}"
