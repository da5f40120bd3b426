"""One SSH worker process of `doorkeeper serve`: asyncssh, operators' logins, hardening.

Operators log in with their email or login name, by public key or password
(core.services.logins checks and audits). Hardened as OpenSSH's guidance asks: a login
timeout, at most `max_auth_tries` failed attempts per connection, a per-address token
bucket for new connections and failures (an empty bucket refuses connections and fails
every attempt unchecked), keepalives, an idle timeout, no forwarding of any kind. The
worker shares the listening port with its siblings (SO_REUSEPORT), reads the live feed
through one LiveHub, and hosts each session's app on its own loop.

Run by console.serve as `python -m console.ssh.server OPTIONS-JSON`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import signal
import socket
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import asyncssh

from console.launch import attach, console_context
from console.live import LiveHub
from console.ssh.gc_policy import GcPolicy
from console.ssh.lag import LoopMonitor
from console.ssh.session import SessionHost, SSHSession
from core.config import SSHConfig, StoreConfig, split_listen
from core.errors import DoorkeeperError
from store.database import Store

log = logging.getLogger(__name__)


class TokenBucket:
    """Per client address: `burst` tokens, refilled at `per_minute`; each new connection
    and each failed attempt takes one."""

    def __init__(self, burst: float, per_minute: float, clock=time.monotonic) -> None:
        self.burst = burst
        self.rate = per_minute / 60
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, at)

    def _level(self, address: str) -> float:
        tokens, at = self._buckets.get(address, (self.burst, self.clock()))
        return min(self.burst, tokens + (self.clock() - at) * self.rate)

    def has(self, address: str) -> bool:
        """Whether this address has a token left (nothing is taken)."""
        return self._level(address) >= 1

    def take(self, address: str) -> bool:
        """Take a token; False when the bucket was empty."""
        level = self._level(address)
        ok = level >= 1
        self._buckets[address] = (level - 1 if ok else level, self.clock())
        if len(self._buckets) > 10_000:
            self._prune()
        return ok

    def _prune(self) -> None:
        for address in [a for a in self._buckets if self._level(a) >= self.burst]:
            del self._buckets[address]


class SharedBucket:
    """The supervisor's TokenBucket, asked over a socket the supervisor handed this worker
    (all workers share one bucket per address, whichever worker the kernel picks for a
    connection). Without that socket, or if it fails, a local bucket answers."""

    def __init__(self, local: TokenBucket, fd: int = -1) -> None:
        self.local = local
        self.fd = fd
        self._stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._lock = asyncio.Lock()

    async def _ask(self, verb: str, address: str) -> bool:
        if self.fd >= 0:
            try:
                async with self._lock, asyncio.timeout(1.0):
                    if self._stream is None:
                        sock = socket.socket(fileno=self.fd)
                        self._stream = await asyncio.open_unix_connection(sock=sock)
                    reader, writer = self._stream
                    writer.write(f"{verb} {address}\n".encode())
                    return (await reader.readline()).strip() == b"1"
            except (OSError, TimeoutError, ValueError) as err:
                log.warning("the shared throttle did not answer (%s); throttling locally", err)
                self.fd = -1
        return getattr(self.local, verb)(address)

    async def take(self, address: str) -> bool:
        """Take a token for this address; False when its bucket is empty."""
        return await self._ask("take", address)

    async def has(self, address: str) -> bool:
        """Whether this address has a token left."""
        return await self._ask("has", address)


async def serve_bucket(bucket: TokenBucket, sock: socket.socket) -> None:
    """The supervisor's side: answer one worker's `take ADDR` / `has ADDR` lines."""
    reader, writer = await asyncio.open_unix_connection(sock=sock)
    try:
        while line := await reader.readline():
            verb, _, address = line.decode("utf-8", "replace").strip().partition(" ")
            ok = bucket.take(address) if verb == "take" else bucket.has(address)
            writer.write(b"1\n" if ok else b"0\n")
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


@dataclass
class WorkerOptions:
    """What the supervisor hands each worker (as JSON on its command line)."""

    db: str
    bus: str
    ssh: dict = field(default_factory=lambda: asdict(SSHConfig()))
    store: dict = field(default_factory=lambda: asdict(StoreConfig()))
    host_key: str = ""
    workers: int = 1
    log: str = ""
    ready_fd: int = -1
    throttle_fd: int = -1  # the supervisor's shared token bucket


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
        self.sessions: set[SSHSession] = set()
        self.gc = GcPolicy()
        self.host = SessionHost(self.make_context, float(self.ssh.idle_timeout),
                                on_end=self._ended)

    def _ended(self, session: SSHSession) -> None:
        self.sessions.discard(session)
        self.gc.session_closed()

    async def make_context(self, operator: str, source: str):
        return await console_context(self.store, operator, self.hub, source=source)

    def new_session(self, operator: str, address: str) -> SSHSession | None:
        if len(self.sessions) >= self.ssh.max_sessions:
            return None
        session = SSHSession(self.host, operator, f"ssh {address}")
        self.sessions.add(session)
        return session


class Gatekeeper(asyncssh.SSHServer):
    """One connection: throttling, authentication, sessions."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.conn: asyncssh.SSHServerConnection | None = None
        self.address = "?"
        self.username = ""
        self.failures = 0
        self.key_line = ""  # the key accepted before its signature was checked
        self.refused_key = ""  # the last key refused, to audit one refusal at the end
        self.operator = None  # the Operator once logged in
        self.audited = False
        self.logged_in = asyncio.Event()  # auth_completed has audited the login (or refused)

    # --- connection ----------------------------------------------------------------------
    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername") or ("?",)
        self.address = str(peer[0])

    def connection_lost(self, exc: Exception | None) -> None:
        if self.operator is not None:
            self._later(self._logout())
        elif self.refused_key and not self.audited:
            self._later(self._audit_refused_key())

    def _later(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        task.add_done_callback(_log_failure)

    async def _logout(self) -> None:
        from core.services import logins
        await logins.logout(self.worker.store.uow(), self.operator, source=self.address)

    async def _audit_refused_key(self) -> None:
        """A connection that offered only keys that are not the operator's: one refusal."""
        from core.services import logins
        with contextlib.suppress(DoorkeeperError):
            await logins.login(self.worker.store.uow(), self.username,
                               public_key=self.refused_key, source=self.address)

    # --- authentication ------------------------------------------------------------------
    async def begin_auth(self, username: str) -> bool:
        """Throttle (one token per connection), then always ask for authentication:
        whether a name exists is not told."""
        self.username = username
        if not await self.worker.limiter.take(self.address):
            self.failures = self.worker.ssh.max_auth_tries  # nothing will be checked
            log.warning("throttled a connection from %s", self.address)
            asyncio.get_running_loop().call_soon(
                self.conn.disconnect, asyncssh.DISC_TOO_MANY_CONNECTIONS,
                "Too many attempts from your address; try again later.")
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def kbdint_auth_supported(self) -> bool:
        return False  # OpenSSH then asks for the password itself

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        """Is this one of the operator's keys? (No audit yet: the signature is checked
        after this; auth_completed audits the login.)"""
        line = " ".join(key.export_public_key("openssh").decode("ascii").split()[:2])
        if await self._may_try():
            try:
                if await _key_is_theirs(self.worker.store, username, line):
                    self.key_line = line
                    return True
            except Exception:
                log.exception("could not check the key of %r", username)
        self.refused_key = line
        await self._failed()
        return False

    async def validate_password(self, username: str, password: str) -> bool:
        if await self._may_try():
            try:
                self.operator = await self._login(username, password=password)
                self.audited = True
                return True
            except DoorkeeperError as err:
                self.audited = True
                log.info("refused %r from %s: %s", username, self.address, err.message)
            except Exception:
                log.exception("could not check the password of %r", username)
        await self._failed()
        return False

    async def auth_completed(self) -> None:
        """Logged in: a key login is audited now that its signature is known good."""
        if self.operator is None and self.key_line:
            try:
                self.operator = await self._login(self.username, public_key=self.key_line)
                self.audited = True
            except DoorkeeperError as err:
                self.audited = True
                log.info("refused %r from %s: %s", self.username, self.address, err.message)
                self.conn.disconnect(asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE,
                                     err.message)
                return
            finally:
                self.logged_in.set()
        self.logged_in.set()
        log.info("%s logged in from %s", self.username, self.address)

    async def _login(self, who: str, **proof: str):
        """logins.login, tried again when the store is busy (a lock held by another
        process); a DoorkeeperError that says so if it stays busy."""
        from core.services import logins
        for attempt in range(3):
            try:
                return await logins.login(self.worker.store.uow(), who, source=self.address,
                                          **proof)
            except DoorkeeperError:
                raise
            except Exception:
                log.exception("login of %r from %s failed (attempt %d)", who, self.address,
                              attempt + 1)
                await asyncio.sleep(0.2 * (attempt + 1))
        raise DoorkeeperError("The server is busy; try again in a moment.")

    async def _may_try(self) -> bool:
        """Whether an attempt is checked at all: tries left, tokens left."""
        return (self.failures < self.worker.ssh.max_auth_tries
                and await self.worker.limiter.has(self.address))

    async def _failed(self) -> None:
        self.failures += 1
        await self.worker.limiter.take(self.address)
        if self.failures >= self.worker.ssh.max_auth_tries and self.conn is not None:
            log.warning("%s: %d failed attempts for %r; connection closed", self.address,
                        self.failures, self.username)
            asyncio.get_running_loop().call_soon(
                self.conn.disconnect, asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE,
                "Too many failed attempts.")

    # --- sessions ------------------------------------------------------------------------
    async def session_requested(self) -> SSHSession | bool:
        await self.logged_in.wait()  # a session may be asked for while the login is audited
        if self.operator is None:
            return False
        session = self.worker.new_session(self.operator.email, self.address)
        if session is None:
            log.warning("session refused: %d sessions already", len(self.worker.sessions))
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_RESOURCE_SHORTAGE,
                                            "This server is full; try again later.")
        return session


