"""A site gateway and PostgreSQL stopped (`pg_ctl stop -m immediate`) and started again,
beyond what tests/test_centre_unreachable.py covers: an idle gateway (no card read, so
its event writer writes nothing) still raises "Centre unreachable", through its centre
probe (with its bus on a Unix socket the probe is the only thing that can notice; on
PostgreSQL the bus's listener drops too); the SMS sender waits the centre out and sends
each message once; and ten seconds away while cards are read at 20 a second, with a
campaign going out: every door decides, every event is stored exactly once, in order,
and neither the SMS sender nor the probe dies; and a fault only the probe saw is
ended by the probe. A real server of the test's own
(tests/pg.py), the real `twilio` SDK against the fake API (tests/sms)."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select

from console.headless.gateway import Gateway, GatewayOptions
from core.config import Config, DriverConfig, StoreConfig
from core.config_sms import SmsConfig
from core.model import EventKind, EventResult
from core.model_sms import SmsMessage
from core.services import access_passes, operators, sms
from core.services.base import Actor
from core.services.sms import Selection
from store import tables as t
from store.database import Store
from store.spill import UNREACHABLE
from tests import pg
from tests.conftest import build_small_estate, eventually, fixed_clock
from tests.sms.conftest import MOBILE_1, MOBILE_2, MOBILE_3, phones_estate, twilio_config
from tests.sms.fake_twilio import FakeTwilio
from tests.test_centre_unreachable import opened, pg_ctl, restart, rows

CARD = "1111100000"
TEXT = "Lift out of service on Monday"


@pytest.fixture
def site():
    """A cluster of this test's own, to stop and start (the run's is shared)."""
    if not pg.available():
        pytest.skip("PostgreSQL's binaries are missing")
    cluster = pg.Cluster.start()
    yield Site(cluster)
    cluster.stop()


@pytest.fixture
async def twilio():
    fake = FakeTwilio()
    await fake.start()
    yield fake
    await fake.stop()


class Site:
    """A gateway for one site on the test's own cluster, with PostgreSQL's defaults
    (a commit survives `-m immediate`; the run's clusters commit asynchronously)."""

    def __init__(self, cluster: pg.Cluster) -> None:
        self.cluster = cluster

    async def start(self, tmp_path, sms_config: SmsConfig | None = None,
                    bus: str = "postgresql", probe_s: float = 0.2,
                    clock_check_s: int | None = None) -> Gateway:
        """The gateway, its bus on PostgreSQL (or, `bus="socket"`, a Unix socket: a
        LISTEN connection that drops is then no sign of the centre being away)."""
        pg_ctl(self.cluster, "-m", "fast", "-w", "stop")
        restart(self.cluster)
        url = pg.url(self.cluster.socket, "postgres")
        self.store = store = await Store.open(StoreConfig(
            url=url, path=str(tmp_path / "doorkeeper.db"), busy_timeout_ms=1000))
        op = await operators.bootstrap_admin(store.uow(), "admin@test.example")
        self.admin = Actor(op, source="test", clock=fixed_clock)
        self.estate = await build_small_estate(store, self.admin)
        await access_passes.create_access_passes(store.uow(), self.admin, self.estate.site.id,
                                                 CARD, 1, flat_id=self.estate.flats[0].id)
        if sms_config is not None:  # three mobiles on the site, one campaign queued
            await phones_estate(store, self.admin, self.estate)
            await sms.send_sms(store.uow(), self.admin, Selection(self.estate.site.id), TEXT)
        config = Config()
        config.bus.path = url if bus == "postgresql" else str(tmp_path / "bus.sock")
        config.drivers = [DriverConfig("simulator", {"rate": 0.0, "seed": 1})]
        if clock_check_s is not None:
            config.gateway.clock_check_s = clock_check_s
        if sms_config is not None:
            config.sms = sms_config
        self.gw = Gateway(config, store, GatewayOptions(sites=["Demo Cases"], probe_s=probe_s))
        await self.gw.start()
        return self.gw

    def stop_centre(self) -> None:
        pg_ctl(self.cluster, "-m", "immediate", "-w", "stop")

    def start_centre(self) -> None:
        restart(self.cluster)

    async def store_fault_alarms(self) -> list[tuple[object, object]]:
        """(raised_at, cleared_at) of the "Store fault" alarms: what every console's Alarms
        screen reads (store.alarm_queries)."""
        a = t.alarms.c
        async with self.store.engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(
                select(a.raised_at, a.cleared_at).where(
                    a.kind == EventKind.STORE_FAULT.value))).all()]

    async def sms_refs(self) -> dict[str, str | None]:
        async with self.store.reader() as uow:
            return {m.number: m.provider_ref for m in await uow.find(SmsMessage)}

    def task_failures(self) -> dict[str, int]:
        """How often each supervised part was found dead."""
        return {name: part.restarts for name, part in self.gw.supervisor.parts.items()
                if part.restarts or part.restart_at is not None}


