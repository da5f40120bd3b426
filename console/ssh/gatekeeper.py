"""One SSH connection to a worker: throttling, operators' logins, sessions.

Operators log in with their email or login name, by public key or password
(core.services.logins checks and audits). Hardened as OpenSSH's guidance asks: at most
`max_auth_tries` failed attempts per connection and a per-address token bucket
(console.headless.throttle) for failures and for connections that never log in: an
empty bucket refuses new connections and fails every attempt unchecked, while logins
that succeed cost nothing, so a desk of concierges behind one address all get in. The
login timeout, keepalives and the ban on forwarding are the listener's
(console.ssh.server).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import asyncssh

from console.export.folder import operator_folder
from console.ssh.sftp import ExportFolderSFTP, SessionSwitch
from core.errors import DoorkeeperError, StoreBusy
from store.database import Store

if TYPE_CHECKING:
    from console.ssh.server import Worker
    from core.model import Operator

log = logging.getLogger(__name__)

#: a login whose store stays busy is tried this many times before the client is told
LOGIN_TRIES = 4


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
        self.operator: Operator | None = None  # once logged in
        self.audited = False
        self.logged_in = asyncio.Event()  # auth_completed has audited the login (or refused)
        self.throttled = False  # refused on arrival: its bucket was empty
        self.authenticated = False  # the key or password was proved (audit may be pending)

    # --- connection ----------------------------------------------------------------------
    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername") or ("?",)
        self.address = str(peer[0])

    def connection_lost(self, exc: Exception | None) -> None:
        if self.operator is not None or self.authenticated:
            self._later(self._logout())  # once the login's audit is done
            return
        if not self.throttled:  # a connection that never logged in costs its address a token
            self._later(self._take())
        if self.refused_key and not self.audited:
            self._later(self._audit_refused_key())

    async def _take(self) -> None:
        await self.worker.limiter.take(self.address)

    def _later(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        task.add_done_callback(_log_failure)

    async def _logout(self) -> None:
        from core.services import logins
        await self.logged_in.wait()
        if self.operator is None:  # refused once the key was proved: a failure
            await self._take()
            return
        await logins.logout(self.worker.store.uow(), self.operator, source=self.address)

    async def _audit_refused_key(self) -> None:
        """A connection that offered only keys that are not the operator's: one refusal."""
        from core.services import logins
        with contextlib.suppress(DoorkeeperError):
            await logins.login(self.worker.store.uow(), self.username,
                               public_key=self.refused_key, source=self.address)

    # --- authentication ------------------------------------------------------------------
    async def begin_auth(self, username: str) -> bool:
        """Refused when the address has no token left (nothing is taken: failures and
        connections that never log in pay), then always ask for authentication: whether
        a name exists is not told."""
        self.username = username
        if not await self.worker.limiter.has(self.address):
            self.failures = self.worker.ssh.max_auth_tries  # nothing will be checked
            self.throttled = True
            self.worker.throttle_log.note(self.address)
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
        """A password attempt takes a token before it is checked (so simultaneous guesses
        from one address are held to its bucket) and gives it back when it succeeds."""
        if (self.failures < self.worker.ssh.max_auth_tries
                and await self.worker.limiter.take(self.address)):
            try:
                self.operator = await self._login(username, password=password)
                self.audited = True
                await self.worker.limiter.give(self.address)
                return True
            except DoorkeeperError as err:
                self.audited = True
                log.info("refused %r from %s: %s", username, self.address, err.message)
            except Exception:
                log.exception("could not check the password of %r", username)
        await self._failed(taken=True)
        return False

    async def auth_completed(self) -> None:
        """Logged in: a key login is audited now that its signature is known good."""
        self.authenticated = True
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

    async def _login(self, who: str, **proof: str) -> Operator:
        """logins.login, tried again when the store is busy (its write lock held past
        the busy timeout by other writers: a shift logging in at once writes fifty login
        audits beside the gateway's events) or fails unexpectedly; a DoorkeeperError that
        says so if it stays busy. A busy store is not a refusal: nothing was decided."""
        from core.services import logins
        for attempt in range(LOGIN_TRIES):
            try:
                async with self.worker.login_slots:
                    return await logins.login(self.worker.store.uow(), who,
                                              source=self.address, **proof)
            except StoreBusy:
                log.warning("login of %r from %s: the store is busy (attempt %d of %d)",
                            who, self.address, attempt + 1, LOGIN_TRIES)
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

    async def _failed(self, taken: bool = False) -> None:
        self.failures += 1
        if not taken:
            await self.worker.limiter.take(self.address)
        if self.failures >= self.worker.ssh.max_auth_tries and self.conn is not None:
            log.warning("%s: %d failed attempts for %r; connection closed", self.address,
                        self.failures, self.username)
            asyncio.get_running_loop().call_soon(
                self.conn.disconnect, asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE,
                "Too many failed attempts.")

    # --- sessions ------------------------------------------------------------------------
    async def session_requested(self) -> SessionSwitch | bool:
        await self.logged_in.wait()  # a session may be asked for while the login is audited
        if self.operator is None:
            return False
        session = self.worker.new_session(self.operator.email, self.address)
        if session is None:
            log.warning("session refused: %d sessions already", len(self.worker.sessions))
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_RESOURCE_SHORTAGE,
                                            "This server is full; try again later.")
        folder = operator_folder(self.worker.store, self.operator.email, create=False)
        return SessionSwitch(session, lambda chan: ExportFolderSFTP(chan, folder))


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

