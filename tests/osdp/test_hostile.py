"""Hostile and flaky readers on a pty: late replies, slow bytes, long replies, garbage.

Each reader here is a ScriptedReader (tests/osdp/scripted.py): libosdp's PD is
a well-behaved peer and cannot be made to answer late, with the wrong
sequence number or with a broken frame. They share the PtyHub with libosdp's
PDs where a test needs healthy neighbours.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime

import pytest

from core.devices import OpenDoor, Status
from core.model import Event, EventKind, EventResult
from drivers.osdp.codec import Cmd, Reply
from drivers.osdp.reader import Link
from tests.osdp.scripted import ScriptedReader, normal, reply


def _previous(sequence: int) -> int:
    return 3 if sequence <= 1 else sequence - 1


async def test_a_stale_reply_never_completes_an_out(bus, estate):
    def late_then_right(reader, command):
        if command.code != Cmd.OUT:
            return normal(reader, command)
        if len(reader.of(Cmd.OUT)) == 1:  # the previous command's late ACK, OUT not done
            return [reply(reader, command, sequence=_previous(command.sequence))]
        reader.done.append(command)
        return normal(reader, command)

    pd = ScriptedReader(bus.hub, 0x21, late_then_right)
    bus.peers.append(pd)
    await bus.start([bus.reader(0x21, estate.panel.id)])
    await bus.online()
    bus.driver.command(OpenDoor(estate.door.device_id, estate.door.id, 1, 5))
    await bus.until(lambda: pd.done)
    sent = pd.of(Cmd.OUT)
    assert len(sent) == 2 and sent[0].raw == sent[1].raw  # the same OUT sent again
    reader = bus.driver.readers[0]
    assert reader.counters["stale replies"] == 1


async def test_a_reader_with_15ms_between_bytes_comes_online(bus, estate):
    pd = ScriptedReader(bus.hub, 0x22, gap=0.015)  # PDID: 20 bytes, ~290 ms
    bus.peers.append(pd)
    await bus.start([bus.reader(0x22, estate.panel.id)])
    # a busy machine stretches the scripted gaps now and then: a retry, then online
    await bus.until(lambda: bus.driver.readers[0].link is Link.ONLINE, timeout=10)
    assert bus.runtime.health[estate.panel.id].info["vendor"] == "FEBABE"
    await bus.until(lambda: bus.driver.readers[0].counters["replies"] >= 5)


async def test_a_reply_of_1000_bytes_at_9600_baud(bus, estate):
    big = bytes((14, 1, 1)) * 330  # PDCAP: 990 bytes of data, ~1.04 s on the wire at 9600

    def long_cap(reader, command):
        if command.code == Cmd.CAP:
            return [reply(reader, command, Reply.PDCAP, big)]
        return normal(reader, command)

    pd = ScriptedReader(bus.hub, 0x23, long_cap, gap=0.0104, chunk=10)  # 960 bytes a second
    bus.peers.append(pd)
    await bus.start([bus.reader(0x23, estate.panel.id)], baud=9600)
    await bus.until(lambda: bus.driver.readers[0].link is Link.ONLINE, timeout=10)
    assert "biometrics 1" in bus.runtime.health[estate.panel.id].info["capabilities"]


def _malformed(reader, command):
    """The first four POLLs get garbage, one kind each; then the reader behaves."""
    n = len(reader.of(Cmd.POLL))
    ack = reply(reader, command)
    if command.code != Cmd.POLL or n > 4:
        return normal(reader, command)
    return [[bytes.fromhex("53 a4 ff ff 04 40 00 00"),  # LEN 65535
             ack[:6],  # a short frame: the rest never comes
             reply(reader, command, address=0x30),  # a reply from another address
             ack[:-1] + bytes((ack[-1] ^ 0xFF,))][n - 1]]  # a bad CRC


async def test_malformed_frames_are_counted_and_shown_in_device_health(bus, estate):
    pd = ScriptedReader(bus.hub, 0x24, _malformed)
    bus.peers.append(pd)
    await bus.start([bus.reader(0x24, estate.panel.id)])
    await bus.online()
    await bus.until(lambda: len(pd.of(Cmd.POLL)) > 6)
    counters = bus.driver.readers[0].counters
    assert counters["malformed frames"] == 3 and counters["CRC errors"] == 1
    assert counters["timeouts"] == 4 and counters["retries"] == 4
    assert bus.driver.readers[0].link is Link.ONLINE
    health = await bus.until(lambda: bus.runtime.health[estate.panel.id].counters.get(
        "malformed frames") and bus.runtime.health[estate.panel.id].counters)
    assert health["malformed frames"] == 3 and health["CRC errors"] == 1


def _one_in(n: int):
    """ID and CAP answered (it comes online), then 1 command in `n`."""
    def answer(reader, command):
        heard = len(reader.heard)
        return normal(reader, command) if heard <= 2 or heard % n == 0 else []
    return answer


async def test_a_reader_answering_1_in_6_waits_for_its_turn(bus, estate):
    healthy = [ScriptedReader(bus.hub, a) for a in (0x31, 0x32, 0x33)]
    flaky = ScriptedReader(bus.hub, 0x34, _one_in(6))
    bus.peers += [*healthy, flaky]
    # kept online (offline_after) so that only the scheduler is tested, not the offline rule
    await bus.start([bus.reader(a, 9000 + a, door_id=None) for a in (0x31, 0x32, 0x33, 0x34)],
                    offline_after=60)
    await bus.online(4)
    # (address, answered, bus time) of every exchange, in order; timed on the driver's clock
    seen: list[tuple[int, bool, float]] = []
    transact, clock = bus.driver.bus.transact, asyncio.get_running_loop().time

    async def recorded(address, frame, timeout=None):
        started = clock()
        answer = await transact(address, frame, timeout)
        seen.append((address, answer is not None, clock() - started))
        return answer

    bus.driver.bus.transact = recorded
    await bus.until(lambda: sum(1 for a, ok, _ in seen if a == 0x34 and not ok) >= 6, timeout=8)
    healthy_addresses = (0x31, 0x32, 0x33)
    # a reader can be one exchange ahead of the others when the flaky one misses
    ahead = max(t for a, _, t in seen if a in healthy_addresses)
    missed = [i for i, (a, ok, _) in enumerate(seen) if a == 0x34 and not ok]
    for i in missed[:-1]:
        after = seen[i + 1:]
        again = next((j for j, (a, _, _) in enumerate(after) if a == 0x34), len(after))
        between = after[:again]
        # the fair share is bus time, not a number of polls (under load one poll can take
        # as long as the miss): each of the others had the miss's cost before the next try
        for h in healthy_addresses:
            served = sum(t for a, _, t in between if a == h)
            assert served >= seen[i][2] - ahead, (hex(h), served, seen[i][2], ahead, between)


def _misses_every_third(reader, command):
    return [] if len(reader.heard) % 3 == 0 else normal(reader, command)


async def test_a_communication_quality_alarm_is_raised_then_cleared(bus, estate):
    pd = ScriptedReader(bus.hub, 0x25, _misses_every_third)
    bus.peers.append(pd)
    await bus.start([bus.reader(0x25, estate.panel.id)], quality_window=1.5)
    await bus.online()
    kinds = lambda: [e.kind for e in bus.sink.events]  # noqa: E731
    await bus.until(lambda: EventKind.COMMUNICATION_QUALITY in kinds(), timeout=5)
    assert bus.driver.readers[0].link is Link.ONLINE  # flaky, not offline
    # published once durable (docs/durability.md), so just after it was recorded
    await bus.until(lambda: any(m["type"] == "alarm" for m in bus.published), timeout=5)
    alarms = [m for m in bus.published if m["type"] == "alarm"]
    assert [m["event"]["kind"] for m in alarms] == ["Communication quality"]
    assert "timeouts" in alarms[0]["event"]["description"]
    pd.script = normal
    await bus.until(lambda: EventKind.COMMUNICATION_RESTORED in kinds(), timeout=5)
    restored = [e for e in bus.sink.events if e.kind is EventKind.COMMUNICATION_RESTORED]
    assert restored[0].result is EventResult.INFORMATION
    assert kinds().count(EventKind.COMMUNICATION_QUALITY) == 1


async def test_communication_restored_clears_the_open_quality_alarm(store, estate):
    writer = await store.event_writer()
    t0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    for minute, kind in ((0, EventKind.COMMUNICATION_QUALITY), (1, EventKind.DEVICE_OFFLINE),
                         (2, EventKind.COMMUNICATION_RESTORED)):
        writer.append(Event(t0.replace(minute=minute), estate.site.id, kind,
                            EventResult.ALARM, estate.panel.id))
    await writer.flush()
    with sqlite3.connect(store.where) as con:
        rows = con.execute("SELECT kind, cleared_at IS NOT NULL FROM alarms ORDER BY id").fetchall()
    assert rows == [("Communication quality", 1), ("Device offline", 0)]



async def test_after_a_restart_an_open_quality_alarm_clears_once_the_reader_answers_well(
        bus, estate, store):
    """The alarm was open when the gateway stopped; the new driver starts that reader as
    poor (as the gateway does from the store), and a healthy reader clears it."""
    from store.snapshot import open_alarm_devices

    writer = await store.event_writer()
    writer.append(Event(datetime(2026, 11, 27, 9, 0, tzinfo=UTC), estate.site.id,
                        EventKind.COMMUNICATION_QUALITY, EventResult.ALARM, estate.panel.id))
    await writer.flush()
    assert await open_alarm_devices(store, EventKind.COMMUNICATION_QUALITY) == [
        estate.panel.id]
    bus.peers.append(ScriptedReader(bus.hub, 0x26, normal))
    await bus.start([bus.reader(0x26, estate.panel.id)], quality_window=1.5)
    bus.driver.assume_poor_quality([estate.panel.id])
    await bus.until(lambda: bus.statuses(Status.COMMUNICATION_RESTORED), timeout=5)
    assert not bus.statuses(Status.COMMUNICATION_QUALITY)  # no second alarm


class Noise:
    """A device babbling on the line: `chunk` again every 10 ms, never pausing 50 ms."""

    def __init__(self, hub, chunk: bytes, head: bytes = b"") -> None:
        self.channel = hub.channel(0x7E)  # hears nothing addressed to our readers
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(head, chunk), daemon=True)
        self._thread.start()

    def _run(self, head: bytes, chunk: bytes) -> None:
        while not self._stop.is_set():
            self.channel.write(head)
            for _ in range(2000):
                if self._stop.wait(0.01):
                    return
                self.channel.write(chunk)

    def teardown(self) -> None:
        self._stop.set()
        self._thread.join(1.0)


@pytest.mark.parametrize(("head", "chunk"), [
    (b"", b"\x53"),  # start bytes, each a frame that ends as a fault
    (bytes.fromhex("53 fe a0 05"), b"\x00"),  # one frame of 1440 bytes, 10 ms apart
], ids=["start-bytes", "a-long-frame-trickled"])
async def test_noise_without_a_pause_never_holds_the_bus(bus, estate, head, chunk):
    """An absent reader's command is not answered while noise keeps coming: it ends
    unanswered (the reader goes offline) and its healthy neighbour is still polled.
    (Before: the command waited as long as the bytes came, and no one was polled.)"""
    healthy = ScriptedReader(bus.hub, 0x31)
    bus.peers.append(healthy)
    await bus.start([bus.reader(0x31, estate.panel.id),
                     bus.reader(0x33, 9033, door_id=None)])
    await bus.online()
    bus.peers.append(Noise(bus.hub, chunk, head))
    heard = len(healthy.heard)
    await bus.until(lambda: len(healthy.heard) > heard + 20, timeout=4)
    await bus.until(lambda: [e for e in bus.statuses(Status.OFFLINE) if e.device_id == 9033])
    assert bus.driver.readers[0].link is Link.ONLINE


def _wrong_sequence_after_cap(reader, command):
    if len(reader.heard) <= 2:  # ID and CAP: online
        return normal(reader, command)
    return [reply(reader, command, sequence=command.sequence % 3 + 1)]


def _another_baud_rate(reader, command):
    """Bytes as a reader set to another baud rate would leave them: none is a frame."""
    return [bytes(b ^ 0x5A for b in normal(reader, command)[0])]


@pytest.mark.parametrize(("script", "heard"), [
    (_wrong_sequence_after_cap, "replies with the wrong sequence number"),
    (_another_baud_rate, "bursts of bytes that were no frame (another baud rate?)"),
], ids=["wrong-sequence", "baud-rate"])
async def test_a_reader_talking_but_never_understood_is_offline_saying_what_came(
        bus, estate, script, heard):
    """Before, its alarm read as if the reader were absent ("Device offline : <name>"),
    and bytes that began no frame were not even counted."""
    bus.peers.append(ScriptedReader(bus.hub, 0x27, script))
    await bus.start([bus.reader(0x27, estate.panel.id)])
    offline = await bus.until(lambda: bus.statuses(Status.OFFLINE), timeout=5)
    assert offline[0].detail.startswith("no reply understood; heard instead ")
    assert offline[0].detail.endswith(heard)
    alarm = [e for e in bus.sink.events if e.kind is EventKind.DEVICE_OFFLINE][0]
    assert alarm.description.endswith(f" {heard})")
