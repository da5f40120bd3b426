"""One SSH worker process of `doorkeeper serve`: the listener, its shared parts, its life.

The worker shares the listening port with its siblings (SO_REUSEPORT), hardens the
listener (login timeout, keepalives, an idle timeout, no forwarding of any kind), checks
each connection with a Gatekeeper (console.ssh.gatekeeper), reads the live feed through
one LiveHub, and hosts each session's app on its own loop.

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
from pathlib import Path

import asyncssh

from console.context import ConsoleContext
from console.headless.children import WorkerOptions, hold_lifeline
from console.headless.throttle import SharedBucket, TokenBucket
from console.headless.watchdog import beat
from console.launch import attach, console_context
from console.live import LiveHub
from console.ssh.gatekeeper import Gatekeeper
from console.ssh.gc_policy import GcPolicy
from console.ssh.lag import LoopMonitor
from console.ssh.session import SessionHost, SSHSession
from console.ssh.throttle_log import ThrottleLog
from core.config import SSHConfig, StoreConfig, split_listen
from core.errors import DoorkeeperError
from store.database import Store

log = logging.getLogger(__name__)


class Worker:
    """The shared parts of one worker: store, live hub, limits, sessions."""

    def __init__(self, options: WorkerOptions, store: Store, hub: LiveHub | None) -> None:
        self.options = options
        self.ssh = SSHConfig(**options.ssh)
        self.store = store
        self.hub = hub
        share = max(1, options.workers)  # the local fallback: this worker's share
        self.limiter = SharedBucket(TokenBucket(max(1, math.ceil(self.ssh.rate_burst / share)),
                                                self.ssh.rate_per_minute / share),
                                    options.throttle_fd)
        self.throttle_log = ThrottleLog()
        self.sessions: set[SSHSession] = set()
        self.gc = GcPolicy()
        self.host = SessionHost(self.make_context, float(self.ssh.idle_timeout),
                                on_end=self._ended)

    def _ended(self, session: SSHSession) -> None:
        self.sessions.discard(session)
        self.gc.session_closed()

    async def make_context(self, operator: str, source: str) -> ConsoleContext:
        return await console_context(self.store, operator, self.hub, source=source)

    def new_session(self, operator: str, address: str) -> SSHSession | None:
        if len(self.sessions) >= self.ssh.max_sessions:
            return None
        session = SSHSession(self.host, operator, f"ssh {address}")
        self.sessions.add(session)
        return session


# --- the worker process -------------------------------------------------------------------
async def run_worker(options: WorkerOptions) -> int:
    """Listen until SIGTERM/SIGINT, then close every session with a line and stop."""
    ssh = SSHConfig(**options.ssh)
    host, port = split_listen(ssh.listen)
    store = await Store.open(StoreConfig(**options.store), path=options.db, migrate=False)
    hub = await _attach(options.bus)
    worker = Worker(options, store, hub)
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
    why = ["The server is stopping; connect again in a moment."]
    watcher = loop.create_task(_watch(stop, hub, os.getppid(), why))
    beats = loop.create_task(beat(options.heartbeat_fd)) if options.heartbeat_fd >= 0 else None
    monitor = LoopMonitor()
    monitor.start()
    worker.gc.start()
    try:
        await stop.wait()
    finally:
        worker.gc.stop()
        monitor.stop()
        watcher.cancel()
        if beats is not None:
            beats.cancel()
        server.close()
        for session in list(worker.sessions):
            session.end(why[0])
        deadline = loop.time() + 5
        while worker.sessions and loop.time() < deadline:
            await asyncio.sleep(0.05)
        await hub.close()
        await store.close()
    return 0


async def _watch(stop: asyncio.Event, hub: LiveHub, parent: int, why: list[str]) -> None:
    """Stop when the supervisor is gone (no orphans). A gateway that goes away does not
    stop the worker: its hub finds the gateway again and the sessions say so meanwhile."""
    while not stop.is_set():
        await asyncio.sleep(0.5)
        if os.getppid() != parent:
            log.warning("the supervisor is gone; stopping")
            stop.set()


async def _attach(bus: str) -> LiveHub:
    """The gateway's bus (the supervisor started the gateway before the workers)."""
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        try:
            return await attach(bus, None)
        except DoorkeeperError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


def _ready(fd: int) -> None:
    """Tell the supervisor this worker listens."""
    if fd >= 0:
        with contextlib.suppress(OSError):
            os.write(fd, b"ready\n")
            os.close(fd)


def _logging(path: str) -> None:
    """Log lines to the serve log (never sys.stdout: the apps redirect it)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = (logging.FileHandler(path, encoding="utf-8") if path
               else logging.StreamHandler(sys.__stderr__))
    handler.setFormatter(logging.Formatter(
        f"%(asctime)s %(levelname)s worker {os.getpid()} %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in ("console", "core"):
        logging.getLogger(name).setLevel(logging.INFO)
    logging.getLogger("asyncssh").setLevel(logging.WARNING)


def main(argv: list[str]) -> int:
    """The worker process: `argv` is what console.headless.children put after the module."""
    hold_lifeline()  # never outlive the supervisor, even one killed with SIGKILL
    options = WorkerOptions.from_command(argv)
    _logging(options.log)
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
