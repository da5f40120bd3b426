"""The simulator driver: a believable mix of traffic, reproducible, injectable, stoppable."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from core.devices import (
    AccessRequest,
    CallOutcome,
    CallReport,
    Credential,
    DeviceEvent,
    OpenDoor,
    Signal,
    Status,
    StatusReport,
)
from core.model import DeviceType
from drivers.simulator import (
    SimDevice,
    SimDisplay,
    SimEntry,
    SimPass,
    SimulatorDriver,
    SimulatorPlan,
)

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
NIGHT = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)

PLAN = SimulatorPlan(
    devices=(
        SimDevice(1, 1, DeviceType.IPGUARD_4G, {1: 101, 2: 102}),
        SimDevice(2, 1, DeviceType.READER, {1: 201}),
        SimDevice(3, 1, DeviceType.CODE_KEYPAD, {1: 301}),
        SimDevice(4, 1, DeviceType.RADIO_RECEIVER, {1: 401}),
        SimDevice(5, 1, DeviceType.GSM_MODEM),
    ),
    apasses=(*(SimPass(f"100000000{i}", Credential.APASS, (1, 2)) for i in range(5)),
             SimPass("1100000001", Credential.RADIO, (4,))),
    lost=(SimPass("2000000001"),),
    stock=(SimPass("3000000001", Credential.RADIO),),
    flat_codes=(SimEntry("123456", (1, 3)), SimEntry("654321", (3,))),
    displays=(SimDisplay("101", ("+447700900001",), (1,)),
              SimDisplay("102", ("+447700900002", "+447700900003"), (1,))),
    provider_mobiles=(SimEntry("+447700900100", (1, 2)),),
    provider_passes=(SimPass("4000000001", Credential.APASS, (2,)),),
    provider_codes=(SimEntry("4321", (3,)),),
)
DEVICES = {d.id: d for d in PLAN.devices}
PASSES = {p.number: p for p in (*PLAN.apasses, *PLAN.lost, *PLAN.stock, *PLAN.provider_passes)}
ENTRIES = {e.value: e for e in (*PLAN.flat_codes, *PLAN.provider_codes, *PLAN.provider_mobiles)}
KEYPADS = {i for e in PLAN.flat_codes for i in e.device_ids}
DISPLAYS = {d.call_code: d for d in PLAN.displays}

#: statuses only a real bus's driver reports (the OSDP driver's communication quality)
NOT_SIMULATED = {Status.COMMUNICATION_QUALITY, Status.COMMUNICATION_RESTORED}
EXPECTED = ({("call", o) for o in CallOutcome}
            | {("status", s) for s in Status if s not in NOT_SIMULATED}
            | {("pass", k) for k in ("known", "unknown", "lost", "stock", "provider")}
            | {("code", "flat"), ("code", "provider"), ("code", "wrong"),
               ("telephone", "provider"), ("credential", Credential.APASS),
               ("credential", Credential.RADIO)})


def labels(event: DeviceEvent) -> set[tuple]:
    """What kind of traffic an event is, in the test's words."""
    if isinstance(event, CallReport):
        return {("call", event.outcome)}
    if isinstance(event, StatusReport):
        return {("status", event.status)}
    value = event.value
    if event.credential is Credential.CODE:
        kind = ("flat" if value in {e.value for e in PLAN.flat_codes} else "provider"
                if value in {e.value for e in PLAN.provider_codes} else "wrong")
        return {("code", kind)}
    if event.credential is Credential.TELEPHONE:
        return {("telephone", "provider" if value in ENTRIES else "other")}
    kind = ("known" if value in {p.number for p in PLAN.apasses} else "lost"
            if value in {p.number for p in PLAN.lost} else "stock"
            if value in {p.number for p in PLAN.stock} else "provider"
            if value in PASSES else "unknown")
    return {("pass", kind), ("credential", event.credential)}


def seen(events: list[DeviceEvent]) -> set[tuple]:
    return set().union(*map(labels, events)) if events else set()


def make(rate: float = 0.0, seed: int = 7, clock: Callable[[], datetime] = lambda: NOW,
         **kwargs) -> SimulatorDriver:
    return SimulatorDriver(PLAN, rate=rate, seed=seed, clock=clock, **kwargs)


