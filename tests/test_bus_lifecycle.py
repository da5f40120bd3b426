"""The gateway's bus over real Unix sockets, from start to close: the socket and its
folder made with mode 0660, a second server refused, a stale socket replaced, a file that
is not a socket left alone, no gateway a config error, and closing ends every client."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from pathlib import Path

import pytest

from console.headless.bus.client import BusClient
from console.headless.bus.server import BusServer
from core.bus import BusClosed
from core.errors import ConfigError
from tests.bus_cases import (
    Collector,
    bus_fixture,  # noqa: F401 - the fixture `bus`
    sock_path_fixture,  # noqa: F401 - the fixture `sock_path`
    until,
)

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
