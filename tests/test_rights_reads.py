"""Every read × every profile: what an operator may not consult never leaves core.

One table row per read service of core.views: the area it needs on the site, the
parts of its answer that belong to other areas, and the call. Each row runs as an
operator of every profile (the four named ones and custom sets), and as viewers who
must be refused whatever their profile says: a grant that expired or has not
started since the session opened, a deactivated operator, and a site of someone
else's. The expected outcome is computed from core.rights: refused with
PermissionDenied or NotFound, or answered with exactly the parts whose area the
viewer may consult (the others None).

The estate is built once per module (one event loop for the module) and only read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from core.errors import NotFound, PermissionDenied
from core.model import (
    Alarm,
    APassState,
    Block,
    CallStep,
    Event,
    EventKind,
    EventResult,
    Flat,
    Operator,
    PanelDisplay,
    Site,
)
from core.rights import PROFILE_RIGHTS, Action, Area, Profile, right, rights_for
from core.services import access_passes, blocks, flats, operators, residents, sites
from core.services.base import Actor
from core.services.logins import find_operator
from core.views import blocks as vb
from core.views import devices as vd
from core.views import events as ve
from core.views import facilities as vf
from core.views import history as vh
from core.views import operators as vo
from core.views import overview as vov
from core.views import passes as vp
from core.views import search as vs
from core.views.facilities_rows import ProviderFilter, TaskFilter
from core.views.rows import EventFilter
from core.views.viewer import Viewer, load_viewer
from store.database import Store
from store.reads import StoreReads
from tests.conftest import build_small_estate, fixed_clock

pytestmark = pytest.mark.asyncio(loop_scope="module")

TODAY = fixed_clock().date()
LOST = "2222200002"
ASSIGNED = "1111100000"
PHONE = "+447546277360"


@dataclass
class World:
    store: Store
    reads: StoreReads
    admin: Actor
    site: Site
    block: Block
    flat: Flat
    other_site: Site
    other_block: Block
    other_flat: Flat
    event_id: int
    other_event_id: int


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    store = await Store.open(path=tmp_path_factory.mktemp("reads") / "doorkeeper.db")
    op = await operators.bootstrap_admin(store.uow(), "admin@test.example")
    admin = Actor(op, source="test", clock=fixed_clock)
    e = await build_small_estate(store, admin)
    flat = e.flats[0]
    await flats.update_flat(store.uow(), admin, flat.id, code_main_door="4321")
    phone = await residents.add_telephone(store.uow(), admin, flat.id, PHONE)
    assert phone.id is not None
    await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        flat.id, "Patel, Jane", "A1", e.profile.id, [CallStep(phone.id, 20)]))
    await access_passes.create_access_passes(store.uow(), admin, e.site.id, ASSIGNED, 1,
                                             flat_id=flat.id, resident="Patel, Jane")
    await access_passes.create_access_passes(store.uow(), admin, e.site.id, LOST, 1,
                                             flat_id=flat.id, resident="Patel, Jane")
    await access_passes.send_to_lost(store.uow(), admin, LOST)
    other = await sites.create_site(store.uow(), admin, Site(name="Other Court"))
    other_block = await blocks.create_block(store.uow(), admin, Block(other.id, "Block Z"))
    [other_flat] = await flats.create_flats(store.uow(), admin, other_block.id, 1, 1)
    await access_passes.create_access_passes(store.uow(), admin, other.id, "3333300003", 1,
                                             flat_id=other_flat.id, resident="Patel, Jane")
    writer = await store.event_writer()
    writer.append(Event(fixed_clock(), e.site.id, EventKind.TAMPER, EventResult.ALARM,
                        e.panel.id))
    writer.append(Event(fixed_clock(), other.id, EventKind.TAMPER, EventResult.ALARM))
    await writer.flush()
    async with store.reader() as uow:
        events = {ev.site_id: ev.id for ev in await uow.find(Event)}
        assert len(await uow.find(Alarm)) == 2
    yield World(store, StoreReads(store), admin, e.site, e.block, flat, other, other_block,
                other_flat, events[e.site.id], events[other.id])
    await store.close()


# --- who reads ---------------------------------------------------------------------------

CUSTOM_SETS = {
    "custom: flats only": {right(Area.FLATS, Action.CONSULT)},
    "custom: events only": {right(Area.EVENTS, Action.CONSULT)},
    "custom: apasses without residents": {right(Area.FLATS, Action.CONSULT),
                                          right(Area.APASS_MANAGEMENT, Action.CONSULT),
                                          right(Area.BLOCKS, Action.CONSULT)},
    "custom: nothing": set(),
}
PROFILES: dict[str, tuple[str, set[str]]] = {
    **{p.value: (p.value, set()) for p in PROFILE_RIGHTS},
    **{name: (Profile.CUSTOM.value, rs) for name, rs in CUSTOM_SETS.items()},
}


async def viewer_for(w: World, name: str) -> Viewer:
    """An operator with this profile on the first site only (made once per profile)."""
    email = "reader-" + "".join(c if c.isalnum() else "-" for c in name.lower()) + "@t.example"
    async with w.store.reader() as uow:
        known = await find_operator(uow, email)
    if known is None:
        profile, custom = PROFILES[name]
        op = await operators.add_operator(w.store.uow(), w.admin, Operator(email=email))
        await operators.grant_site(w.store.uow(), w.admin, op.id, w.site.id, profile,
                                   custom=sorted(custom) or None)
    async with w.store.reader() as uow:
        return await load_viewer(uow, email, "test", fixed_clock)


def rights_of(name: str) -> frozenset[str]:
    profile, custom = PROFILES[name]
    return rights_for(profile, custom or None)


def consults(name: str, area: Area) -> bool:
    return right(area, Action.CONSULT) in rights_of(name)


# --- what is read ------------------------------------------------------------------------

Call = Callable[[World, Viewer], Awaitable[Any]]


@dataclass(frozen=True)
class Read:
    name: str
    area: Area  # needed on the site to be answered at all
    call: Call
    parts: Callable[[Any], dict[str, Any]] = lambda r: {}  # part -> value in the answer
    part_areas: dict[str, Area] | None = None  # each part's area


def _first(rows: list[Any]) -> Any:
    assert rows, "expected at least one row"
    return rows[0]


READS = [
    Read("block_rows", Area.BLOCKS, lambda w, v: vb.block_rows(w.reads, v, w.site.id),
         lambda rows: {"devices": _first(rows).devices, "passes": _first(rows).passes},
         vb.BLOCK_PARTS),
    Read("block", Area.BLOCKS, lambda w, v: vb.block(w.reads, v, w.site.id, w.block.id)),
    Read("flat_page", Area.FLATS,
         lambda w, v: vb.flat_page(w.reads, v, w.site.id, w.block.id),
         lambda rows: {k: getattr(_first(rows), k) for k in
                       ("passes", "display", "call_code", "telephones", "keypad_code")},
         vb.FLAT_PARTS),
    Read("flat_detail", Area.FLATS, lambda w, v: vb.flat_detail(w.reads, v, w.flat.id),
         lambda d: {"telephones": d.telephones, "displays": d.displays, "passes": d.passes,
                    "keypad_code": d.flat.code_main_door},
         vb.FLAT_PARTS),
    Read("flat_place", Area.FLATS, lambda w, v: vb.flat_place(w.reads, v, w.flat.id)),
    Read("next_flat_number", Area.FLATS,
         lambda w, v: vb.next_flat_number(w.reads, v, w.site.id, w.block.id)),
    Read("flat_by_number", Area.FLATS,
         lambda w, v: vb.flat_by_number(w.reads, v, w.site.id, w.block.id, "1")),
    Read("site_profiles", Area.ACCESS_PROFILES,
         lambda w, v: vb.site_profiles(w.reads, v, w.site.id)),
    Read("pass_page", Area.APASS_MANAGEMENT,
         lambda w, v: vp.pass_page(w.reads, v, w.site.id, APassState.LOST)),
    Read("pass_counts", Area.APASS_MANAGEMENT,
         lambda w, v: vp.pass_counts(w.reads, v, w.site.id)),
    Read("pass_choices", Area.APASS_MANAGEMENT,
         lambda w, v: vp.pass_choices(w.reads, v, w.site.id)),
    Read("display_page", Area.RESIDENTS_DISPLAYS,
         lambda w, v: vd.display_page(w.reads, v, w.site.id)),
    Read("site_panels", Area.RESIDENTS_DISPLAYS,
         lambda w, v: vd.site_panels(w.reads, v, w.site.id)),
    Read("device_rows", Area.DEVICES, lambda w, v: vd.device_rows(w.reads, v, w.site.id)),
    Read("event_page", Area.EVENTS,
         lambda w, v: ve.event_page(w.reads, v, EventFilter(site_id=w.site.id))),
    Read("event_detail", Area.EVENTS, lambda w, v: ve.event_detail(w.reads, v, w.event_id)),
    Read("alarm_page", Area.EVENTS, lambda w, v: _nonempty(ve.alarm_page(w.reads, v))),
    Read("open_alarm_count", Area.EVENTS,
         lambda w, v: _nonzero(ve.open_alarm_count(w.reads, v))),
    Read("overview", Area.EVENTS, lambda w, v: vov.overview(w.reads, v)),
    Read("alarm_counts", Area.EVENTS, lambda w, v: vov.alarm_counts(w.reads, v)),
    Read("event_blocks", Area.EVENTS, lambda w, v: ve.event_blocks(w.reads, v, w.site.id)),
    Read("event_flat", Area.EVENTS,
         lambda w, v: ve.event_flat(w.reads, v, w.site.id, w.block.id, "1")),
    Read("flat_history", Area.FLATS, lambda w, v: vh.flat_history(w.reads, v, w.flat.id),
         lambda lines: _history_parts([r.change for r in lines if r.change is not None]),
         {"residents": Area.RESIDENTS_DISPLAYS, "passes": Area.APASS_MANAGEMENT,
          "keypad_code": Area.KEYPAD_CODE}),
    Read("operator_rows", Area.USERS, lambda w, v: vo.operator_rows(w.reads, v)),
    Read("company_rows", Area.FACILITIES, lambda w, v: vf.company_rows(w.reads, v)),
    Read("provider_page", Area.FACILITIES,
         lambda w, v: vf.provider_page(w.reads, v, ProviderFilter())),
    Read("task_page", Area.FACILITIES, lambda w, v: vf.task_page(w.reads, v, TaskFilter())),
    Read("site_perimeter", Area.FACILITIES,
         lambda w, v: vf.site_perimeter(w.reads, v, w.site.id)),
    Read("search by APass", Area.APASS_MANAGEMENT,
         lambda w, v: _nonempty(vs.search(w.reads, v, LOST, "any"))),
    Read("search by telephone", Area.RESIDENTS_DISPLAYS,
         lambda w, v: _nonempty(vs.search(w.reads, v, "07546 277360", "any"))),
    Read("search by resident", Area.RESIDENTS_DISPLAYS,
         lambda w, v: _nonempty(vs.search(w.reads, v, "Patel", "resident"))),
    Read("search by flat", Area.FLATS,
         lambda w, v: _nonempty(vs.search(w.reads, v, "001", "flat")),
         lambda hits: {"passes": _first(hits).access_passes,
                       "residents": _first(hits).residents},
         {"passes": Area.APASS_MANAGEMENT, "residents": Area.RESIDENTS_DISPLAYS}),
]


def _history_parts(changes: list[Any]) -> dict[str, Any]:
    """The parts of a flat's history that belong to other areas (None when left out)."""
    people = [c for c in changes if c.entity in ("telephone", "panel_display")]
    passes = [c for c in changes if c.entity == "access_pass"]
    codes = [c.after["code_main_door"] for c in changes
             if c.action == "flat.update" and "code_main_door" in (c.after or {})]
    return {"residents": people or None, "passes": passes or None,
            "keypad_code": codes[0] if codes else None}


