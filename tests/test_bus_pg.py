"""The bus over PostgreSQL's LISTEN/NOTIFY (console/headless/bus/pg.py), against the run's
real PostgreSQL server (tests/pg.py): what the gateway publishes reaches every console in
order, a large message by reference, requests are answered to their sender alone, a bad
notification changes nothing, a second gateway is refused, a console that stops reading
is cut off."""

from __future__ import annotations

import asyncio
import os

import asyncpg
import pytest

from console.headless.bus.connect import shown
from console.headless.bus.pg import PgConsoleBus, PgGatewayBus, PgPeer
from console.headless.bus.pg_wire import TO_GATEWAYS, dsn
from core import bus_schema
from core.bus import BusClosed, reply_to
from core.errors import ConfigError
from tests import pg
from tests.conftest import eventually


@pytest.fixture
async def pg_url(worker_id):
    socket = os.environ.get(pg.ENV)
    if not socket:
        pytest.skip("no PostgreSQL server for this run (tests/pg.py)")
    dbs = pg.Databases(socket, worker_id)
    name = await dbs.create(dbs.name("bus"))
    yield pg.url(socket, name)
    await dbs.drop(name)


class Gateway:
    """A gateway's handler: answers ping, records the rest."""

    def __init__(self) -> None:
        self.seen: list[tuple[dict, PgPeer]] = []
        self.bus: PgGatewayBus | None = None

    def on_message(self, msg, peer) -> None:
        self.seen.append((msg, peer))
        if msg.get("type") == "ping" and self.bus is not None:
            self.bus.reply(peer, msg, answered_by="gateway")


@pytest.fixture
async def gateway(pg_url):
    gw = Gateway()
    gw.bus = PgGatewayBus(pg_url, gw.on_message, check=bus_schema.check, coalesce_ms=1)
    await gw.bus.start()
    yield gw
    await gw.bus.close()


async def take(console: PgConsoleBus, n: int, timeout: float = 5.0) -> list[dict]:
    got: list[dict] = []

    async def read() -> None:
        async for msg in console.messages():
            got.append(msg)
            if len(got) == n:
                return

    await asyncio.wait_for(read(), timeout)
    return got


async def test_published_messages_reach_every_console_in_order_a_large_one_by_reference(
        pg_url, gateway):
    one, two = await PgConsoleBus.connect(pg_url), await PgConsoleBus.connect(pg_url)
    try:
        big = "x" * 20_000  # over NOTIFY's 8,000 bytes
        sent = [{"type": "event", "event": {"n": n, "description": big if n == 3 else ""}}
                for n in range(6)]
        for msg in sent:
            gateway.bus.publish(msg)
        assert await take(one, 6) == sent and await take(two, 6) == sent
    finally:
        await one.close()
        await two.close()
    conn = await asyncpg.connect(dsn(pg_url))
    try:
        assert await conn.fetchval("SELECT count(*) FROM bus_payloads") == 1
    finally:
        await conn.close()


async def test_a_request_is_answered_to_its_sender_alone(pg_url, gateway):
    asking, other = await PgConsoleBus.connect(pg_url), await PgConsoleBus.connect(pg_url)
    try:
        answer = await asking.request({"type": "ping"})
        assert answer["ok"] and answer["answered_by"] == "gateway"
        msg, peer = gateway.seen[-1]
        assert msg["type"] == "ping" and peer.console_id == asking.console_id
        gateway.bus.publish({"type": "changed"})  # the other console saw no reply before it
        assert await take(other, 1) == [{"type": "changed"}]
    finally:
        await asking.close()
        await other.close()


async def test_a_burst_is_carried_out_in_order_nothing_dropped(pg_url, gateway):
    console = await PgConsoleBus.connect(pg_url)
    try:
        for n in range(200):
            await console.send({"type": "change", "n": n})
        answers = await asyncio.gather(*(console.request({"type": "ping"}) for _ in range(50)))
        assert all(a["ok"] for a in answers)
        await eventually(lambda: len(gateway.seen) == 250)
        changes = [m for m, _ in gateway.seen if m["type"] == "change"]
        assert len(changes) == 200 and gateway.bus.dropped == 0
    finally:
        await console.close()


async def test_a_refused_message_is_answered_with_why_and_never_handled(pg_url, gateway):
    console = await PgConsoleBus.connect(pg_url)
    try:
        answer = await console.request({"type": "open_door", "door_id": "not a number"})
        assert not answer["ok"] and answer["error"]
        assert gateway.seen == [] and gateway.bus.refused == 1
    finally:
        await console.close()


