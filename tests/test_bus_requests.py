"""The gateway's bus over real Unix sockets, requests: a request gets its own reply (and
other messages still flow), and one without a reply times out."""

from __future__ import annotations

import asyncio
import time

import pytest

from console.headless.bus.server import BusPeer
from tests.bus_cases import (
    Collector,
    bus_fixture,  # noqa: F401 - the fixture `bus`
    sock_path_fixture,  # noqa: F401 - the fixture `sock_path` (`bus` uses it)
    until,
)

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
