"""What happens to an operator's console session besides logging in and out: a session
ended by the server because it went over its resource limits (memory, CPU) is audited,
so the operator and an administrator can see why it closed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from core.model import Operator
from core.ports import UnitOfWork
from core.services.base import Actor, record, utc_now
from core.text import safe_text

SOURCE_MAX = 120  # the audit trail's source column
WHY_MAX = 200


async def ended_over_limit(uow: UnitOfWork, operator: Operator, *, source: str, why: str,
                           clock: Callable[[], datetime] = utc_now) -> None:
    """Audit a session the server ended because it went over a limit (`why`)."""
    actor = Actor(operator, source=safe_text(source)[:SOURCE_MAX], clock=clock)
    async with uow:
        await record(uow, actor, "session.over_limit",
                     {"who": operator.email, "why": safe_text(why)[:WHY_MAX]},
                     entity_id=operator.id)
        await uow.commit()