async def _nonempty(answer: Awaitable[Any]) -> Any:
    """An empty answer counts as refused (a search finds nothing it may not see)."""
    found = await answer
    if not found:
        raise PermissionDenied("nothing visible")
    return found


async def _nonzero(answer: Awaitable[int]) -> int:
    count = await answer
    if not count:
        raise PermissionDenied("nothing visible")
    return count


@pytest.mark.parametrize("read", READS, ids=lambda r: r.name)
@pytest.mark.parametrize("profile", list(PROFILES))
async def test_read_answers_only_what_the_profile_may_consult(world: World, profile: str,
                                                              read: Read) -> None:
    viewer = await viewer_for(world, profile)
    allowed = consults(profile, read.area)
    if read.area is Area.USERS and viewer.operator.can_create_sites:
        allowed = True
    if read.name == "search by APass" or read.name == "search by telephone" \
            or read.name == "search by resident":
        allowed = allowed and consults(profile, Area.FLATS)
    if not allowed:
        with pytest.raises((PermissionDenied, NotFound)):
            await read.call(world, viewer)
        return
    answer = await read.call(world, viewer)
    for part, value in read.parts(answer).items():
        area = (read.part_areas or {})[part]
        if consults(profile, area):
            assert value is not None, f"{part} withheld from {profile}"
        else:
            assert value is None, f"{part} ({area.label}) shown to {profile}: {value!r}"


