"""What the read services need from the store: plain queries, no rights.

Every method that lists something of a site takes the site id and returns only
rows of that site, so an id from elsewhere (a block of another site) finds
nothing; the services above check the operator's rights on that site.
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.audit import ChainProgress, ChainReport
from core.model import AccessProfile, APassState, AuditEntry, Block, Holiday, WeekType
from core.views.export_lines import LinePage, LineSpec
from core.views.facilities_port import FacilitiesReadModel
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

if TYPE_CHECKING:
    from core.views.audit import AuditFilter, Scope


class ReadModel(FacilitiesReadModel, abc.ABC):
    """The store's read side, as the read services use it (the Facilities screen's
    queries are declared in core.views.facilities_port)."""

    # --- blocks and flats ---------------------------------------------------------------
    @abc.abstractmethod
    async def block_rows(self, site_id: int) -> list[BlockRow]:
        """Every block of a site with its counts, by name."""

    @abc.abstractmethod
    async def block(self, site_id: int, block_id: int) -> Block | None:
        """One block of a site."""

    @abc.abstractmethod
    async def site_header(self, site_id: int) -> SiteHeader:
        """A site's quotas and how much of each is used."""

    @abc.abstractmethod
    async def flat_page(self, site_id: int, block_id: int, after: str | None,
                        limit: int) -> list[FlatRow]:
        """Up to `limit` flats of a block of the site after Flat N° `after`."""

    @abc.abstractmethod
    async def flat_sheet_page(self, site_id: int, block_id: int, after: str | None,
                              limit: int) -> list[FlatSheetRow]:
        """Up to `limit` flats of a block of the site after Flat N° `after`, whole."""

    @abc.abstractmethod
    async def flat_detail(self, flat_id: int) -> FlatDetail | None:
        """Everything Flat management shows for one flat (None when it is gone)."""

    @abc.abstractmethod
    async def flat_place(self, flat_id: int) -> tuple[int, int] | None:
        """The (site, block) a flat is in, or None when it is gone."""

    @abc.abstractmethod
    async def next_flat_number(self, site_id: int, block_id: int) -> int:
        """One past the highest numeric Flat N° of a block of the site."""

    @abc.abstractmethod
    async def flat_by_number(self, site_id: int, block_id: int, typed: str) -> FlatRef | None:
        """The flat of a block of the site with this Flat N° ("7" finds "007")."""

    @abc.abstractmethod
    async def flat_audit_page(self, site_id: int, flat_id: int, entities: list[str],
                              before: tuple[datetime, int] | None, limit: int
                              ) -> list[AuditEntry]:
        """The newest audit entries about a flat of the site, and about the telephones,
        displays or APasses (of these `entities`) that were or are the flat's, older than
        `before` (at, id)."""

    @abc.abstractmethod
    async def site_profiles(self, site_id: int) -> list[AccessProfile]:
        """A site's access profiles, by name."""

    # --- week types, holidays and access profiles ------------------------------------
    @abc.abstractmethod
    async def site_week_types(self, site_id: int) -> list[WeekType]:
        """A site's week types, by name."""

    @abc.abstractmethod
    async def site_holidays(self, site_id: int) -> list[Holiday]:
        """A site's holidays, by date."""

    @abc.abstractmethod
    async def profile_rows(self, site_id: int) -> list[ProfileRow]:
        """A site's access profiles, by name, with what uses each."""

    @abc.abstractmethod
    async def site_doors(self, site_id: int) -> list[DoorChoice]:
        """Every door of a site's devices, by device and relay."""

    # --- access passes --------------------------------------------------------------------
    @abc.abstractmethod
    async def pass_page(self, site_id: int, state: APassState, *, block_id: int | None,
                        prefix: str, after: str | None, limit: int) -> list[PassRow]:
        """Up to `limit` passes of a site in a state, in number order."""

    @abc.abstractmethod
    async def pass_counts(self, site_id: int, block_id: int | None
                          ) -> dict[APassState, int]:
        """How many passes a site has in each state."""

    @abc.abstractmethod
    async def pass_choices(self, site_id: int) -> PassChoices:
        """A site's blocks and access profiles, by name."""

    # --- displays and devices -------------------------------------------------------------
    @abc.abstractmethod
    async def display_page(self, site_id: int, *, block_id: int | None,
                           after: tuple[str, str, int] | None, limit: int
                           ) -> list[DisplayRow]:
        """Up to `limit` names on a site's panels after the key `after`."""

    @abc.abstractmethod
    async def site_panels(self, site_id: int) -> list[PanelRow]:
        """The panels of a site."""

    @abc.abstractmethod
    async def device_rows(self, site_id: int, block_id: int | None) -> list[DeviceRow]:
        """Every device of a site (or of one of its blocks)."""

    @abc.abstractmethod
    async def site_devices(self, site_id: int) -> list[DeviceChoice]:
        """Every device of a site, by name (the event filters' choices)."""

    # --- events and alarms ------------------------------------------------------------------
    @abc.abstractmethod
    async def event_page(self, flt: EventFilter, site_ids: list[int],
                         before: tuple[datetime, int] | None, limit: int
                         ) -> list[dict[str, Any]]:
        """The newest events of these sites matching the filter, older than `before`."""

    @abc.abstractmethod
    async def event_rows(self, flt: EventFilter, site_ids: list[int],
                         before: tuple[str, int] | None, limit: int) -> list[tuple[Any, ...]]:
        """An export's page of events as tuples (at as stored UTC text, id, device_id,
        kind, result, name, credential, description), newest first, older than `before`."""

    @abc.abstractmethod
    async def event_lines(self, flt: EventFilter, site_ids: list[int], spec: LineSpec,
                          before: tuple[str, int] | None, limit: int) -> LinePage:
        """An export's page of events as text lines in `spec`'s layout, newest first,
        older than `before`; no line (None) where SQL cannot write it exactly
        (core.views.export_lines)."""

    @abc.abstractmethod
    async def event_rows_of(self, site_ids: list[int], ids: Sequence[int]
                            ) -> list[tuple[Any, ...]]:
        """These events of these sites as `event_rows` gives them (any order)."""

    @abc.abstractmethod
    async def event_count(self, flt: EventFilter, site_ids: list[int]) -> int:
        """How many events of these sites match the filter."""

    @abc.abstractmethod
    async def audit_count(self, scopes: Sequence[Scope], flt: AuditFilter) -> int:
        """How many audit entries within these scopes match the filter."""

    @abc.abstractmethod
    async def event_detail(self, event_id: int) -> EventDetail | None:
        """One event and the names of what it refers to."""

    @abc.abstractmethod
    async def open_alarm_count(self, site_ids: list[int]) -> int:
        """Alarms not yet acknowledged on these sites."""

    @abc.abstractmethod
    async def alarm_page(self, site_ids: list[int], *, acknowledged: bool,
                         before: tuple[datetime, int] | None, limit: int) -> list[AlarmRow]:
        """The newest alarms of these sites (open ones, or every one)."""

    @abc.abstractmethod
    async def alarm_counts(self, site_ids: list[int]) -> AlarmCounts:
        """Open alarms by kind, and devices whose "Device offline" is not cleared, by site."""

    @abc.abstractmethod
    async def overview(self, site_ids: list[int], since: datetime, hours: int,
                       door_kinds: Collection[str], doors: int
                       ) -> tuple[AlarmCounts, dict[int, dict[int, int]], list[dict[str, Any]]]:
        """The overview's counts in one read: the alarm counts; events by site and hour
        (0 is the hour from `since`, up to `hours`); the newest `doors` events of
        these kinds on these sites."""

    @abc.abstractmethod
    async def alarm_signature(self, site_ids: list[int]) -> tuple[Any, ...]:
        """A fingerprint of these sites' alarms that changes with them."""

    # --- the audit trail ------------------------------------------------------------------
    @abc.abstractmethod
    async def audit_page(self, scopes: Sequence[Scope], flt: AuditFilter,
                         before: int | None, limit: int) -> list[dict[str, Any]]:
        """The newest audit entries within these scopes matching the filter, older than
        entry `before` (id, at, actor, action, entity, entity_id, site_id, before, after,
        source)."""

    @abc.abstractmethod
    async def audit_names(self, wanted: dict[str, set[int]]
                          ) -> dict[str, dict[int, tuple[str, int | None]]]:
        """Names of the objects audit entries refer to, by kind (site, block, flat,
        access_pass, access_profile, week_type, device, door, operator, company,
        provider): {kind: {id: (name, site id or None)}}; removed ones are absent."""

    @abc.abstractmethod
    async def audit_chain(self, progress: ChainProgress | None = None, *,
                          full: bool = False, now: datetime | None = None) -> ChainReport:
        """The audit trail's hash chain checked against its head: the entries since the
        last check that found it intact (a checkpoint), or all of them (`full`, or when
        the checkpoint no longer matches); `progress` follows it; `now` is when a whole
        check happens (the reader's clock)."""

    # --- operators and search -----------------------------------------------------------------
    @abc.abstractmethod
    async def operator_rows(self, site_ids: Iterable[int] | None, *,
                            with_ungranted: bool) -> list[OperatorRow]:
        """Operators with their grants on these sites (None: every site)."""

    @abc.abstractmethod
    async def search(self, text: str, by: str, site_ids: Iterable[int], limit: int,
                     columns: frozenset[str] | None) -> SearchResults:
        """Flats of these sites matching typed text, looking only in `columns` of the
        index (None: every column `by` names)."""
