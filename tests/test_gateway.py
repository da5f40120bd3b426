"""The gateway as a whole: real store, real bus socket, the simulator as its devices."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from console.headless.bus.client import BusClient
from core.bus import GatewayBus, Kind
from core.config import Config, DriverConfig
from core.devices import OpenDoor, Status
from core.model import Operator
from core.rights import Profile
from core.services import access_passes, operators
from store.database import Store
from tests.conftest import make_operator


def short_socket() -> str:
    """AF_UNIX paths must stay under 108 bytes; pytest's tmp_path can be longer."""
    return os.path.join(tempfile.mkdtemp(prefix="dk-", dir="/tmp"), "bus.sock")



@pytest.fixture
async def gateway(store, admin, estate):
    """A gateway over the small estate, its simulator quiet until a test speaks."""
    from console.headless.gateway import Gateway, GatewayOptions

    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100000",
                                             2, flat_id=estate.flats[0].id)
    config = Config()
    config.bus.path = short_socket()
    config.drivers = [DriverConfig("simulator", {"rate": 0.0, "seed": 1})]
    gw_store = await Store.open(path=store.where)
    gw = Gateway(config, gw_store, GatewayOptions())
    await gw.start()
    yield gw
    await gw.stop()


async def next_event(client: BusClient, timeout: float = 2.0, kinds=("event", "alarm")) -> dict:
    async def read():
        async for msg in client.messages():
            if msg.get("type") in kinds:
                return msg
        raise AssertionError("bus closed")
    return await asyncio.wait_for(read(), timeout)


async def test_a_pass_is_decided_and_the_event_published_and_stored(gateway, estate):
    sim = gateway.drivers[0]
    client = await BusClient.connect(gateway.config.bus.path)
    try:
        sim.present("1111100000", estate.panel.id)
        msg = await next_event(client)
        assert msg["event"]["result"] == "Opening" and msg["event"]["credential"] == "1111100000"
        await asyncio.sleep(0.05)
        assert any(isinstance(c, OpenDoor) and c.door_id == estate.door.id for c in sim.commands)
        await gateway.store._writer.flush()
        with sqlite3.connect(gateway.store.where) as con:
            assert con.execute("SELECT result FROM events WHERE credential='1111100000'"
                               ).fetchall() == [("Opening",)]
    finally:
        await client.close()


async def test_a_change_saved_by_another_process_is_honoured_within_a_second(gateway, estate):
    sim = gateway.drivers[0]
    client = await BusClient.connect(gateway.config.bus.path)
    script = textwrap.dedent(f"""
        import asyncio
        from store.database import Store
        from core.model import Operator
        from core.services import access_passes
        from core.services.base import Actor
        async def main():
            store = await Store.open(path={gateway.store.where!r})
            async with store.reader() as uow:
                admin = (await uow.find(Operator, email="admin@test.example"))[0]
            await access_passes.send_to_lost(store.uow(), Actor(admin), "1111100000")
            await store.close()
        asyncio.run(main())
    """)
    try:
        sim.present("1111100000", estate.panel.id)
        assert (await next_event(client))["event"]["result"] == "Opening"
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 0, out.stderr
        saved = time.monotonic()
        reason = ""
        while reason != "APass lost":
            assert time.monotonic() - saved < 1.0, "the change was not honoured within 1 s"
            sim.present("1111100000", estate.panel.id)
            reason = (await next_event(client))["event"]["reason"]
            await asyncio.sleep(0.02)
    finally:
        await client.close()


async def test_many_subscribers_get_everything_and_a_stuck_one_is_dropped(gateway, estate):
    sim = gateway.drivers[0]
    gateway.bus.max_buffer = 64_000
    clients = [await BusClient.connect(gateway.config.bus.path) for _ in range(20)]
    stuck = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    stuck.connect(gateway.config.bus.path)
    counts = [0] * len(clients)

    async def count(i, client):
        async for msg in client.messages():
            if msg.get("type") in ("event", "alarm"):
                counts[i] += 1

    readers = [asyncio.create_task(count(i, c)) for i, c in enumerate(clients)]
    try:
        before = gateway.runtime.decisions
        for _ in range(40):
            for _ in range(50):
                sim.present("1111100000", estate.panel.id)
            await asyncio.sleep(0.02)
        sent = gateway.runtime.decisions - before
        assert sent == 2000
        deadline = time.monotonic() + 10
        while min(counts) < sent and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert counts == [sent] * len(clients)
        assert gateway.bus.dropped >= 1  # the one that never reads
        # deciding never waited for the stuck subscriber: waiting would slow every
        # decision, not one (a lone slow one is the machine; speed is for bench/)
        assert statistics.median(gateway.runtime.decision_latency) < 0.01
    finally:
        stuck.close()
        for r in readers:
            r.cancel()
        for c in clients:
            await c.close()