@pytest.mark.parametrize("bus", ["socket", "postgresql"])
async def test_an_idle_gateway_raises_centre_unreachable_and_it_is_stored_once_back(
        site, tmp_path, bus):
    gw = await site.start(tmp_path, bus=bus)
    try:
        writer = gw.writer
        assert writer is not None and writer.journal is not None
        probe = gw.supervisor.task("centre probe")
        assert probe is not None and not probe.done()
        await eventually(lambda: gw.faults.probes >= 2)
        assert gw.faults.fault is None and writer.spilled == 0
        site.stop_centre()
        # no card read, nothing for the writer to write: the probe notices, and the alarm
        # itself is the one event, waiting in the journal
        await eventually(lambda: gw.faults.fault == UNREACHABLE and writer.journal.events,
                         timeout=10)
        assert writer.batches >= 1 and writer.fault == UNREACHABLE
        await asyncio.sleep(1.0)  # the probe keeps finding it away: raised once
        site.start_centre()
        await eventually(lambda: gw.faults.fault is None and writer.journal.events == 0,
                         timeout=20)
        await writer.flush()
        e = t.events.c
        stored = await rows(site.store, e.kind, e.description)
        kinds = [r.kind for r in stored]
        assert kinds.count(EventKind.STORE_FAULT.value) == 1
        assert kinds.count(EventKind.STORE_RECOVERED.value) == 1
        fault = kinds.index(EventKind.STORE_FAULT.value)
        assert stored[fault].description.startswith("Centre unreachable: the store ")
        assert kinds.index(EventKind.STORE_RECOVERED.value) > fault
        # the bus's LISTEN connection dropped with the centre: one outage, one alarm (the
        # listener is restarted all the same), not a "Gateway task failed" beside it
        assert EventKind.GATEWAY_TASK_FAILED.value not in kinds, stored
        [(raised, cleared)] = await site.store_fault_alarms()  # on every console, then ended
        assert raised is not None and cleared is not None
        assert "centre probe" not in site.task_failures()
        # a probe that dies is the supervisor's to notice and start again
        probe = gw.supervisor.task("centre probe")
        probe.cancel()
        await eventually(lambda: gw.supervisor.parts["centre probe"].restarts == 1, timeout=5)
        assert not gw.supervisor.task("centre probe").done()
    finally:
        await gw.stop()


async def test_the_sms_sender_waits_for_the_centre_and_sends_each_message_once(
        site, tmp_path, twilio):
    """Twilio takes the first message and holds its answer; the centre stops; the answer
    comes (its reference cannot be written), the rest of the batch goes too. The sender
    stays up, writes the kept references once the centre is back, and nothing is sent
    twice."""
    twilio.hold = release = asyncio.Event()
    gw = await site.start(tmp_path, twilio_config(twilio, rate=5.0))
    try:
        await eventually(twilio.held.is_set, timeout=10)
        site.stop_centre()
        release.set()
        await eventually(lambda: len(twilio.received) == 3, timeout=10)
        await asyncio.sleep(3.0)  # away: the sender waits, with back-off
        sender = gw.supervisor.task("SMS sender")
        assert sender is not None and not sender.done()
        assert gw.sms is not None and gw.sms.unwritten == 3  # the references, kept
        site.start_centre()
        refs = await eventually_async(lambda: _all_referenced(site), timeout=20)
    finally:
        await gw.stop()
    assert set(refs) == {MOBILE_1, MOBILE_2, MOBILE_3}
    assert len(set(refs.values())) == 3 and all(r.startswith("SM") for r in refs.values())
    assert twilio.count() == {(MOBILE_1, TEXT): 1, (MOBILE_2, TEXT): 1,
                                   (MOBILE_3, TEXT): 1}
    assert "SMS sender" not in site.task_failures()