# --- viewers who must be refused whatever their profile ------------------------------------

def _with_grant(viewer: Viewer, **changes: Any) -> Viewer:
    grants = {sid: replace(g, **changes) for sid, g in viewer.grants.items()}
    return replace(viewer, grants=grants)


REFUSED: dict[str, Callable[[Viewer], Viewer]] = {
    "grant expired since login": lambda v: _with_grant(
        v, valid_from=TODAY - timedelta(days=30), valid_to=TODAY - timedelta(days=1)),
    "grant not started": lambda v: _with_grant(v, valid_from=TODAY + timedelta(days=1)),
    "deactivated": lambda v: replace(v, actor=replace(
        v.actor, operator=replace(v.operator, active=False))),
}


@pytest.mark.parametrize("read", READS, ids=lambda r: r.name)
@pytest.mark.parametrize("case", list(REFUSED))
async def test_administrator_refused_when_the_grant_no_longer_holds(world: World, case: str,
                                                                    read: Read) -> None:
    viewer = REFUSED[case](await viewer_for(world, Profile.ADMINISTRATION.value))
    if read.area is Area.USERS and case != "deactivated":
        pytest.skip("a site creator may list operators without a current grant")
    with pytest.raises((PermissionDenied, NotFound)):
        await read.call(world, viewer)


