"""One SSH session's process: the console on a real pseudo-terminal.

Forked by the worker's zygote (console.ssh.zygote) with the pty slave as its terminal
and stdio, so Textual runs with its stock Linux driver and reads the client's colour
depth from TERM/COLORTERM as on any terminal. The operator arrives as data (the viewer
the worker loaded when they logged in: their sites and rights); the process opens only
what the console needs: the store (reads and changes go through core's services, which
check those rights) and its own subscription to the gateway's bus.

Its control socket from the worker carries two messages: `notify` (a line for the
operator, e.g. their input was cut) and `quit` (the session is closed: idle, the
server stops); the other way, the process says `ready` once its first screen is drawn
(console.ssh.starting), then goes down to its nice value ([ssh] session_nice). Its
store connections map the database file and keep small caches, and its threads share
one malloc arena (docs/ssh-sessions.md: what a session costs). An error inside the app
ends this process with status 1 and a short line on the terminal; the details go to
the serve log.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import io
import logging
import os
import socket
import sys
import time
from typing import TYPE_CHECKING, Any

from rich.console import Console
from sqlalchemy import event

from console.context import ConsoleContext
from console.live import BusCommander, LiveHub
from console.ssh.start_probe import StartProbe
from console.ssh.watchdog import lower_priority
from core.config import StoreConfig
from core.errors import DoorkeeperError
from core.model import id_of
from store.database import Store
from store.sqlite import is_sqlite

if TYPE_CHECKING:
    from console.app import DoorkeeperApp
    from console.ssh.zygote import SessionRequest

log = logging.getLogger(__name__)

FAILED = "Doorkeeper hit an error and closed this session; it is logged. Connect again to carry on."
#: what Rich and Textual read from the environment that is the server's, not the client's
SERVER_ONLY = ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TTY_COMPATIBLE",
               "TTY_INTERACTIVE", "TEXTUAL_COLOR_SYSTEM")
NOT_OPENED = "Doorkeeper could not open the console; it is logged. Try again."
#: glibc's mallopt parameter for the number of malloc arenas
M_ARENA_MAX = -8
#: a session's store connections: the file mapped (shared pages), a small private cache
MMAP_BYTES, CACHE_KIB = 1 << 30, 256
#: how often a starting session looks whether its first screen is up
READY_POLL_S = 0.02
#: hellos a new session sends the gateway before it gives up (each waits 5 s)
HELLO_TRIES = 3


def run_session(request: SessionRequest, control: int) -> int:
    """The session process's life; its exit status."""
    StartProbe.forked = time.monotonic()
    one_malloc_arena()
    for name in SERVER_ONLY:  # the server's own settings never decide a client's screen
        os.environ.pop(name, None)
    os.environ["TERM"] = request.term or "xterm"
    os.environ["COLORTERM"] = request.colorterm
    return asyncio.run(_run(request, socket.socket(fileno=control)))


async def _run(request: SessionRequest, control: socket.socket) -> int:
    from console.app import DoorkeeperApp

    who = f"{request.viewer.operator.email} {request.viewer.actor.source}"
    store: Store | None = None
    hub: LiveHub | None = None
    ending = ""
    try:
        store = await Store.open(StoreConfig(**request.store),  # type: ignore[arg-type]
                                 path=request.db, migrate=False)
        lean_connections(store)
        hub = await _connect_live(request.bus)
        ctx = ConsoleContext(store, request.viewer)
        ctx.live = hub.subscribe()
        ctx.commander = BusCommander(hub.client, id_of(ctx.operator), ctx.actor.source)
        app = DoorkeeperApp(ctx)
        errors = io.StringIO()
        app.error_console = Console(file=errors, width=100, color_system=None)
        control.setblocking(False)
        loop = asyncio.get_running_loop()
        loop.add_reader(control, _on_control, control, app)
        probe = StartProbe.start(app, ctx)
        ready = loop.create_task(_say_ready(app, control, request.nice, probe))
        await app.run_async(mouse=True)
        ready.cancel()
        if app.return_code:
            log.error("%s: the console stopped on an error:\n%s", who, errors.getvalue())
            ending = FAILED
    except Exception:
        log.exception("%s: the session failed", who)
        ending = NOT_OPENED
    finally:
        if hub is not None:
            await hub.close()
        if store is not None:
            await store.close()
    if ending:
        with contextlib.suppress(OSError):
            os.write(sys.__stdout__.fileno() if sys.__stdout__ else 1,
                     f"\r\n{ending}\r\n".encode())
        return 1
    return 0


def one_malloc_arena() -> None:
    """The process's threads (the store's connections) allocate from the main malloc
    arena: glibc would give each its own, a few MB of pages apiece that no other
    process shares. Called before any thread starts; a libc without it is left be."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, 1)


def lean_connections(store: Store) -> None:
    """A session's store connections read the database through a shared mapping of
    the file (`mmap_size`) and keep a small page cache of their own: fifty sessions
    then share one copy of the pages they read (the kernel's) instead of holding up
    to 2 MB each per connection (docs/ssh-sessions.md)."""
    if not is_sqlite(store.url):
        return

    @event.listens_for(store.engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cur = dbapi_connection.cursor()
        cur.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        cur.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        cur.close()


async def _connect_live(bus: str) -> LiveHub:
    """LiveHub.connect, asked again while the gateway is too slow to answer (fifty
    sessions opening at once on a loaded machine all say hello at the same moment, and
    each answer carries every device's state); a gateway that is not there fails at
    once."""
    for attempt in range(1, HELLO_TRIES + 1):
        StartProbe.hellos = attempt
        try:
            return await LiveHub.connect(bus)
        except DoorkeeperError:
            if attempt == HELLO_TRIES:
                raise
            log.warning("the gateway did not answer a new session (attempt %d of %d)",
                        attempt, HELLO_TRIES)
            await asyncio.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


async def _say_ready(app: DoorkeeperApp, control: socket.socket, nice: int,
                     probe: StartProbe | None = None) -> None:
    """Tell the worker once the first screen is mounted (its first read done) and
    drawn: the worker lets the next console start (console.ssh.starting). Then the
    process goes down to its nice value: a console starts ahead of those already
    drawing live events, and runs below the gateway and the workers once it is up."""
    try:
        while not (len(app.screen_stack) > 1 and app.screen.is_mounted):
            await asyncio.sleep(READY_POLL_S)
        drawn = asyncio.Event()
        app.screen.call_after_refresh(drawn.set)
        await drawn.wait()
        with contextlib.suppress(OSError):
            control.send(b"ready")
        if probe is not None:
            probe.write()
    finally:
        if nice > 0:
            # its threads and its scheduling group: see lower_priority
            lower_priority(os.getpid(), min(nice, 19))


def _on_control(control: socket.socket, app: DoorkeeperApp) -> None:
    """A message from the worker (see the module's docstring)."""
    try:
        data = control.recv(4096)
    except BlockingIOError:
        return
    except OSError:
        data = b""
    kind, _, text = data.partition(b"\0")
    if kind == b"notify":
        app.notify(text.decode("utf-8", "replace"), severity="warning")
        return
    # "quit", or the worker's end closed
    asyncio.get_running_loop().remove_reader(control)
    app.exit(return_code=0)
