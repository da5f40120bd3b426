"""The warm zygote of one SSH worker: it forks one process per SSH session.

Started by its worker (console.ssh.zygote_client) as `python -P -m console.ssh.zygote
OPTIONS-JSON`, it imports Textual, the console app and the store's drivers once, moves
everything alive out of the garbage collector's sight (`gc.freeze()`, so a forked
session does not touch, and so copy, the pages it shares with the zygote), then waits
on its control socket. Each request carries the session's pty slave and its own control
socket (as SCM_RIGHTS); the zygote forks, and the child makes the slave its controlling
terminal (`os.login_tty`: a new session, the slave as stdin/stdout/stderr) and runs the
console (console.ssh.session_process).

The zygote stays single-threaded (it forks): it watches its lifeline (console.headless
.children) in its own select loop instead of a thread. It reaps its children and tells
the worker each exit status; the worker signals a session through it, so a pid is
never signalled after it was reaped and reused. A child gets SIGHUP when the zygote
dies (PR_SET_PDEATHSIG) and when its pty master closes (the worker died): no orphans.
"""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import os
import pickle
import selectors
import signal
import socket
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from console.headless.children import WorkerOptions, die_with_parent, take_lifeline

if TYPE_CHECKING:
    from core.views.viewer import Viewer

log = logging.getLogger(__name__)

ZYGOTE_MODULE = "console.ssh.zygote"
#: the environment variable that hands the zygote its end of the control socket
CONTROL_ENV = "DOORKEEPER_ZYGOTE_FD"
#: one control message (a request holds the operator's viewer: a few kB)
MESSAGE_MAX = 1 << 20
#: children still alive this long after SIGHUP, when the zygote stops, are killed
STOP_GRACE = 2.0


@dataclass
class SessionRequest:
    """What a session process needs: the operator as the worker resolved them (their
    rights as data), the client's terminal, and where the store and the bus are."""

    token: int
    viewer: Viewer
    term: str
    colorterm: str
    db: str
    bus: str
    store: dict[str, object]
    nice: int = 0  # the session's nice value once it is up ([ssh] session_nice)


def send(sock: socket.socket, message: tuple[object, ...], fds: list[int] | None = None) -> None:
    """One message on a control socket (SOCK_SEQPACKET keeps its bounds)."""
    data = pickle.dumps(message)
    if fds:
        socket.send_fds(sock, [data], fds)
    else:
        sock.send(data)


def warm() -> None:
    """Import what every session runs, and load the data Rich and phonenumbers load on
    first use, so that a session finds them in pages it shares with the zygote (see the
    module's docstring and `main` for the garbage collector)."""
    import importlib
    import pkgutil

    import aiosqlite  # noqa: F401
    import sqlalchemy.dialects.sqlite.aiosqlite  # noqa: F401
    from rich.cells import cell_len
    from rich.console import Console
    from textual.drivers import linux_driver  # noqa: F401
    from textual.layouts.factory import get_layout

    import console.app  # noqa: F401
    import console.ssh.session_process  # noqa: F401
    from core.phones import parse_phone

    # every screen, tab and widget, not only those the first screen shows
    for package in ("console.screens", "console.tabs", "console.widgets"):
        path = importlib.import_module(package).__path__
        for module in pkgutil.iter_modules(path, package + "."):
            importlib.import_module(module.name)
    for layout in ("vertical", "horizontal", "grid", "stream"):
        with contextlib.suppress(Exception):
            get_layout(layout)
    cell_len("é漢字")  # Rich's table of character widths
    Console(file=io.StringIO()).print(":key:")  # Rich's emoji names
    for number in ("+44 20 7946 0000", "+33 1 23 45 67 89", "+1 202 555 0100"):
        with contextlib.suppress(Exception):
            parse_phone(number, "GB")


