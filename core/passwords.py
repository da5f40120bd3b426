"""Operator passwords, hashed with argon2 (never stored or logged in clear).

One argon2 check or hash costs about a third of a second of CPU and 64 MB:
`check_password` (a login) and `new_password_hash` (an administrator setting one) run
it in a thread, off the event loop, and at most CHECKS_AT_ONCE of them at a time in a
process, whatever the number of addresses asking (the per-address throttle is the SSH
worker's). Callers hash before they open their unit of work, never inside it.
"""

from __future__ import annotations

import asyncio
import weakref

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.errors import ValidationError

PASSWORD_MIN = 10
#: password checks running at once in one process (each is one core and 64 MB)
CHECKS_AT_ONCE = 2
_hasher = PasswordHasher()
#: one semaphore per event loop (an asyncio semaphore belongs to the loop it waits on)
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary())
_dummy_hash: str | None = None


def password_rule(password: str) -> None:
    """A ValidationError for a password too short to be set."""
    if len(password) < PASSWORD_MIN:
        raise ValidationError(f"A password needs at least {PASSWORD_MIN} characters.",
                              field="password")


def hash_password(password: str) -> str:
    """An argon2id hash of a password of at least 10 characters (on this thread: in a
    service, `new_password_hash`)."""
    password_rule(password)
    return _hasher.hash(password)


async def new_password_hash(password: str) -> str:
    """hash_password in a worker thread, sharing check_password's limit; a password too
    short is refused at once."""
    password_rule(password)
    async with _gate():
        return await asyncio.to_thread(hash_password, password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if the password matches the stored hash."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _verify_or_burn(password_hash: str | None, password: str) -> bool:
    """verify_password; with no hash, verify against a throw-away one all the same, so
    an unknown login (or one with no password) takes as long as a known one."""
    global _dummy_hash
    if password_hash:
        return verify_password(password_hash, password)
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not-a-password-of-anyone")
    verify_password(_dummy_hash, password)
    return False


async def check_password(password_hash: str | None, password: str) -> bool:
    """verify_password in a worker thread, never more than CHECKS_AT_ONCE at a time in
    this process; an absent hash costs the same time and gives False."""
    async with _gate():
        return await asyncio.to_thread(_verify_or_burn, password_hash, password)


def _gate() -> asyncio.Semaphore:
    """This event loop's limit on argon2 runs."""
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(CHECKS_AT_ONCE)
    return gate
