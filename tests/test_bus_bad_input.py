"""The gateway's bus over real Unix sockets, given bad input: malformed or over-long lines,
lines split across reads, handlers that fail; and a client given malformed lines by its
server. Only the offending line (or, over the limit, peer) is dropped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path

import pytest

from console.headless.bus.client import BusClient
from console.headless.bus.server import BusPeer
from tests.bus_cases import (
    Collector,
    bus_fixture,  # noqa: F401 - the fixture `bus`
    read_until_closed,
    sock_path_fixture,  # noqa: F401 - the fixture `sock_path`
    until,
)

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
