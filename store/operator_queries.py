"""Read model of the Users screen and `doorkeeper operator list`: operators with their
profile by site (the guide's "Sites  Profile  Validity") and their SSH keys.

Operators are few (tens, not thousands), so this reads them whole.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.model import Operator, OperatorKey, Site, SiteGrant, id_of
from core.views.rows import GrantRow, OperatorRow
from store.database import Store


async def operator_rows(store: Store, site_ids: Iterable[int] | None = None,
                        *, with_ungranted: bool = False) -> list[OperatorRow]:
    """Operators by email. With `site_ids`: those with a profile on one of those sites
    (and only those sites' lines), plus operators with no site at all if
    `with_ungranted`; with None: everyone, every site."""
    wanted = None if site_ids is None else set(site_ids)
    async with store.reader() as uow:
        ops = await uow.find(Operator, order_by="email")
        sites = {s.id: s for s in await uow.find(Site)}
        grants = await uow.find(SiteGrant)
        keys = await uow.find(OperatorKey, order_by="id")
    by_op: dict[int, list[GrantRow]] = {}
    has_any: set[int] = set()
    for g in grants:
        has_any.add(g.operator_id)
        if wanted is not None and g.site_id not in wanted:
            continue
        site = sites[g.site_id]
        by_op.setdefault(g.operator_id, []).append(GrantRow(
            id_of(g), g.site_id, site.name, site.timezone, g.profile, g.rights, g.valid_from,
            g.valid_to))
    keys_by_op: dict[int, list[OperatorKey]] = {}
    for k in keys:
        keys_by_op.setdefault(k.operator_id, []).append(k)
    rows = []
    for op in ops:
        op_id = id_of(op)
        lines = sorted(by_op.get(op_id, []), key=lambda r: r.site.casefold())
        if wanted is not None and not lines and not (with_ungranted and op_id not in has_any):
            continue
        rows.append(OperatorRow(op, lines, keys_by_op.get(op_id, [])))
    return rows


async def operator_row(store: Store, operator_id: int,
                       site_ids: Iterable[int] | None = None) -> OperatorRow | None:
    """One operator's row (None if they are gone or not visible)."""
    for row in await operator_rows(store, site_ids, with_ungranted=True):
        if row.id == operator_id:
            return row
    return None