class Zygote:
    """The zygote's loop: requests in, forks, exit statuses out."""

    def __init__(self, sock: socket.socket, lifeline: int | None) -> None:
        self.sock = sock
        self.lifeline = lifeline
        self.children: set[int] = set()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        self.selector = selectors.DefaultSelector()

    def run(self) -> int:
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.set_wakeup_fd(self.wake_w)
        self.selector.register(self.sock, selectors.EVENT_READ, self._request)
        self.selector.register(self.wake_r, selectors.EVENT_READ, self._reap)
        if self.lifeline is not None:
            self.selector.register(self.lifeline, selectors.EVENT_READ, self._lifeline)
        send(self.sock, ("ready", os.getpid()))
        try:
            while True:
                for key, _ in self.selector.select():
                    if not key.data():
                        return 0
        finally:
            self.stop()

    def _lifeline(self) -> bool:
        with contextlib.suppress(OSError):
            if os.read(self.lifeline or 0, 64):
                return True
        log.warning("the worker is gone; the zygote stops")
        return False

    def _request(self) -> bool:
        try:
            data, fds, _, _ = socket.recv_fds(self.sock, MESSAGE_MAX, 4)
        except OSError:
            data, fds = b"", []
        if not data:
            return False  # the worker closed its end
        try:
            message = pickle.loads(data)
            if message[0] == "open":
                self._fork(message[1], fds)
            elif message[0] == "kill" and message[1] in self.children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(message[1], message[2])
        except Exception:
            log.exception("the zygote could not handle a request")
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
        return True

    def _fork(self, request: SessionRequest, fds: list[int]) -> None:
        parent = os.getpid()
        gc.freeze()  # what the zygote made since (little): out of the session's collector's sight
        pid = os.fork()
        if pid == 0:  # the session process
            code = 70
            try:
                code = self._child(request, fds, parent)
            except BaseException:
                log.exception("a session process failed to start")
            finally:
                logging.shutdown()
                os._exit(code)
        self.children.add(pid)
        send(self.sock, ("started", request.token, pid))

    def _child(self, request: SessionRequest, fds: list[int], parent: int) -> int:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        self.selector.close()
        for fd in (self.sock.fileno(), self.wake_r, self.wake_w, self.lifeline):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        if not die_with_parent(signal.SIGHUP, parent):
            return 1
        slave, control = fds
        os.login_tty(slave)  # a new session; the slave is its terminal and stdio
        gc.enable()  # off in the zygote (see main); what it froze stays out of sight
        from console.ssh.session_process import run_session
        return run_session(request, control)

    def _reap(self) -> bool:
        with contextlib.suppress(OSError):
            os.read(self.wake_r, 4096)
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            self.children.discard(pid)
            with contextlib.suppress(OSError):
                send(self.sock, ("exited", pid, os.waitstatus_to_exitcode(status)))
        return True

    def stop(self) -> None:
        """Every session ends with the zygote: SIGHUP, then SIGKILL after a grace."""
        for sig in (signal.SIGHUP, signal.SIGKILL):
            for pid in list(self.children):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + STOP_GRACE
            while self.children and time.monotonic() < deadline:
                try:
                    pid, _ = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    self.children.clear()
                    break
                if pid:
                    self.children.discard(pid)
                else:
                    time.sleep(0.02)


def main(argv: list[str]) -> int:
    """The zygote process (its arguments: the worker's options as JSON).

    Its garbage collector stays off (Python's advice for a process that forks without
    exec): a collection leaves freed holes among the objects the sessions share, which
    each session's new objects then fill, copying those pages; everything alive is
    frozen before each fork, and each session turns its collector on again."""
    gc.disable()
    lifeline = take_lifeline()
    options = WorkerOptions.from_command(argv)
    from console.ssh.server import setup_logging
    setup_logging(options.log, "zygote")
    sock = socket.socket(fileno=int(os.environ.pop(CONTROL_ENV)))
    sock.setblocking(True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    warm()
    from console.ssh.rehearsal import rehearse
    took = rehearse(options.db, options.store)
    if took is not None:
        log.info("the zygote rehearsed a console in %.2f s", took)
    gc.collect()  # once, before any fork: the rehearsal's garbage is not shared
    return Zygote(sock, lifeline).run()


if __name__ == "__main__":
    from console.ssh import zygote
    sys.exit(zygote.main(sys.argv[1:]))
