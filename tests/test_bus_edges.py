"""Issue 13, items 4 to 6, at the bus: each message kind checked before it reaches a
service, malformed lines (however deep) ignored without dropping the peer, warnings
rate-limited per peer, and a burst of commands carried out a few at a time.

The gateway here is the real one (store, socket, simulator) from tests/test_gateway.py."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sqlite3

import pytest

from core import bus_schema
from core.bus_schema import ID_MAX, MessageRefused
from core.rights import Profile
from tests.conftest import make_operator
from tests.test_gateway import gateway, next_event  # noqa: F401  (the fixture)

OP, DOOR, ALARM = 7, 3, 5


@pytest.mark.parametrize(("msg", "field"), [
    ({"type": "ack_alarm", "operator_id": OP, "alarm_id": ALARM, "note": None}, "note"),
    ({"type": "ack_alarm", "operator_id": OP, "alarm_id": ALARM, "note": {"a": 1}}, "note"),
    ({"type": "ack_alarm", "operator_id": OP, "alarm_id": ALARM, "note": ["x"]}, "note"),
    ({"type": "ack_alarm", "operator_id": OP, "alarm_id": ALARM, "note": 5}, "note"),
    ({"type": "ack_alarm", "operator_id": OP, "alarm_id": ALARM, "note": "x" * 161}, "note"),
    ({"type": "ack_alarm", "operator_id": OP, "alarm_id": 2**63}, "alarm_id"),
    ({"type": "ack_alarm", "operator_id": OP, "alarm_id": "5"}, "alarm_id"),
    ({"type": "ack_alarm", "operator_id": OP}, "alarm_id"),
    ({"type": "open_door", "operator_id": OP, "door_id": DOOR, "seconds": True}, "seconds"),
    ({"type": "open_door", "operator_id": OP, "door_id": DOOR, "seconds": 2.5}, "seconds"),
    ({"type": "open_door", "operator_id": OP, "door_id": DOOR, "seconds": 0}, "seconds"),
    ({"type": "open_door", "operator_id": OP, "door_id": DOOR, "seconds": 601}, "seconds"),
    ({"type": "open_door", "operator_id": OP, "door_id": DOOR, "seconds": "8"}, "seconds"),
    ({"type": "open_door", "operator_id": OP, "door_id": 2**63}, "door_id"),
    ({"type": "open_door", "operator_id": OP, "door_id": 10**400}, "door_id"),
    ({"type": "open_door", "operator_id": OP, "door_id": -1}, "door_id"),
    ({"type": "open_door", "operator_id": OP, "door_id": False}, "door_id"),
    ({"type": "open_door", "operator_id": True, "door_id": DOOR}, "operator_id"),
    ({"type": "open_door", "operator_id": None, "door_id": DOOR}, "operator_id"),
    ({"type": "open_door", "door_id": DOOR, "request_id": {"a": 1}}, "request_id"),
    ({"type": "open_door", "door_id": DOOR, "request_id": "r" * 65}, "request_id"),
    ({"type": "explode"}, "type"),
    ({"type": "event"}, "type"),  # the gateway's own kinds are not a console's to send
    ({"type": "reply"}, "type"),
    ({"type": None}, "type"),
    ({"type": ["open_door"]}, "type"),
    ({}, "type"),
])
def test_each_kind_has_a_schema_with_a_named_refusal(msg, field):
    with pytest.raises(MessageRefused) as exc:
        bus_schema.check(msg)
    assert exc.value.field == field
    assert f"'{field}'" in exc.value.message or field == "type"
    assert len(exc.value.message) < 200  # never the refused value itself


@pytest.mark.parametrize(("msg", "checked"), [
    ({"type": "hello", "request_id": "r1"}, {"type": "hello", "request_id": "r1"}),
    ({"type": "change", "extra": [1, 2]}, {"type": "change"}),  # unknown fields ignored
    ({"type": "open_door", "operator_id": OP, "door_id": DOOR},
     {"type": "open_door", "operator_id": OP, "door_id": DOOR}),
    ({"type": "open_door", "operator_id": OP, "door_id": ID_MAX, "seconds": None},
     {"type": "open_door", "operator_id": OP, "door_id": ID_MAX}),
    ({"type": "ack_alarm", "operator_id": OP, "alarm_id": ALARM, "note": "ok", "request_id": 3},
     {"type": "ack_alarm", "operator_id": OP, "alarm_id": ALARM, "note": "ok",
      "request_id": 3}),
])
def test_well_formed_messages_pass_with_their_own_fields(msg, checked):
    assert bus_schema.check(msg) == checked


async def _raw(path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_unix_connection(path)


async def _reply(reader: asyncio.StreamReader) -> dict:
    while True:
        msg = json.loads(await asyncio.wait_for(reader.readline(), 10))
        if msg.get("type") == "reply":
            return msg


async def test_wrong_types_are_refused_before_any_service(store, admin, estate, gateway):  # noqa: F811
    desk = await make_operator(store, admin, "desk@test.example", estate.site.id,
                               Profile.CONCIERGE)
    reader, writer = await _raw(gateway.config.bus.path)
    try:
        for i, fields in enumerate([{"seconds": True}, {"seconds": "8"},
                                    {"door_id": 2**63}, {"door_id": 10**30}]):
            msg = {"type": "open_door", "operator_id": desk.operator.id,
                   "door_id": estate.door.id, "request_id": i, **fields}
            writer.write(json.dumps(msg).encode() + b"\n")
            reply = await _reply(reader)
            assert reply["ok"] is False and reply["request_id"] == i
            assert "must be a whole number" in reply["error"]
        writer.write(json.dumps({"type": "ack_alarm", "operator_id": desk.operator.id,
                                 "alarm_id": 1, "note": None, "request_id": 9}).encode()
                     + b"\n")
        reply = await _reply(reader)
        assert reply["ok"] is False and "'note' must be text" in reply["error"]
    finally:
        writer.close()
    with sqlite3.connect(store.where) as con:
        assert con.execute("SELECT count(*) FROM audit_entries WHERE action IN "
                           "('door.open', 'alarm.acknowledge')").fetchone() == (0,)
    assert list(gateway.drivers[0].commands) == []


async def test_deep_nesting_and_garbage_never_drop_the_peer(gateway, caplog):  # noqa: F811
    reader, writer = await _raw(gateway.config.bus.path)
    try:
        with caplog.at_level(logging.WARNING):
            writer.write(b"[" * 30_000 + b"\n" + b"{\"a\":" * 10_000 + b"\n")
            writer.write(b'{"type": "hello", "request_id": "after"}\n')
            reply = await _reply(reader)
        assert reply == {"type": "reply", "request_id": "after", "ok": True}
        assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text
        assert "nested too deeply" in caplog.text
    finally:
        writer.close()


async def test_a_flood_of_malformed_lines_is_summarised(gateway, caplog):  # noqa: F811
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(gateway.config.bus.path)
    server = gateway.bus
    before = server.malformed
    with caplog.at_level(logging.WARNING, logger="console.headless.bus"):
        sock.sendall(b"x\n" * 20_000)
        sock.close()
        async with asyncio.timeout(10):
            while server.malformed < before + 20_000 or "more malformed" not in caplog.text:
                await asyncio.sleep(0.05)
    lines = [r for r in caplog.records if "malformed" in r.getMessage()]
    assert len(lines) <= 10, len(lines)
    assert any("19,995 more malformed lines from pid" in r.getMessage() for r in lines), \
        [r.getMessage() for r in lines]


async def test_a_burst_of_commands_is_carried_out_a_few_at_a_time(store, admin, estate,
                                                                  gateway):  # noqa: F811
    desk = await make_operator(store, admin, "desk@test.example", estate.site.id,
                               Profile.CONCIERGE)
    server = gateway.bus
    most = 0
    handle = server.on_message

    async def watched(msg, peer):
        nonlocal most
        most = max(most, peer.in_flight)
        return await handle(msg, peer)

    server.on_message = watched
    reader, writer = await _raw(gateway.config.bus.path)
    n = 60  # several times max_in_flight; each is an audited write
    try:
        writer.write(b"".join(json.dumps({
            "type": "open_door", "operator_id": desk.operator.id, "door_id": estate.door.id,
            "request_id": i}).encode() + b"\n" for i in range(n)))
        replies = [await _reply(reader) for _ in range(n)]
    finally:
        writer.close()
    assert sorted(r["request_id"] for r in replies) == list(range(n))  # every one answered
    assert all(r["ok"] for r in replies), [r for r in replies if not r["ok"]][:3]
    assert most <= server.max_in_flight
    with sqlite3.connect(store.where) as con:
        assert con.execute("SELECT count(*) FROM audit_entries WHERE action='door.open'"
                           ).fetchone() == (n,)
