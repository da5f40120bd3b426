"""What the bus tests share: a short socket path and a harness that starts servers and
connects clients over it (the fixtures `sock_path` and `bus`), and ways to wait and read."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from console.headless.bus.client import BusClient
from console.headless.bus.server import BusServer


@pytest.fixture(name="sock_path")
def sock_path_fixture():
    """A socket path in a short folder (AF_UNIX paths must stay under 108 bytes)."""
    folder = tempfile.mkdtemp(prefix="dkbus-", dir="/tmp")
    yield Path(folder) / "run" / "bus.sock"
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(name="bus")
async def bus_fixture(sock_path: Path):
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
