"""The store's read side behind core's ReadModel port: each method is one of the read
models in store/*_queries.py and store/search.py, scoped to the site it names."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from core.audit import ChainProgress, ChainReport
from core.errors import NotFound
from core.model import AccessProfile, APassState, AuditEntry, Block, Holiday, WeekType
from core.views.audit import AuditFilter, Scope
from core.views.export_lines import LinePage, LineSpec
from core.views.port import ReadModel
from core.views.rows import (
    AlarmCounts,
    AlarmRow,
    BlockRow,
    DeviceChoice,
    DeviceRow,
    DisplayRow,
    EventDetail,
    EventFilter,
    FlatDetail,
    FlatRef,
    FlatRow,
    FlatSheetRow,
    OperatorRow,
    PanelRow,
    PassChoices,
    PassRow,
    SiteHeader,
)
from core.views.search_rows import SearchResults
from core.views.setup_rows import DoorChoice, ProfileRow
from store import (
    alarm_queries,
    audit_queries,
    device_queries,
    display_queries,
    event_queries,
    flat_queries,
    operator_queries,
    overview_queries,
    pass_queries,
    queries,
    search,
    setup_queries,
)
from store.database import Store
from store.facilities_queries import StoreFacilitiesReads


class StoreReads(StoreFacilitiesReads, ReadModel):
    """Core's read port over one store (the Facilities queries come from
    store.facilities_queries)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def block_rows(self, site_id: int) -> list[BlockRow]:
        return await queries.block_rows(self.store, site_id)

    async def block(self, site_id: int, block_id: int) -> Block | None:
        async with self.store.reader() as uow:
            found = await uow.get(Block, block_id)
        return found if found is not None and found.site_id == site_id else None

    async def site_header(self, site_id: int) -> SiteHeader:
        return await queries.site_header(self.store, site_id)

    async def flat_page(self, site_id: int, block_id: int, after: str | None,
                        limit: int) -> list[FlatRow]:
        return await queries.flat_page(self.store, block_id, after, limit, site_id=site_id)

    async def flat_sheet_page(self, site_id: int, block_id: int, after: str | None,
                              limit: int) -> list[FlatSheetRow]:
        return await flat_queries.flat_sheet_page(self.store, site_id, block_id, after, limit)

    async def flat_detail(self, flat_id: int) -> FlatDetail | None:
        try:
            return await flat_queries.flat_detail(self.store, flat_id)
        except NotFound:
            return None

    async def flat_place(self, flat_id: int) -> tuple[int, int] | None:
        return await flat_queries.flat_place(self.store, flat_id)

    async def next_flat_number(self, site_id: int, block_id: int) -> int:
        return await flat_queries.next_flat_number(self.store, block_id, site_id=site_id)

    async def flat_by_number(self, site_id: int, block_id: int, typed: str) -> FlatRef | None:
        return await pass_queries.flat_by_number(self.store, block_id, typed, site_id=site_id)

    async def flat_audit_page(self, site_id: int, flat_id: int, entities: list[str],
                              before: tuple[datetime, int] | None, limit: int
                              ) -> list[AuditEntry]:
        return await flat_queries.flat_audit_page(self.store, site_id, flat_id, entities,
                                                  before, limit)

    async def site_profiles(self, site_id: int) -> list[AccessProfile]:
        return await flat_queries.site_profiles(self.store, site_id)

    async def site_week_types(self, site_id: int) -> list[WeekType]:
        return await setup_queries.site_week_types(self.store, site_id)

    async def site_holidays(self, site_id: int) -> list[Holiday]:
        return await setup_queries.site_holidays(self.store, site_id)

    async def profile_rows(self, site_id: int) -> list[ProfileRow]:
        return await setup_queries.profile_rows(self.store, site_id)

    async def site_doors(self, site_id: int) -> list[DoorChoice]:
        return await setup_queries.site_doors(self.store, site_id)

    async def pass_page(self, site_id: int, state: APassState, *, block_id: int | None,
                        prefix: str, after: str | None, limit: int) -> list[PassRow]:
        return await pass_queries.pass_page(self.store, site_id, state, block_id=block_id,
                                            prefix=prefix, after=after, limit=limit)

    async def pass_counts(self, site_id: int, block_id: int | None
                          ) -> dict[APassState, int]:
        return await pass_queries.pass_counts(self.store, site_id, block_id)

    async def pass_choices(self, site_id: int) -> PassChoices:
        return await pass_queries.pass_choices(self.store, site_id)

    async def display_page(self, site_id: int, *, block_id: int | None,
                           after: tuple[str, str, int] | None, limit: int
                           ) -> list[DisplayRow]:
        return await display_queries.display_page(self.store, site_id, block_id=block_id,
                                                  after=after, limit=limit)

    async def site_panels(self, site_id: int) -> list[PanelRow]:
        return await display_queries.site_panels(self.store, site_id)

    async def device_rows(self, site_id: int, block_id: int | None) -> list[DeviceRow]:
        return await device_queries.device_rows(self.store, site_id, block_id)

    async def site_devices(self, site_id: int) -> list[DeviceChoice]:
        return await event_queries.site_devices(self.store, site_id)

    async def event_page(self, flt: EventFilter, site_ids: list[int],
                         before: tuple[datetime, int] | None, limit: int
                         ) -> list[dict[str, Any]]:
        return await queries.event_page(self.store, flt, before, limit, site_ids=site_ids)

    async def audit_page(self, scopes: Sequence[Scope], flt: AuditFilter,
                         before: int | None, limit: int) -> list[dict[str, Any]]:
        return await audit_queries.audit_page(self.store, scopes, flt, before, limit)

    async def event_rows(self, flt: EventFilter, site_ids: list[int],
                         before: tuple[str, int] | None, limit: int) -> list[tuple[Any, ...]]:
        return await queries.event_rows(self.store, flt, site_ids, before, limit)

    async def event_lines(self, flt: EventFilter, site_ids: list[int], spec: LineSpec,
                          before: tuple[str, int] | None, limit: int) -> LinePage:
        return await event_queries.event_lines(self.store, flt, site_ids, spec, before, limit)

    async def event_rows_of(self, site_ids: list[int], ids: Sequence[int]
                            ) -> list[tuple[Any, ...]]:
        return await event_queries.event_rows_of(self.store, site_ids, ids)

    async def event_count(self, flt: EventFilter, site_ids: list[int]) -> int:
        return await queries.event_count(self.store, flt, site_ids)

    async def audit_count(self, scopes: Sequence[Scope], flt: AuditFilter) -> int:
        return await audit_queries.audit_count(self.store, scopes, flt)

    async def audit_names(self, wanted: dict[str, set[int]]
                          ) -> dict[str, dict[int, tuple[str, int | None]]]:
        return await audit_queries.audit_names(self.store, wanted)

    async def audit_chain(self, progress: ChainProgress | None = None, *,
                          full: bool = False, now: datetime | None = None) -> ChainReport:
        return await audit_queries.audit_chain(self.store, progress, full=full, now=now)

    async def event_detail(self, event_id: int) -> EventDetail | None:
        return await event_queries.event_detail(self.store, event_id)

    async def open_alarm_count(self, site_ids: list[int]) -> int:
        return await alarm_queries.open_alarm_count(self.store, site_ids)

    async def alarm_page(self, site_ids: list[int], *, acknowledged: bool,
                         before: tuple[datetime, int] | None, limit: int) -> list[AlarmRow]:
        return await alarm_queries.alarm_page(self.store, site_ids, acknowledged=acknowledged,
                                              before=before, limit=limit)

    async def alarm_counts(self, site_ids: list[int]) -> AlarmCounts:
        return await overview_queries.alarm_counts(self.store, site_ids)

    async def overview(self, site_ids: list[int], since: datetime, hours: int,
                       door_kinds: Collection[str], doors: int
                       ) -> tuple[AlarmCounts, dict[int, dict[int, int]], list[dict[str, Any]]]:
        return await overview_queries.overview(self.store, site_ids, since, hours,
                                               door_kinds, doors)

    async def alarm_signature(self, site_ids: list[int]) -> tuple[Any, ...]:
        return await alarm_queries.alarm_signature(self.store, site_ids)

    async def operator_rows(self, site_ids: Iterable[int] | None, *,
                            with_ungranted: bool) -> list[OperatorRow]:
        return await operator_queries.operator_rows(self.store, site_ids,
                                                    with_ungranted=with_ungranted)

    async def search(self, text: str, by: str, site_ids: Iterable[int], limit: int,
                     columns: frozenset[str] | None) -> SearchResults:
        return await search.search(self.store, text, by, site_ids, limit, columns)
