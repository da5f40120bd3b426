"""The SMS outbox as the gateway's sender works through it (docs/sms.md).

A message goes: queued, no reference → `attempt_at` set (handed to the route: one
write for a batch, before any of them goes) → accepted (`provider_ref` stored at
once, before the next is sent) or put back with `next_try_at` (transient) or failed
(permanent). Messages with a reference whose status is not final are polled. A
message whose `attempt_at` is set but has no reference was being sent when the
gateway stopped: the sender asks the route whether it has it before sending again.
Each write is one short transaction through the store's write gate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select, update

from core.sms import MessageStatus
from store import tables as t
from store.database import Store

M = t.sms_messages.c
WAITING = (MessageStatus.QUEUED.value, MessageStatus.SENT.value)


@dataclass(frozen=True)
class Outgoing:
    """A message to hand to the route, with its campaign's text."""

    id: int
    site_id: int
    number: str
    text: str
    attempts: int
    attempt_at: datetime | None


def _select() -> Select[Any]:
    return (select(M.id, M.site_id, M.number, t.sms_campaigns.c.text, M.attempts,
                   M.attempt_at)
            .join(t.sms_campaigns, t.sms_campaigns.c.id == M.campaign_id))


async def due(store: Store, now: datetime, limit: int) -> list[Outgoing]:
    """Queued messages not yet handed to the route, due now, oldest first."""
    stmt = (_select().where(M.status == MessageStatus.QUEUED.value, M.provider_ref.is_(None),
                            M.attempt_at.is_(None),
                            or_(M.next_try_at.is_(None), M.next_try_at <= now))
            .order_by(M.id).limit(limit))
    async with store.reader() as uow:
        assert uow.conn is not None
        return [Outgoing(*row) for row in await uow.conn.execute(stmt)]


async def unresolved(store: Store) -> list[Outgoing]:
    """Messages handed to the route whose answer was never stored (a crash, a kill)."""
    stmt = (_select().where(M.status == MessageStatus.QUEUED.value, M.provider_ref.is_(None),
                            M.attempt_at.is_not(None)).order_by(M.id))
    async with store.reader() as uow:
        assert uow.conn is not None
        return [Outgoing(*row) for row in await uow.conn.execute(stmt)]


async def next_due_at(store: Store) -> datetime | None:
    """When the earliest message put back for later is due."""
    stmt = select(M.next_try_at).where(
        M.status == MessageStatus.QUEUED.value, M.provider_ref.is_(None),
        M.attempt_at.is_(None), M.next_try_at.is_not(None)).order_by(M.next_try_at).limit(1)
    async with store.reader() as uow:
        assert uow.conn is not None
        value: datetime | None = (await uow.conn.execute(stmt)).scalar()
        return value


async def to_poll(store: Store, limit: int) -> list[tuple[int, int, str]]:
    """Accepted messages whose delivery status is not final: (id, site id, reference)."""
    stmt = (select(M.id, M.site_id, M.provider_ref).where(M.status.in_(WAITING),
                                               M.provider_ref.is_not(None))
            .order_by(M.updated_at, M.id).limit(limit))
    async with store.reader() as uow:
        assert uow.conn is not None
        return [(row.id, row.site_id, row.provider_ref) for row in await uow.conn.execute(stmt)]


async def _write(store: Store, *statements: object) -> None:
    async with store.uow() as uow:
        assert uow.conn is not None
        for stmt in statements:
            await uow.conn.execute(stmt)  # type: ignore[call-overload]
        await uow.commit()


async def handing(store: Store, ids: Iterable[int], now: datetime) -> None:
    """These messages are about to be handed to the route (one write for the batch)."""
    await _write(store, update(t.sms_messages).where(M.id.in_(list(ids)))
                 .values(attempt_at=now, attempts=M.attempts + 1, updated_at=now))


async def accepted(store: Store, taken: list[tuple[int, str, MessageStatus]], now: datetime
                   ) -> None:
    """The route took these messages (id, reference, status): their references, in one
    write (those whose answers came while the previous write was under way)."""
    stmt = (update(t.sms_messages).where(M.id == bindparam("_id"))
            .values(provider_ref=bindparam("_ref"), status=bindparam("_status"),
                    attempt_at=None, next_try_at=None, error="", updated_at=now))
    async with store.uow() as uow:
        assert uow.conn is not None
        await uow.conn.execute(stmt, [{"_id": i, "_ref": ref, "_status": status.value}
                                      for i, ref, status in taken])
        await uow.commit()


async def later(store: Store, message_id: int, at: datetime, error: str, now: datetime
                ) -> None:
    """A transient error: back in the queue, not before `at`."""
    await _write(store, update(t.sms_messages).where(M.id == message_id).values(
        attempt_at=None, next_try_at=at, error=error[:200], updated_at=now))


async def put_back(store: Store, ids: Iterable[int], now: datetime) -> None:
    """Messages marked for handing but not handed (the route failed first): as they were,
    their attempt not counted."""
    await _write(store, update(t.sms_messages).where(
        and_(M.id.in_(list(ids)), M.provider_ref.is_(None), M.attempt_at.is_not(None),
             M.status == MessageStatus.QUEUED.value))
        .values(attempt_at=None, attempts=M.attempts - 1, updated_at=now))


async def set_status(store: Store, message_id: int, status: MessageStatus, error: str,
                     now: datetime) -> None:
    """A status from the route (polled), or failed with the provider's reason."""
    await _write(store, update(t.sms_messages).where(M.id == message_id).values(
        status=status.value, attempt_at=None, error=error[:200], updated_at=now))


async def status_unknown(store: Store, message_id: int, error: str, now: datetime) -> None:
    """The route would not say how an accepted message fared (Twilio no longer has it):
    why, on the message; its status stays, and it goes to the back of the polls."""
    await _write(store, update(t.sms_messages).where(M.id == message_id).values(
        error=f"delivery status not known: {error}"[:200], updated_at=now))
