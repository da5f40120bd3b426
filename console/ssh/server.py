"""One SSH worker process of `doorkeeper serve`: the listener, its sessions, its life.

The worker shares the listening port with its siblings (SO_REUSEPORT), hardens the
listener (login timeout, keepalives, an idle timeout, no forwarding of any kind) and
checks each connection with a Gatekeeper (console.ssh.gatekeeper). It renders
nothing: each session's console is a process of its own on a real pty, forked by the
worker's zygote (console.ssh.zygote), and the worker pumps bytes between the channel
and the pty (console.ssh.session) and watches each session's memory and CPU
(console.ssh.watchdog).

Started by the supervisor (console.headless.supervisor) as
`python -P -m console.ssh.server OPTIONS-JSON` (console.headless.children).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncssh

from console.headless.children import WorkerOptions, gateway_answers, hold_lifeline
from console.headless.throttle import SharedBucket, TokenBucket
from console.headless.watchdog import beat
from console.ssh.gatekeeper import Gatekeeper
from console.ssh.lag import LoopMonitor
from console.ssh.session import SessionHost, SSHSession
from console.ssh.starting import STARTS_AT_ONCE
from console.ssh.throttle_log import ThrottleLog
from console.ssh.watchdog import Watchdog
from console.ssh.zygote import SessionRequest
from console.ssh.zygote_client import ZygoteClient
from core.config import SSHConfig, StoreConfig, split_listen
from core.errors import DoorkeeperError
from core.text import PlainFormatter
from core.views.viewer import Viewer, load_viewer
from store.database import Store

log = logging.getLogger(__name__)

#: see Worker.login_slots (two: a key login's audit need not wait for an argon2 check)
LOGINS_AT_ONCE = 2


class Worker:
    """The shared parts of one worker: store (for logins), zygote, limits, sessions."""

    def __init__(self, options: WorkerOptions, store: Store, zygote: ZygoteClient) -> None:
        self.options = options
        self.ssh = SSHConfig(**options.ssh)
        self.store = store
        self.zygote = zygote
        share = max(1, options.workers)  # the local fallback: this worker's share
        self.limiter = SharedBucket(TokenBucket(max(1, math.ceil(self.ssh.rate_burst / share)),
                                                self.ssh.rate_per_minute / share),
                                    options.throttle_fd)
        self.throttle_log = ThrottleLog()
        #: logins (a read, a password check, an audit write) at once in this worker: fifty
        #: key logins at once were fifty audit writes racing for the store's write lock
        #: beside the gateway's events, and the unlucky ones waited past the busy timeout
        #: (bench/bench_ssh_sessions.py); in turn, each waits only for the one before
        self.login_slots = asyncio.Semaphore(LOGINS_AT_ONCE)
        self.sessions: set[SSHSession] = set()
        self.viewers: dict[SSHSession, Viewer] = {}
        self.host = SessionHost(self.open_process, zygote.kill,
                                float(self.ssh.idle_timeout), on_end=self._ended,
                                starts=asyncio.Semaphore(STARTS_AT_ONCE))
        self.watchdog = Watchdog(self._running, self._over_limit,
                                 memory_mb=self.ssh.session_memory_mb)

    def _ended(self, session: SSHSession) -> None:
        self.sessions.discard(session)
        self.viewers.pop(session, None)

    def _running(self) -> Iterator[tuple[object, int]]:
        return ((s, s.pid) for s in self.sessions if s.pid and s.status is None)

    def _over_limit(self, session: object, why: str) -> None:
        """A session over its memory or CPU limit: ended, told, audited."""
        assert isinstance(session, SSHSession)
        session.stop(why)
        viewer = self.viewers.get(session)
        if viewer is not None:
            task = asyncio.get_running_loop().create_task(
                self._audit_limit(viewer, session.source, why))
            task.add_done_callback(_log_failure)

    async def _audit_limit(self, viewer: Viewer, source: str, why: str) -> None:
        from core.services import sessions
        await sessions.ended_over_limit(self.store.uow(), viewer.operator, source=source,
                                        why=why)

    async def open_process(self, session: SSHSession, fds: list[int],
                           on_exit: Callable[[int], object]) -> int:
        """Fork the session's console: the operator's viewer (their sites and rights,
        loaded here as at login) travels to it as data."""
        async with self.store.reader() as uow:
            viewer = await load_viewer(uow, session.operator, session.source)
        self.viewers[session] = viewer
        request = SessionRequest(0, viewer, session.term_type,
                                 _environment(session).get("COLORTERM", ""),
                                 self.options.db, self.options.bus, dict(self.options.store),
                                 nice=self.ssh.session_nice)
        await session.start.acquire()  # a shift logging in at once: a few start at a time
        return await self.zygote.open(request, fds, on_exit)

    def new_session(self, operator: str, address: str) -> SSHSession | None:
        if len(self.sessions) >= self.ssh.max_sessions:
            return None
        session = SSHSession(self.host, operator, f"ssh {address}")
        self.sessions.add(session)
        return session


def _environment(session: SSHSession) -> dict[str, str]:
    if session.chan is None:
        return {}
    try:
        return {str(k): str(v) for k, v in session.chan.get_environment().items()}
    except Exception:  # an odd value from the client: the defaults do
        return {}


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("could not audit a session ended over its limit", exc_info=task.exception())


# --- the worker process -------------------------------------------------------------------
async def run_worker(options: WorkerOptions) -> int:
    """Listen until SIGTERM/SIGINT, then close every session with a line and stop."""
    ssh = SSHConfig(**options.ssh)
    host, port = split_listen(ssh.listen)
    zygote = ZygoteClient(options)
    zygote.start_soon()  # first: its imports take seconds, the rest goes on meanwhile
    store = await Store.open(StoreConfig(**options.store), path=options.db, migrate=False)
    await _wait_for_gateway(options.bus)
    worker = Worker(options, store, zygote)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    server = await asyncssh.listen(
        host, port, server_factory=lambda: Gatekeeper(worker),
        server_host_keys=[options.host_key], reuse_port=True, reuse_address=True,
        encoding=None, line_editor=False, login_timeout=ssh.login_timeout,
        keepalive_interval=ssh.keepalive_interval,
        keepalive_count_max=ssh.keepalive_count_max, agent_forwarding=False,
        x11_forwarding=False, allow_pty=True, allow_scp=False)
    log.info("worker %d listening on %s:%d", os.getpid(), host, port)
    _ready(options.ready_fd)
    why = "The server is stopping; connect again in a moment."
    watcher = loop.create_task(_watch(stop, os.getppid()))
    beats = loop.create_task(beat(options.heartbeat_fd)) if options.heartbeat_fd >= 0 else None
    monitor = LoopMonitor()
    monitor.start()
    worker.watchdog.start()
    try:
        await stop.wait()
    finally:
        worker.watchdog.stop()
        monitor.stop()
        watcher.cancel()
        if beats is not None:
            beats.cancel()
        server.close()
        for session in list(worker.sessions):
            session.end(why)
        deadline = loop.time() + 5
        while worker.sessions and loop.time() < deadline:
            await asyncio.sleep(0.05)
        zygote.close()
        await store.close()
    return 0


async def _watch(stop: asyncio.Event, parent: int) -> None:
    """Stop when the supervisor is gone (no orphans)."""
    while not stop.is_set():
        await asyncio.sleep(0.5)
        if os.getppid() != parent:
            log.warning("the supervisor is gone; stopping")
            stop.set()


async def _wait_for_gateway(bus: str) -> None:
    """The gateway's bus answers (the supervisor started the gateway before the workers;
    each session connects to it on its own)."""
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        try:
            return await gateway_answers(bus)
        except (DoorkeeperError, OSError):
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


def _ready(fd: int) -> None:
    """Tell the supervisor this worker listens."""
    if fd >= 0:
        with contextlib.suppress(OSError):
            os.write(fd, b"ready\n")
            os.close(fd)


def setup_logging(path: str, role: str = "worker") -> None:
    """Log lines to the serve log (never to a session's terminal)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = (logging.FileHandler(path, encoding="utf-8") if path
               else logging.StreamHandler(sys.__stderr__))
    handler.setFormatter(PlainFormatter(  # a client's text never reaches a reader's terminal
        f"%(asctime)s %(levelname)s {role} %(process)d %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in ("console", "core"):
        logging.getLogger(name).setLevel(logging.INFO)
    logging.getLogger("asyncssh").setLevel(logging.WARNING)


def main(argv: list[str]) -> int:
    """The worker process: `argv` is what console.headless.children put after the module."""
    hold_lifeline()  # never outlive the supervisor, even one killed with SIGKILL
    options = WorkerOptions.from_command(argv)
    setup_logging(options.log)
    if not Path(options.host_key).exists():
        log.error("no host key at %s", options.host_key)
        return 2
    try:
        return asyncio.run(run_worker(options))
    except DoorkeeperError as err:
        log.error("worker stopped: %s", err.message)
        return 2
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    # run the module under its own name (its loggers are "console.ssh.server", not
    # "__main__", and its classes are the ones everything else imports)
    from console.ssh import server
    sys.exit(server.main(sys.argv[1:]))