async def until(condition: Callable[[], bool], timeout: float) -> None:
    """Poll `condition` until it holds or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


async def run(sim: SimulatorDriver, enough: Callable[[list], bool], timeout: float = 5.0
              ) -> list[DeviceEvent]:
    events: list[DeviceEvent] = []
    await sim.start(events.append)
    try:
        await until(lambda: enough(events), timeout)
    finally:
        await sim.stop()
    return events


# --- the mix ------------------------------------------------------------------------------


async def test_a_busy_site_reports_every_kind_of_traffic() -> None:
    sim = make(rate=1500, offline_seconds=(0.02, 0.1))
    # it ends as soon as every kind was seen; the rarest (a power failure) can take
    # seconds to come up on a loaded machine, hence the long bound
    events = await run(sim, lambda ev: len(ev) >= 500 and seen(ev) >= EXPECTED, timeout=30)
    assert seen(events) >= EXPECTED, EXPECTED - seen(events)
    assert all(e.at == NOW for e in events)


async def test_every_event_is_plausible_for_the_plan() -> None:
    events = await run(make(rate=1500, offline_seconds=(0.02, 0.1)),
                       lambda ev: len(ev) >= 600)
    assert len(events) >= 600
    plan_codes = {e.value for e in (*PLAN.flat_codes, *PLAN.provider_codes)}
    for e in events:
        device = DEVICES[e.device_id]  # every event names a plan device
        if isinstance(e, AccessRequest):
            assert device.doors, e
            if e.credential is Credential.CODE:
                assert e.door_id is None
                if e.value in ENTRIES:
                    assert e.device_id in ENTRIES[e.value].device_ids, e
                else:  # a wrong code: digits typed on a keypad, no plan code
                    assert e.value not in plan_codes
                    assert e.value.isdigit() and 4 <= len(e.value) <= 6, e
                    assert e.device_id in KEYPADS, e
                continue
            assert e.door_id in device.doors.values(), e
            if e.credential is Credential.TELEPHONE:
                assert e.device_id in ENTRIES[e.value].device_ids, e
            elif e.value in PASSES:
                plan_pass = PASSES[e.value]
                assert e.credential is plan_pass.credential, e
                assert not plan_pass.device_ids or e.device_id in plan_pass.device_ids, e
            else:  # unknown
                assert len(e.value) == 10 and e.value.isdigit(), e
        elif isinstance(e, CallReport):
            display = DISPLAYS[e.call_code]
            assert e.device_id in display.device_ids
            assert e.telephone in display.telephones
            if e.outcome is CallOutcome.NOT_ANSWERED:
                assert e.telephone == display.telephones[-1]
            assert e.door_id == (101 if e.outcome is CallOutcome.OPENED else None)
        elif e.status in (Status.DOOR_FORCED, Status.DOOR_HELD_OPEN):
            assert e.door_id in device.doors.values(), e


async def test_devices_go_offline_come_back_and_are_quiet_meanwhile() -> None:
    events = await run(make(rate=1500, offline_seconds=(0.02, 0.1)),
                       lambda ev: len(ev) >= 1000)
    offline: set[int] = set()
    came_back: set[int] = set()
    for e in events:
        if isinstance(e, StatusReport) and e.status is Status.OFFLINE:
            assert e.device_id not in offline, "offline twice in a row"
            offline.add(e.device_id)
        elif isinstance(e, StatusReport) and e.status is Status.ONLINE:
            assert e.device_id in offline, "online without having been offline"
            offline.discard(e.device_id)
            came_back.add(e.device_id)
        else:
            assert e.device_id not in offline, f"{e} from an offline device"
    assert came_back


async def test_an_offline_device_stays_quiet() -> None:
    sim = make(rate=1500)
    for device_id in (1, 2, 3):
        sim.set_offline(device_id)  # before start: nothing reported, state kept
    events = await run(sim, lambda ev: len(ev) >= 200)
    requests = [e for e in events if isinstance(e, AccessRequest)]
    assert requests and {e.device_id for e in requests} == {4}
    assert not [e for e in events if isinstance(e, CallReport)]  # the only panel is down


async def test_providers_come_in_working_hours() -> None:
    def providers(events: list[DeviceEvent]) -> int:
        return sum(1 for e in events if isinstance(e, AccessRequest)
                   and (e.value in ENTRIES and e.value not in {c.value for c in PLAN.flat_codes}
                        or e.value in {p.number for p in PLAN.provider_passes}))

    day = await run(make(rate=1500, seed=3), lambda ev: len(ev) >= 600)
    night = await run(make(rate=1500, seed=3, clock=lambda: NIGHT), lambda ev: len(ev) >= 600)
    assert providers(day[:600]) > 15
    assert providers(night[:600]) * 4 < providers(day[:600])


# --- reproducible ---------------------------------------------------------------------------


async def test_same_seed_same_sequence() -> None:
    first = await run(make(rate=1500, seed=11), lambda ev: len(ev) >= 300)
    again = await run(make(rate=1500, seed=11), lambda ev: len(ev) >= 300)
    other = await run(make(rate=1500, seed=12), lambda ev: len(ev) >= 300)
    assert len(first) >= 300 and len(again) >= 300 and len(other) >= 300
    assert first[:300] == again[:300]
    assert [sorted(map(str, labels(e))) for e in first[:300]] != \
        [sorted(map(str, labels(e))) for e in other[:300]]


# --- injecting ------------------------------------------------------------------------------


async def test_inject_methods_report_exactly_the_event_asked_for() -> None:
    events: list[DeviceEvent] = []
    sim = make(rate=0)
    await sim.start(events.append)
    got = [
        sim.present("1000000001", 1),
        sim.present("1100000001", 4),  # a radio transmitter in the plan
        sim.present("9999999999", 2),
        sim.present("9999999998", 2, Credential.RADIO),
        sim.enter_code("0000", 3),
        sim.dial("+447700900100", 2),
        sim.call(1, "101", CallOutcome.OPENED),
        sim.call(1, "102", CallOutcome.DENIED),
        sim.call(1, "102", CallOutcome.NOT_ANSWERED),
        sim.set_offline(2),
        sim.set_online(2),
        sim.raise_status(1, Status.DOOR_FORCED),
        sim.raise_status(1, Status.DOOR_HELD_OPEN, 102),
        sim.raise_status(5, Status.POWER_FAILURE, detail="mains"),
    ]
    await asyncio.sleep(0.1)  # rate 0: nothing else happens
    await sim.stop()
    expected = [
        AccessRequest(1, 101, Credential.APASS, "1000000001", NOW),
        AccessRequest(4, 401, Credential.RADIO, "1100000001", NOW),
        AccessRequest(2, 201, Credential.APASS, "9999999999", NOW),
        AccessRequest(2, 201, Credential.RADIO, "9999999998", NOW),
        AccessRequest(3, None, Credential.CODE, "0000", NOW),
        AccessRequest(2, 201, Credential.TELEPHONE, "+447700900100", NOW),
        CallReport(1, 101, "101", CallOutcome.OPENED, "+447700900001", NOW),
        CallReport(1, None, "102", CallOutcome.DENIED, "+447700900002", NOW),
        CallReport(1, None, "102", CallOutcome.NOT_ANSWERED, "+447700900003", NOW),
        StatusReport(2, Status.OFFLINE, NOW),
        StatusReport(2, Status.ONLINE, NOW),
        StatusReport(1, Status.DOOR_FORCED, NOW, 101),
        StatusReport(1, Status.DOOR_HELD_OPEN, NOW, 102),
        StatusReport(5, Status.POWER_FAILURE, NOW, None, "mains"),
    ]
    assert got == expected
    assert events == expected
    assert sim.offline == set()


async def test_inject_refuses_a_device_it_does_not_simulate() -> None:
    sim = make()
    with pytest.raises(ValueError):
        sim.present("1000000001", 99)
    with pytest.raises(ValueError):
        sim.set_offline(99)


async def test_set_rate_starts_the_traffic() -> None:
    events: list[DeviceEvent] = []
    sim = make(rate=0)
    await sim.start(events.append)
    await asyncio.sleep(0.05)
    assert events == []
    sim.set_rate(1500)
    await until(lambda: len(events) >= 20, 3.0)
    await sim.stop()
    assert len(events) >= 20



#: a site like the load test's: nobody to call, no service provider, so about a third of
#: the draws (a call, a provider's visit) make no event
QUIET = dataclasses.replace(PLAN, displays=(), provider_mobiles=(), provider_passes=(),
                            provider_codes=())


async def _events_a_second(count_events: bool, rate: float = 300, seconds: float = 2.0
                           ) -> float:
    events: list[DeviceEvent] = []
    sim = SimulatorDriver(QUIET, rate=rate, seed=5, clock=lambda: NOW,
                          count_events=count_events)
    loop = asyncio.get_running_loop()
    await sim.start(events.append)
    t0 = loop.time()
    await asyncio.sleep(seconds)
    took = loop.time() - t0
    await sim.stop()
    return len(events) / took


async def test_rate_counts_draws_unless_told_to_count_events() -> None:
    """By default `rate` is draws a second and a draw may make no event; with
    count_events a draw that made none is drawn again, so `rate` events come a second
    (what a load test offers)."""
    draws = await _events_a_second(False)
    events = await _events_a_second(True)
    assert draws < 0.8 * 300
    assert 0.85 * 300 < events < 1.15 * 300, events


async def test_counting_events_on_a_plan_where_nothing_can_happen_does_not_spin() -> None:
    """Every device offline: no draw can make an event; the gap is still taken after a
    few empty draws, so the simulator sleeps rather than spinning."""
    sim = make(rate=50, count_events=True)
    for device in PLAN.devices:
        sim.set_offline(device.id)
    await sim.start(lambda event: None)
    cpu = time.process_time()
    await asyncio.sleep(1.0)
    cpu = time.process_time() - cpu
    await sim.stop()
    assert cpu < 0.5, f"{cpu:.2f} s of CPU in 1 s: the simulator spins"
    assert sim.emitted == 0


# --- stopping and surviving -------------------------------------------------------------------


@pytest.mark.parametrize("rate", [1500, 0.001, 0])
async def test_stop_is_prompt_and_final(rate: float) -> None:
    events: list[DeviceEvent] = []
    sim = make(rate=rate)
    await sim.start(events.append)
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await sim.stop()
    assert time.monotonic() - started < 0.2
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "simulator"]
    count = len(events)
    assert count > 0 if rate == 1500 else count == 0
    sim.present("1000000001", 1)  # injecting after stop reports nothing
    await asyncio.sleep(0.1)
    assert len(events) == count


async def test_a_raising_report_callback_does_not_stop_the_simulator(caplog) -> None:
    calls: list[DeviceEvent] = []

    def report(event: DeviceEvent) -> None:
        calls.append(event)
        if len(calls) % 2:
            raise RuntimeError("boom")

    sim = make(rate=1500)
    with caplog.at_level(logging.ERROR, logger="drivers.simulator"):
        await sim.start(report)
        await until(lambda: len(calls) >= 50, 3.0)
        assert sim.present("1000000001", 1) == AccessRequest(1, 101, Credential.APASS,
                                                              "1000000001", NOW)
        await sim.stop()
    assert len(calls) >= 50
    assert "report callback failed" in caplog.text


# --- commands ---------------------------------------------------------------------------------


async def test_commands_are_recorded_and_unknown_devices_ignored() -> None:
    events: list[DeviceEvent] = []
    sim = make(rate=0, held_open_chance=0.0, held_open_seconds=0.0)
    await sim.start(events.append)
    assert sim.handles(1) and sim.handles(5) and not sim.handles(99)
    sim.command(OpenDoor(99, 999, 1, 5))
    sim.command(Signal(99, True))
    assert list(sim.commands) == []
    sim.command(OpenDoor(1, 101, 1, 0))
    sim.command(Signal(2, False))
    await asyncio.sleep(0.05)
    await sim.stop()
    assert list(sim.commands) == [OpenDoor(1, 101, 1, 0), Signal(2, False)]
    assert events == []  # never held open at chance 0


async def test_an_opened_door_may_be_held_open() -> None:
    events: list[DeviceEvent] = []
    sim = make(rate=0, held_open_chance=1.0, held_open_seconds=0.05)
    await sim.start(events.append)
    sim.command(OpenDoor(1, 102, 2, 0))
    await until(lambda: bool(events), 2.0)
    await sim.stop()
    assert events == [StatusReport(1, Status.DOOR_HELD_OPEN, NOW, 102)]
