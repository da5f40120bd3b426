"""The gateway's bus over real Unix sockets: fan-out, back-pressure, bad input, requests."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import shutil
import socket
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from console.headless.bus.client import BusClient
from console.headless.bus.server import BusPeer, BusServer
from core.bus import BusClosed
from core.errors import ConfigError


@pytest.fixture
def sock_path():
    """A socket path in a short folder (AF_UNIX paths must stay under 108 bytes)."""
    folder = tempfile.mkdtemp(prefix="dkbus-", dir="/tmp")
    yield Path(folder) / "run" / "bus.sock"
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def bus(sock_path: Path):
    """Starts servers and connects clients; closes whatever is left at the end."""

    class Bus:
        def __init__(self) -> None:
            self.servers: list[BusServer] = []
            self.clients: list[BusClient] = []
            self.raw: list[socket.socket] = []

        async def server(self, on_message: Callable | None = None, **kw) -> BusServer:
            srv = BusServer(sock_path, on_message or (lambda msg, peer: None), **kw)
            await srv.start()
            self.servers.append(srv)
            return srv

        async def client(self, **kw) -> BusClient:
            c = await BusClient.connect(sock_path, **kw)
            self.clients.append(c)
            return c

        async def raw_socket(self, rcvbuf: int | None = None) -> socket.socket:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            if rcvbuf is not None:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            s.setblocking(False)
            await asyncio.get_running_loop().sock_connect(s, os.fspath(sock_path))
            self.raw.append(s)
            return s

    b = Bus()
    yield b
    for c in b.clients:
        await c.close()
    for s in b.raw:
        s.close()
    for srv in b.servers:
        await srv.close()


async def until(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.002)


class Collector:
    """Gathers a client's messages() in a task."""

    def __init__(self, client: BusClient) -> None:
        self.got: list[dict] = []
        self.ended = False
        self.task = asyncio.get_running_loop().create_task(self._run(client))

    async def _run(self, client: BusClient) -> None:
        async for msg in client.messages():
            self.got.append(msg)
        self.ended = True