async def test_open_door_by_bus_is_checked_audited_and_carried_out(store, admin, estate,
                                                                   gateway):
    concierge = await make_operator(store, admin, "desk@test.example", estate.site.id,
                                    Profile.CONCIERGE)
    nobody = await operators.add_operator(store.uow(), admin, Operator("x@test.example"))
    client = await BusClient.connect(gateway.config.bus.path)
    try:
        reply = await client.request({"type": "open_door", "operator_id": concierge.operator.id,
                                      "door_id": estate.door.id, "seconds": 8,
                                      "source": "ssh 192.0.2.7"})
        assert reply["ok"] is True
        msg = await next_event(client)
        assert msg["event"]["kind"] == "Remote opening" and "desk@test.example" in \
            msg["event"]["description"]
        await asyncio.sleep(0.05)
        assert OpenDoor(estate.panel.id, estate.door.id, 1, 8) in gateway.drivers[0].commands
        refused = await client.request({"type": "open_door", "operator_id": nobody.id,
                                        "door_id": estate.door.id})
        assert refused["ok"] is False and "no access" in refused["error"]
        bad = await client.request({"type": "open_door", "door_id": "front"})
        assert bad["ok"] is False
        with sqlite3.connect(store.where) as con:
            # the audit trail's "from" is the desk's console, not the bus
            assert con.execute("SELECT actor, source FROM audit_entries WHERE "
                               "action='door.open'").fetchall() == [
                ("desk@test.example", "ssh 192.0.2.7")]
    finally:
        await client.close()


class MemoryBus(GatewayBus):
    """core.bus.GatewayBus without a socket: what the gateway publishes and answers."""

    def __init__(self, on_message) -> None:
        self.on_message = on_message
        self.published: list[dict] = []
        self.sent: list[tuple[object, dict]] = []

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    def publish(self, msg: dict) -> None:
        self.published.append(msg)

    def send(self, peer, msg: dict) -> bool:
        self.sent.append((peer, msg))
        return True


async def test_the_gateway_speaks_to_any_adapter_of_the_bus_port(store, admin, estate):
    """The gateway needs core.bus.GatewayBus only: here an in-memory one, no socket."""
    from console.headless.gateway import Gateway, GatewayOptions

    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "1111100000",
                                             1, flat_id=estate.flats[0].id)
    config = Config()
    config.drivers = [DriverConfig("simulator", {"rate": 0.0, "seed": 1})]
    gw = Gateway(config, await Store.open(path=store.where), GatewayOptions(),
                 make_bus=MemoryBus)
    await gw.start()
    try:
        gw.drivers[0].present("1111100000", estate.panel.id)
        await gw.writer.flush()  # published once durable
        assert any(m["type"] == Kind.EVENT and m["event"]["result"] == "Opening"
                   for m in gw.bus.published)
        peer = object()  # a transport that cannot tell the peer's user
        await gw.bus.on_message({"type": "hello", "request_id": "r1"}, peer)
        assert gw.bus.sent[-1] == (peer, {"type": "reply", "request_id": "r1", "ok": True})
        states = [m for p, m in gw.bus.sent if p is peer and m["type"] == Kind.DEVICE]
        assert states  # hello: every device's state first
        # ping (serve's watchdog, every 2 s): the reply alone
        before = len(gw.bus.sent)
        await gw.bus.on_message({"type": "ping", "request_id": "r2"}, peer)
        assert gw.bus.sent[before:] == [(peer, {"type": "reply", "request_id": "r2", "ok": True})]
    finally:
        await gw.stop()