async def _key_is_theirs(store: Store, who: str, line: str) -> bool:
    """Whether `line` ("type base64") is one of the keys of the operator named `who`
    (no audit; whether they may log in today is login()'s answer once the key is proved)."""
    from core.model import OperatorKey
    from core.services.logins import find_operator

    async with store.reader() as uow:
        operator = await find_operator(uow, who)
        if operator is None:
            return False
        keys = await uow.find(OperatorKey, operator_id=operator.id)
    return any(" ".join(k.key.split()[:2]) == line for k in keys)


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("audit of a login or logout failed", exc_info=task.exception())


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
    monitor = LoopMonitor()
    monitor.start()
    worker.gc.start()
    try:
        await stop.wait()
    finally:
        worker.gc.stop()
        monitor.stop()
        watcher.cancel()
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
    """Stop when the supervisor is gone (no orphans) or the gateway's bus closed (the
    supervisor starts the gateway again, then this worker)."""
    while not stop.is_set():
        await asyncio.sleep(0.5)
        if os.getppid() != parent:
            log.warning("the supervisor is gone; stopping")
            stop.set()
        elif not hub.connected:
            log.warning("the gateway's bus closed; stopping")
            why[0] = "The gateway restarted; connect again in a moment."
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
    options = WorkerOptions(**json.loads(argv[0]))
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
