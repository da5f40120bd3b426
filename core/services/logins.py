"""Logging in to the console (over SSH or locally): by public key or by password.

An operator logs in with their email (any case) or their short login name. They are
let in when they are active, have a current grant on at least one site (validity
dates are the site's local days) or may create sites, and their key is one of theirs
or their password verifies. Every login, logout and refusal is audited with the
client's address; a refusal never names the password, and never tells a stranger
whether the account exists.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from core.errors import PermissionDenied, ValidationError
from core.keys import parse_public_key
from core.model import Operator, OperatorKey, Site, SiteGrant
from core.passwords import check_password
from core.ports import UnitOfWork
from core.rights import grant_is_current
from core.services.base import Actor, record, utc_now
from core.text import safe_text

#: what a refused stranger (or a wrong key or password) is told: nothing more
REFUSED = "Login refused: unknown operator, or wrong key or password."
SOURCE_MAX = 120  # the audit trail's source column
WHO_MAX = 254


def _clean_who(who: str) -> str:
    return safe_text(who or "").strip()[:WHO_MAX]


async def find_operator(uow: UnitOfWork, who: str) -> Operator | None:
    """The operator with this email (any case) or login name, inside an open unit."""
    name = _clean_who(who).lower()
    if not name:
        return None
    found = await uow.find(Operator, email=name) or await uow.find(Operator, login=name)
    return found[0] if found else None


async def _may_log_in(uow: UnitOfWork, op: Operator, actor: Actor) -> str | None:
    """Why the operator may not log in today, or None if they may."""
    if not op.active:
        return f"{op.email} is disabled."
    if op.can_create_sites:
        return None
    grants = await uow.find(SiteGrant, operator_id=op.id)
    if not grants:
        return f"{op.email} has no site."
    for grant in grants:
        site = await uow.get(Site, grant.site_id)
        if site is not None and grant_is_current(grant, actor.today(site)):
            return None
    return f"{op.email} has no site whose access is current today."


async def _key_matches(uow: UnitOfWork, op: Operator, public_key: str
                       ) -> tuple[bool, str | None]:
    """Whether the key is one of the operator's, and its fingerprint (None: malformed)."""
    try:
        key = parse_public_key(public_key)
    except ValidationError:
        return False, None
    stored = await uow.find(OperatorKey, operator_id=op.id)
    return any(k.key == key.identity for k in stored), key.fingerprint


async def login(uow: UnitOfWork, who: str, *, public_key: str | None = None,
                password: str | None = None, source: str,
                clock: Callable[[], datetime] = utc_now) -> Operator:
    """Let an operator in by key or password, or raise PermissionDenied (audited).

    With neither key nor password, only check that `who` could log in (no audit).
    Three steps, so that no transaction is open while argon2 runs: one short unit reads
    the operator, their grants and their key or hash; the password is checked off the
    loop (core.passwords.check_password); a second short unit writes the audit entry.
    """
    source = safe_text(source)[:SOURCE_MAX]
    checking = public_key is None and password is None
    method = "check" if checking else ("key" if public_key is not None else "password")
    details: dict[str, object] = {"who": _clean_who(who), "method": method}
    status: str | None = None
    bad: str | None = None
    async with uow:
        op = await find_operator(uow, who)
        actor = Actor(op or Operator(email=_clean_who(who) or "?"), source=source, clock=clock)
        if op is not None:
            status = await _may_log_in(uow, op, actor)
            if public_key is not None:
                ok, fingerprint = await _key_matches(uow, op, public_key)
                details["fingerprint"] = fingerprint
                bad = None if ok else ("key not recognised" if fingerprint else "malformed key")
    if password is not None:  # an unknown operator's check costs the same time
        hashed = op.password_hash if op is not None else None
        if not await check_password(hashed, password) and op is not None:
            bad = "wrong password" if hashed else "no password set"
    reason: str | None
    told: str | None
    if op is None:
        reason, told = "unknown operator", REFUSED
    else:
        reason = "; ".join(r for r in (bad, status) if r) or None
        # who has not proved who they are learns nothing about the account
        told = REFUSED if bad or checking else status
    if checking:
        if reason:
            raise PermissionDenied(REFUSED)
        assert op is not None
        return op
    async with uow:
        if reason:
            details["reason"] = reason
            await record(uow, actor, "session.refused", details,
                         entity_id=op.id if op else None)
            await uow.commit()
            raise PermissionDenied(told or REFUSED)
        assert op is not None
        await record(uow, actor, "session.login", details, entity_id=op.id)
        await uow.commit()
    return op


async def logout(uow: UnitOfWork, operator: Operator, *, source: str,
                 clock: Callable[[], datetime] = utc_now) -> None:
    """Audit the end of an operator's session."""
    actor = Actor(operator, source=safe_text(source)[:SOURCE_MAX], clock=clock)
    async with uow:
        await record(uow, actor, "session.logout", {"who": operator.email},
                     entity_id=operator.id)
        await uow.commit()


async def has_keys(uow: UnitOfWork, who: str) -> bool:
    """Whether the operator (email or login) has at least one public key."""
    async with uow:
        op = await find_operator(uow, who)
        if op is None:
            return False
        return await uow.count(OperatorKey, operator_id=op.id) > 0
