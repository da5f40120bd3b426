"""The gateway's bus over real Unix sockets, delivering: every subscriber gets every
message in order, a peer only what was sent to it, and a stuck subscriber is dropped
without ever slowing the others or a publish."""

from __future__ import annotations

import inspect
import time

import pytest

from console.headless.bus.server import BusPeer
from tests.bus_cases import (
    Collector,
    bus_fixture,  # noqa: F401 - the fixture `bus`
    read_until_closed,
    sock_path_fixture,  # noqa: F401 - the fixture `sock_path` (`bus` uses it)
    until,
)

# ----------------------------------------------------------- fan-out


async def test_fifty_subscribers_get_every_message_in_order(bus) -> None:
    server = await bus.server()
    clients = [await bus.client() for _ in range(50)]
    await until(lambda: server.subscribers == 50)
    collectors = [Collector(c) for c in clients]

    for n in range(1000):
        server.publish({"type": "event", "n": n, "text": "Tür geöffnet"})

    await until(lambda: all(len(c.got) == 1000 for c in collectors), timeout=10)
    expected = [{"type": "event", "n": n, "text": "Tür geöffnet"} for n in range(1000)]
    for c in collectors:
        assert c.got == expected
    assert server.dropped == 0


async def test_send_and_reply_reach_only_that_peer(bus) -> None:
    peers: list[BusPeer] = []
    server = await bus.server(lambda msg, peer: peers.append(peer))
    a, b = await bus.client(), await bus.client()
    ca, cb = Collector(a), Collector(b)
    await a.send({"type": "hello"})
    await until(lambda: len(peers) == 1)

    assert server.send(peers[0], {"type": "device", "id": 1}) is True
    server.publish({"type": "alarm", "id": 2})
    await until(lambda: len(ca.got) == 2 and len(cb.got) == 1)
    assert ca.got == [{"type": "device", "id": 1}, {"type": "alarm", "id": 2}]
    assert cb.got == [{"type": "alarm", "id": 2}]


async def test_publish_refuses_what_is_not_a_json_object(bus) -> None:
    server = await bus.server()
    client = await bus.client()
    col = Collector(client)
    await until(lambda: server.subscribers == 1)
    with pytest.raises(TypeError):
        server.publish(["not", "an", "object"])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        server.publish({"when": object()})
    server.publish({"type": "event", "ok": True})
    await until(lambda: len(col.got) == 1)
    assert col.got == [{"type": "event", "ok": True}]


# ----------------------------------------------------------- back-pressure


async def test_stuck_subscriber_is_dropped_and_never_slows_the_others(bus) -> None:
    server = await bus.server(max_buffer=256 * 1024)
    good = [await bus.client() for _ in range(3)]
    stuck = await bus.raw_socket(rcvbuf=1024)  # connects, never reads
    await until(lambda: server.subscribers == 4)
    collectors = [Collector(c) for c in good]
    assert not inspect.iscoroutinefunction(server.publish)

    payload = "x" * 1000
    total, burst = 20_000, 100
    in_publish = 0.0
    slowest = 0.0
    for start in range(0, total, burst):
        t0 = time.perf_counter()
        for n in range(start, start + burst):
            assert server.publish({"type": "event", "n": n, "p": payload}) is None
        spent = time.perf_counter() - t0
        in_publish += spent
        slowest = max(slowest, spent)
        # the good consumers keep up between bursts, as they do between real events
        await until(lambda s=start: all(len(c.got) >= s + burst for c in collectors))

    assert server.dropped == 1
    assert server.subscribers == 3
    for c in collectors:
        assert [m["n"] for m in c.got] == list(range(total))
    # a publish is a buffer append: 20,000 of them take well under a second,
    # and no burst ever waited for the stuck reader
    assert in_publish < 2.0, in_publish
    assert slowest < 0.5, slowest
    # the stuck peer was disconnected: it reads what the kernel held, then the end
    leftover = await read_until_closed(stuck)
    assert len(leftover) < 20_000 * 1000


async def test_a_publish_burst_completes_without_waiting_for_any_reader(bus) -> None:
    server = await bus.server(max_buffer=64_000_000)
    good = [await bus.client() for _ in range(3)]
    await bus.raw_socket(rcvbuf=1024)  # stuck, never reads
    await until(lambda: server.subscribers == 4)
    collectors = [Collector(c) for c in good]

    payload = "é" * 500  # ~1 KB once encoded
    t0 = time.perf_counter()
    for n in range(20_000):  # no await anywhere in this loop
        server.publish({"type": "event", "n": n, "p": payload})
    elapsed = time.perf_counter() - t0

    assert elapsed < 3.0, elapsed
    # nobody has had a chance to read yet: the whole burst sits in the buffers
    assert all(len(c.got) == 0 for c in collectors)
    await until(lambda: all(len(c.got) == 20_000 for c in collectors), timeout=15)
    for c in collectors:
        assert [m["n"] for m in c.got] == list(range(20_000))
        assert c.got[-1]["p"] == payload
    for client in good:
        assert client.dropped == 0
    assert server.dropped == 0