# --- another site's ids through my site's door ---------------------------------------------

OTHER_SITE_READS: dict[str, Call] = {
    "flat_page of a block elsewhere": lambda w, v: vb.flat_page(
        w.reads, v, w.site.id, w.other_block.id),
    "flat_detail elsewhere": lambda w, v: vb.flat_detail(w.reads, v, w.other_flat.id),
    "flat_place elsewhere": lambda w, v: vb.flat_place(w.reads, v, w.other_flat.id),
    "block elsewhere": lambda w, v: vb.block(w.reads, v, w.site.id, w.other_block.id),
    "flat_by_number elsewhere": lambda w, v: vb.flat_by_number(
        w.reads, v, w.site.id, w.other_block.id, "1"),
    "event_detail elsewhere": lambda w, v: ve.event_detail(w.reads, v, w.other_event_id),
    "events of the other site": lambda w, v: ve.event_page(
        w.reads, v, EventFilter(site_id=w.other_site.id)),
    "event_flat in a block elsewhere": lambda w, v: ve.event_flat(
        w.reads, v, w.site.id, w.other_block.id, "1"),
    "flat_history elsewhere": lambda w, v: vh.flat_history(w.reads, v, w.other_flat.id),
    "pass elsewhere by search": lambda w, v: vs.search(w.reads, v, "3333300003", "any"),
    "pass list of the other site": lambda w, v: vp.pass_page(
        w.reads, v, w.other_site.id, APassState.ASSIGNED),
}


@pytest.mark.parametrize("case", list(OTHER_SITE_READS))
async def test_nothing_of_another_site(world: World, case: str) -> None:
    viewer = await viewer_for(world, Profile.ADMINISTRATION.value)
    assert world.other_site.id not in viewer.grants
    try:
        answer = await OTHER_SITE_READS[case](world, viewer)
    except (PermissionDenied, NotFound):
        return
    assert not answer, f"{case}: {answer!r}"


async def test_alarms_and_events_of_my_sites_only(world: World) -> None:
    viewer = await viewer_for(world, Profile.ADMINISTRATION.value)
    rows = await ve.alarm_page(world.reads, viewer, acknowledged=True)
    assert {r.site_id for r in rows} == {world.site.id}
    assert await ve.open_alarm_count(world.reads, viewer) == 1
    live = [{"site_id": world.site.id, "at": fixed_clock().isoformat()},
            {"site_id": world.other_site.id, "at": fixed_clock().isoformat()}]
    assert ve.live_events(viewer, EventFilter(), live, {}) == live[:1]
    assert ve.live_alarms(viewer, live) == live[:1]


async def test_engineer_finds_no_lost_pass(world: World) -> None:
    """The leak the issue reported: Technical maintenance searching a lost APass number."""
    viewer = await viewer_for(world, Profile.TECHNICAL_MAINTENANCE.value)
    assert not viewer.may(world.site.id, Area.APASS_MANAGEMENT)
    assert list(await vs.search(world.reads, viewer, LOST, "any")) == []
    assert list(await vs.search(world.reads, viewer, LOST, "apass")) == []
    [hit] = await vs.search(world.reads, viewer, "Patel", "resident")
    assert hit.access_passes is None and hit.lost_passes is None
    assert hit.residents == ("Patel, Jane",)


async def test_viewer_dates_follow_the_site_clock(world: World) -> None:
    """A grant ending today still holds today, and not tomorrow."""
    viewer = await viewer_for(world, Profile.CONCIERGE.value)
    ends_today = _with_grant(viewer, valid_to=TODAY)
    assert ends_today.may(world.site.id, Area.FLATS)
    tomorrow = replace(ends_today, actor=replace(
        ends_today.actor, clock=lambda: fixed_clock() + timedelta(days=1)))
    assert not tomorrow.may(world.site.id, Area.FLATS)
    assert tomorrow.fingerprint() == ()


async def test_every_index_column_has_an_area() -> None:
    """The store's search index and core's field rights name the same columns."""
    from core.views.search_rows import SEARCH_FIELDS
    from store.search_index import COLUMNS
    assert set(COLUMNS) == set(SEARCH_FIELDS)