@pytest.mark.parametrize("payload", [
    "not json", "[]", '{"from": "x"}', '{"from": "../../etc", "m": {"type": "ping"}}',
    '{"ref": 999999}', '{"ref": "1; DROP TABLE bus_payloads"}', '{"from": 5, "m": {}}',
])
async def test_a_bad_notification_changes_nothing(pg_url, gateway, payload):
    conn = await asyncpg.connect(dsn(pg_url))
    try:
        await conn.execute("SELECT pg_notify($1, $2)", TO_GATEWAYS, payload)
        await eventually(lambda: gateway.bus.malformed == 1)
    finally:
        await conn.close()
    console = await PgConsoleBus.connect(pg_url)
    try:  # the gateway still answers
        assert (await console.request({"type": "ping"}))["ok"]
    finally:
        await console.close()
    assert [m["type"] for m, _ in gateway.seen] == ["ping"]


async def test_a_second_gateway_on_the_same_store_is_refused(pg_url, gateway):
    second = PgGatewayBus(pg_url, lambda m, p: None)
    with pytest.raises(ConfigError, match="another gateway already serves this store"):
        await second.start()
    await gateway.bus.close()  # the first one gone, a gateway may start
    await second.start()
    await second.close()


async def test_a_console_that_stops_reading_is_cut_off_and_its_requests_fail(pg_url, gateway):
    console = await PgConsoleBus.connect(pg_url, max_queue=5)
    for n in range(20):
        gateway.bus.publish({"type": "event", "event": {"n": n}})
    await eventually(lambda: console.closed)
    got = [m async for m in console.messages()]
    assert 1 <= len(got) <= 5  # what it had queued, then the end
    with pytest.raises(BusClosed):
        await console.send({"type": "ping"})


async def test_an_unreachable_server_is_one_clear_line(tmp_path):
    url = pg.url(str(tmp_path), "nowhere")
    with pytest.raises(ConfigError, match="cannot reach PostgreSQL for the bus"):
        await PgConsoleBus.connect(url)
    with pytest.raises(ConfigError, match="needs a postgresql:// store URL"):
        dsn("sqlite+aiosqlite:///x.db")


async def test_replies_use_the_ports_shape(gateway):
    """The adapter answers with core.bus.reply_to, as the socket does."""
    peer = PgPeer("abc")
    assert gateway.bus.send(peer, reply_to({"request_id": "r1"}, ok=False, error="no"))
    assert not gateway.bus.send(object(), {"type": "changed"})  # not one of its consoles


def test_a_url_is_shown_without_its_password():
    url = "postgresql+asyncpg://desk:s3cret@db.example/doorkeeper"
    assert "s3cret" not in shown(url) and "db.example/doorkeeper" in shown(url)
    assert shown("/var/lib/doorkeeper/doorkeeper.sock") == "/var/lib/doorkeeper/doorkeeper.sock"


@pytest.fixture
def own_cluster():
    """A cluster of this test's own, to stop and start (the run's is shared)."""
    if not pg.available():
        pytest.skip("PostgreSQL's binaries are missing")
    cluster = pg.Cluster.start()
    yield cluster
    cluster.stop()


async def test_messages_published_while_postgresql_is_away_arrive_once_it_is_back(
        own_cluster):
    url = pg.url(own_cluster.socket, "postgres")
    bus = PgGatewayBus(url, lambda m, p: None, coalesce_ms=1)
    await bus.start()
    try:
        pg_ctl = [*pg._as_user(), pg.pg_bin("pg_ctl"), "-D", str(own_cluster.data)]
        own_cluster._run([*pg_ctl, "-m", "immediate", "-w", "stop"])
        for n in range(3):
            bus.publish({"type": "event", "event": {"n": n}})
        await eventually(lambda: not bus.running)  # the supervisor's cue to restart it
        own_cluster._run([*pg_ctl, "-o", f"-k {own_cluster.socket} -c listen_addresses=''",
                          "-l", str(own_cluster.log), "-w", "start"])
        console = await PgConsoleBus.connect(url)
        try:
            await bus.close()  # what the gateway's supervisor does: close, start again
            await bus.start()
            assert [m["event"]["n"] for m in await take(console, 3)] == [0, 1, 2]
        finally:
            await console.close()
    finally:
        await bus.close()


async def test_gateways_starting_together_make_the_payload_table_once(pg_url):
    """Six at once on a database without the table: none stops on the catalog's race."""
    from console.headless.bus.pg_wire import make_payload_table

    conns = [await asyncpg.connect(dsn(pg_url)) for _ in range(6)]
    try:
        await conns[0].execute("DROP TABLE IF EXISTS bus_payloads")
        await asyncio.gather(*(make_payload_table(c) for c in conns))
        assert await conns[0].fetchval("SELECT count(*) FROM bus_payloads") == 0
    finally:
        for c in conns:
            await c.close()