async def read_until_closed(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """Everything a raw socket still receives, until the server closes it."""
    loop = asyncio.get_running_loop()
    data = bytearray()
    async with asyncio.timeout(timeout):
        while True:
            try:
                chunk = await loop.sock_recv(sock, 1 << 16)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    return bytes(data)


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


# ----------------------------------------------------------- bad input


async def test_malformed_lines_are_logged_and_ignored(bus, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="console.headless.bus")
    received: list[tuple[dict, BusPeer]] = []
    server = await bus.server(lambda msg, peer: received.append((msg, peer)))
    loop = asyncio.get_running_loop()
    bad = await bus.raw_socket()
    other = await bus.client()
    other_col = Collector(other)

    await loop.sock_sendall(bad, b"\x00\x01garbage{{{\n")  # not JSON
    await loop.sock_sendall(bad, b'{"type": "caf\xe9"}\n')  # not UTF-8
    await loop.sock_sendall(bad, b'[{"type": "event"}]\n')  # a JSON array
    await loop.sock_sendall(bad, b'"just a string"\n\n\r\n')  # a JSON string; blank lines
    await loop.sock_sendall(bad, b'{"type": "change", "what": "flat"}\n')
    await until(lambda: len(received) == 1)
    assert received[0][0] == {"type": "change", "what": "flat"}
    assert server.malformed == 4
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 4
    assert all("malformed" in r.getMessage() for r in warnings)
    assert any("not UTF-8" in r.getMessage() for r in warnings)
    assert any("not a JSON object" in r.getMessage() for r in warnings)

    # the same peer is still connected and served, and so are the others
    assert server.subscribers == 2
    await loop.sock_sendall(bad, b'{"type": "ack_alarm", "id": 7}\n')
    await other.send({"type": "open_door", "door": 3})
    await until(lambda: len(received) == 3)
    assert {m["type"] for m, _ in received[1:]} == {"ack_alarm", "open_door"}
    server.publish({"type": "alarm", "id": 1})
    await until(lambda: len(other_col.got) == 1)
    data = await loop.sock_recv(bad, 1024)
    assert data == b'{"type":"alarm","id":1}\n'


@pytest.mark.parametrize("with_newline", [False, True])
async def test_an_over_long_line_drops_only_that_peer(bus, caplog, with_newline) -> None:
    caplog.set_level(logging.WARNING, logger="console.headless.bus")
    received: list[dict] = []
    server = await bus.server(lambda msg, peer: received.append(msg), max_line=4096)
    loop = asyncio.get_running_loop()
    hog = await bus.raw_socket()
    other = await bus.client()
    col = Collector(other)
    await until(lambda: server.subscribers == 2)

    line = b'{"type": "change", "blob": "' + b"x" * 10_000
    if with_newline:
        line += b'"}\n'
    await loop.sock_sendall(hog, line)
    assert await read_until_closed(hog) == b""  # disconnected, nothing published to it
    await until(lambda: server.subscribers == 1)
    assert server.rejected == 1
    assert received == []
    assert any("limit 4096" in r.getMessage() for r in caplog.records)

    await other.send({"type": "change", "what": "door"})
    await until(lambda: received == [{"type": "change", "what": "door"}])
    server.publish({"type": "device", "state": "online"})
    await until(lambda: col.got == [{"type": "device", "state": "online"}])


async def test_lines_split_across_reads_are_reassembled(bus) -> None:
    received: list[dict] = []
    await bus.server(lambda msg, peer: received.append(msg), max_line=100)
    loop = asyncio.get_running_loop()
    s = await bus.raw_socket()
    whole = b"".join(b'{"type":"change","n":%d}\n' % n for n in range(50))
    for i in range(0, len(whole), 7):  # each chunk lands on its own
        await loop.sock_sendall(s, whole[i : i + 7])
        await asyncio.sleep(0)
    await until(lambda: len(received) == 50)
    assert [m["n"] for m in received] == list(range(50))


async def test_handler_failures_are_logged_and_serving_goes_on(bus, caplog) -> None:
    caplog.set_level(logging.ERROR, logger="console.headless.bus")
    handled: list[str] = []

    async def later(msg: dict) -> None:
        await asyncio.sleep(0)
        if msg.get("boom"):
            raise RuntimeError("async boom")
        handled.append(msg["type"])

    def on_message(msg: dict, peer: BusPeer):
        if msg["type"] == "sync_boom":
            raise RuntimeError("sync boom")
        return later(msg)

    await bus.server(on_message)
    client = await bus.client()
    await client.send({"type": "sync_boom"})
    await client.send({"type": "change", "boom": True})
    await client.send({"type": "change"})
    await until(lambda: handled == ["change"])
    await until(lambda: len(caplog.records) == 2)
    texts = " ".join(r.getMessage() + str(r.exc_info[1]) for r in caplog.records)
    assert "sync boom" in texts and "async boom" in texts


# ----------------------------------------------------------- requests


async def test_request_reply_round_trip(bus) -> None:
    async def on_message(msg: dict, peer: BusPeer) -> None:
        if msg["type"] == "open_door":
            server.publish({"type": "event", "door": msg["door"], "what": "opened"})
            await asyncio.sleep(0.01)
            server.reply(peer, msg, ok=True, door=msg["door"])
        elif msg["type"] == "ack_alarm":
            server.reply(peer, msg, ok=False, error="no such alarm")

    server = await bus.server(on_message)
    client = await bus.client()
    col = Collector(client)

    command = {"type": "open_door", "door": 12}
    reply = await client.request(command, timeout=2)
    assert reply["type"] == "reply" and reply["ok"] is True and reply["door"] == 12
    assert reply["request_id"]
    assert "request_id" not in command  # the caller's dict is left alone
    refused = await client.request({"type": "ack_alarm", "id": 9}, timeout=2)
    assert refused["ok"] is False and refused["error"] == "no such alarm"
    assert refused["request_id"] != reply["request_id"]

    # other messages still flow to messages(); replies do not
    await until(lambda: len(col.got) == 1)
    assert col.got == [{"type": "event", "door": 12, "what": "opened"}]

    # concurrent requests each get their own reply
    replies = await asyncio.gather(
        *(client.request({"type": "open_door", "door": d}, timeout=2) for d in range(20))
    )
    assert [r["door"] for r in replies] == list(range(20))


async def test_request_without_reply_times_out(bus) -> None:
    await bus.server()  # never answers
    client = await bus.client()
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        await client.request({"type": "open_door", "door": 1}, timeout=0.2)
    assert time.monotonic() - t0 < 1.0


# ----------------------------------------------------------- lifecycle


async def test_socket_is_created_with_its_folder_and_mode_0660(bus, sock_path: Path) -> None:
    assert not sock_path.parent.exists()
    server = await bus.server()
    assert stat.S_ISSOCK(sock_path.stat().st_mode)
    assert stat.S_IMODE(sock_path.stat().st_mode) == 0o660
    assert server.running


async def test_second_server_on_the_same_path_refuses(bus, sock_path: Path) -> None:
    first = await bus.server()
    second = BusServer(sock_path, lambda msg, peer: None)
    with pytest.raises(ConfigError, match="already running") as info:
        await second.start()
    assert str(sock_path) in str(info.value)
    # the first is untouched and still serves
    assert sock_path.exists()
    client = await bus.client()
    col = Collector(client)
    await until(lambda: first.subscribers >= 1)
    first.publish({"type": "event"})
    await until(lambda: col.got == [{"type": "event"}])


async def test_stale_socket_file_is_replaced(bus, sock_path: Path) -> None:
    sock_path.parent.mkdir(parents=True)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(os.fspath(sock_path))  # a crashed gateway's leftover: nobody listens
    dead.close()
    assert stat.S_ISSOCK(sock_path.lstat().st_mode)
    with pytest.raises(ConfigError, match="no gateway"):
        await BusClient.connect(sock_path, timeout=1)

    server = await bus.server()
    client = await bus.client()
    col = Collector(client)
    await until(lambda: server.subscribers == 1)
    server.publish({"type": "device", "id": 1})
    await until(lambda: len(col.got) == 1)


async def test_a_file_that_is_not_a_socket_is_left_alone(sock_path: Path) -> None:
    sock_path.parent.mkdir(parents=True)
    sock_path.write_text("precious")
    with pytest.raises(ConfigError, match="not a socket"):
        await BusServer(sock_path, lambda msg, peer: None).start()
    assert sock_path.read_text() == "precious"


async def test_connect_without_a_gateway_is_a_config_error(sock_path: Path) -> None:
    with pytest.raises(ConfigError, match="no gateway is listening"):
        await BusClient.connect(sock_path, timeout=1)
    with pytest.raises(ConfigError, match="too long"):
        await BusClient.connect("/tmp/" + "d" * 200 + "/bus.sock")


async def test_close_removes_the_socket_and_ends_clients(bus, sock_path: Path) -> None:
    server = BusServer(sock_path, lambda msg, peer: None)
    await server.start()
    clients = [await bus.client() for _ in range(3)]
    collectors = [Collector(c) for c in clients]
    await until(lambda: server.subscribers == 3)
    server.publish({"type": "event", "last": True})
    pending = asyncio.ensure_future(clients[0].request({"type": "open_door"}, timeout=5))
    await asyncio.sleep(0.01)

    async with asyncio.timeout(3):
        await server.close()
        assert not sock_path.exists()
        for c in collectors:
            await c.task  # messages() ended
    for c in collectors:
        assert c.ended and c.got == [{"type": "event", "last": True}]
    with pytest.raises(BusClosed):
        await pending
    assert all(c.closed for c in clients)
    with pytest.raises(BusClosed):
        await clients[1].send({"type": "change"})
    # a finished iteration stays finished
    assert [m async for m in clients[1].messages()] == []
    with pytest.raises(ConfigError):
        await BusClient.connect(sock_path, timeout=1)
    await server.close()  # twice is harmless


async def test_client_close_ends_its_own_iteration(bus) -> None:
    server = await bus.server()
    client = await bus.client()
    col = Collector(client)
    await until(lambda: server.subscribers == 1)
    await client.close()
    async with asyncio.timeout(2):
        await col.task
    await until(lambda: server.subscribers == 0)


async def test_client_skips_malformed_lines_from_the_server(sock_path: Path, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="console.headless.bus")

    async def fake_gateway(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b'{"type":"event","n":1}\nnot json\n\xff\xfe\n[1,2]\n{"type":"event","n":2}\n')
        await writer.drain()
        writer.close()

    sock_path.parent.mkdir(parents=True)
    server = await asyncio.start_unix_server(fake_gateway, path=os.fspath(sock_path))
    try:
        client = await BusClient.connect(sock_path)
        async with asyncio.timeout(3):
            got = [m async for m in client.messages()]
        await client.close()
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()
    assert got == [{"type": "event", "n": 1}, {"type": "event", "n": 2}]
    assert client.malformed == 3
    assert len([r for r in caplog.records if "malformed" in r.getMessage()]) == 3