async def test_ten_seconds_away_with_cards_read_and_a_campaign_going_out(
        site, tmp_path, twilio):
    """20 cards a second before, during 10 s of `pg_ctl stop -m immediate`, and after:
    every door decides at once, every event is stored exactly once and in order, the
    campaign goes out once, and neither the SMS sender nor the probe dies (the bus's
    listener does, with the server: reported and started again, as before)."""
    gw = await site.start(tmp_path, twilio_config(twilio, rate=0.5))
    drv, writer = gw.drivers[0], gw.writer
    assert writer is not None
    presented, slowest = 0, 0.0

    async def read_cards(seconds: float) -> None:
        nonlocal presented, slowest
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            before = opened(drv)
            began = time.perf_counter()
            drv.present(CARD, site.estate.panel.id)
            slowest = max(slowest, time.perf_counter() - began)
            presented += 1
            assert opened(drv) == before + 1  # decided and the relay driven, there and then
            await asyncio.sleep(0.05)

    try:
        await read_cards(1.0)
        site.stop_centre()
        away, before = time.monotonic(), presented
        await read_cards(10.0)
        assert gw.faults.fault == UNREACHABLE and writer.journal is not None
        assert writer.journal.events >= presented - before > 100  # each, in the journal
        site.start_centre()
        print(f"centre away {time.monotonic() - away:.1f} s; {presented} cards, slowest "
              f"decision {slowest * 1000:.2f} ms")
        await read_cards(1.0)
        await eventually(lambda: writer.journal.events == 0 and gw.faults.fault is None,
                         timeout=20)
        await eventually_async(lambda: _all_referenced(site), timeout=20)
        await writer.flush()
        e = t.events.c
        stored = await rows(site.store, e.kind, e.result, e.origin, e.seq)
        unended = [a for a in await site.store_fault_alarms() if a[1] is None]
    finally:
        await gw.stop()
    assert opened(drv) == presented
    assert sum(r.result == EventResult.OPENING.value for r in stored) == presented
    numbers = [r.seq for r in stored if r.origin == writer.origin]
    assert numbers == list(range(1, len(numbers) + 1))  # each once, in order, none lost
    kinds = [r.kind for r in stored]
    assert kinds.count(EventKind.STORE_FAULT.value) == 1
    assert kinds.count(EventKind.STORE_RECOVERED.value) == 1
    assert twilio.count() == {(MOBILE_1, TEXT): 1, (MOBILE_2, TEXT): 1,
                                   (MOBILE_3, TEXT): 1}
    failures = site.task_failures()
    assert "SMS sender" not in failures and "centre probe" not in failures
    assert unended == []  # "Store recovered" ended the alarm


async def _all_referenced(site: Site) -> dict[str, str] | None:
    refs = await site.sms_refs()
    return refs if refs and all(refs.values()) else None  # type: ignore[return-value]


async def eventually_async(check, timeout: float = 10.0):
    """eventually() for a check that reads the store: an error (the centre starting up)
    is one more try."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if value := await check():
                return value
        except Exception:  # noqa: BLE001 - the server may still be starting
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {timeout} s")


async def test_a_fault_only_the_probe_saw_is_ended_by_the_probe(site, tmp_path):
    """The writer never met the outage (nothing to write, or its one write came after the
    server was back): the probe raises "Centre unreachable" once however long it lasts,
    and "Centre reachable again" once it answers."""
    from console.headless.store_faults import StoreFaults

    gw = await site.start(tmp_path, probe_s=1000)  # the gateway's own probe asleep
    raised: list[tuple[EventKind, str]] = []
    faults = StoreFaults(site.store, lambda kind, text: raised.append((kind, text)),
                         lambda: None, interval=0.1)
    probe = asyncio.create_task(faults.probe())
    try:
        await eventually(lambda: faults.probes >= 2)
        assert raised == []
        site.stop_centre()
        await eventually(lambda: faults.fault == UNREACHABLE, timeout=10)
        seen = faults.probes
        await eventually(lambda: faults.probes >= seen + 5, timeout=10)
        site.start_centre()
        await eventually(lambda: faults.fault is None, timeout=20)
    finally:
        probe.cancel()
        await gw.stop()
    assert [k for k, _ in raised] == [EventKind.STORE_FAULT, EventKind.STORE_RECOVERED]
    assert raised[0][1].startswith("Centre unreachable: the store postgresql+asyncpg://")
    assert raised[1][1].startswith("Centre reachable again: ")


async def test_a_part_that_dies_with_the_centre_up_is_its_own_alarm(site, tmp_path):
    """Only the centre away folds a part's death into "Centre unreachable": with the
    centre answering, a dead part is "Gateway task failed" as on SQLite."""
    gw = await site.start(tmp_path)
    try:
        gw.supervisor.task("change watcher").cancel()
        await eventually(lambda: gw.supervisor.parts["change watcher"].restarts == 1,
                         timeout=10)
        await gw.writer.flush()
        e = t.events.c
        stored = await rows(site.store, e.kind, e.description)
    finally:
        await gw.stop()
    failed = [r.description for r in stored if r.kind == EventKind.GATEWAY_TASK_FAILED.value]
    assert len(failed) == 1 and failed[0].startswith("Gateway task failed: change watcher")
    assert gw.faults.fault is None