async def test_malformed_bus_messages_never_stop_the_gateway(gateway, estate):
    raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    raw.connect(gateway.config.bus.path)
    raw.sendall(b"\xff\xfe not json\n[1,2]\n{\"type\": \"explode\"}\n\n")
    raw.close()
    client = await BusClient.connect(gateway.config.bus.path)
    try:
        await asyncio.sleep(0.1)
        gateway.drivers[0].present("1111100000", estate.panel.id)
        assert (await next_event(client))["event"]["result"] == "Opening"
    finally:
        await client.close()


async def test_offline_raises_an_alarm_and_recovery_clears_it(store, admin, estate, gateway):
    sim = gateway.drivers[0]
    client = await BusClient.connect(gateway.config.bus.path)
    try:
        sim.set_offline(estate.panel.id)
        msg = await next_event(client, kinds=("alarm",))
        assert msg["event"]["kind"] == "Device offline"
        sim.set_online(estate.panel.id)
        assert (await next_event(client))["event"]["kind"] == "Device online"
        await gateway.store._writer.flush()
        with sqlite3.connect(store.where) as con:
            rows = con.execute("SELECT kind, cleared_at IS NOT NULL FROM alarms").fetchall()
        assert rows == [("Device offline", 1)]
        assert gateway.runtime.health[estate.panel.id].online
        # an acknowledgement through the bus
        sim.raise_status(estate.panel.id, Status.TAMPER)
        await next_event(client, kinds=("alarm",))
        await gateway.store._writer.flush()
        with sqlite3.connect(store.where) as con:
            alarm_id, = con.execute("SELECT id FROM alarms WHERE kind='Tamper'").fetchone()
        reply = await client.request({"type": "ack_alarm", "operator_id": admin.operator.id,
                                      "alarm_id": alarm_id, "note": "Cover refitted"})
        assert reply["ok"], reply
        with sqlite3.connect(store.where) as con:
            assert con.execute("SELECT note FROM alarms WHERE id=?", (alarm_id,)).fetchone() \
                == ("Cover refitted",)
    finally:
        await client.close()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL])
def test_every_published_event_is_stored_after_sigterm_or_kill_9(tmp_path, stop):
    """A gateway process under load, stopped by SIGTERM or killed (kill -9): all it
    published is stored, since it publishes an event only once it is durable."""
    db = tmp_path / "gw.db"
    built = subprocess.run([sys.executable, "-m", "console.cli", "demo", "--no-ui", "--db",
                            str(db), "--events", "0"], capture_output=True, text=True,
                           timeout=300)
    assert built.returncode == 0, built.stderr
    with sqlite3.connect(db) as con:
        before, = con.execute("SELECT count(*) FROM events").fetchone()
    sock = short_socket()
    proc = subprocess.Popen([sys.executable, "-m", "console.cli", "gateway", "--db", str(db),
                             "--bus", sock, "--simulate", "--rate", "400"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    published: list[dict] = []

    async def listen():
        deadline = time.monotonic() + 30
        while not Path(sock).exists():
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read()
            await asyncio.sleep(0.1)
        client = await BusClient.connect(sock)
        async with asyncio.timeout(60):  # however loaded the machine
            async for msg in client.messages():
                if msg.get("type") in ("event", "alarm"):
                    published.append(msg["event"])
                if len(published) > 200:
                    break
        proc.send_signal(stop)  # while events are still coming
        try:
            async for msg in client.messages():  # until the gateway closes the bus
                if msg.get("type") in ("event", "alarm"):
                    published.append(msg["event"])
        except OSError:  # killed: the connection is reset
            assert stop == signal.SIGKILL
        finally:
            await client.close()

    try:
        asyncio.run(listen())
        assert proc.wait(timeout=30) == (0 if stop == signal.SIGTERM else -stop), \
            proc.stderr.read()
    finally:
        if proc.poll() is None:  # a failed test leaves no gateway behind
            proc.kill()
            proc.wait()
    assert len(published) > 200
    with sqlite3.connect(db) as con:
        stored = {(at, kind, cred) for at, kind, cred in con.execute(
            "SELECT at, kind, credential FROM events WHERE id > ?", (before,))}
    def key(e):
        return (e["at"].replace("T", " ").replace("+00:00", ""), e["kind"], e["credential"])
    missing = [e for e in published if key(e) not in stored]
    assert missing == [], json.dumps(missing[:3])
