"""The OSDP driver against libosdp's own peripheral devices on a pseudo-terminal.

The gateway's real runtime decides (a snapshot of the small estate with the
APass 0012345678 and the flat code 4321); what reaches each PD's command
handler is what a reader would do.
"""

from __future__ import annotations

import asyncio
import time

import osdp
import pytest

from core.devices import AccessRequest, Status
from core.model import EventKind, EventResult
from drivers.osdp import codec, payloads
from drivers.osdp.cards import wiegand
from drivers.osdp.reader import Link
from tests.osdp.peer import KEY, Peer

KNOWN, UNKNOWN = 12345678, 7654321
GREEN, RED = osdp.CommandLEDColor.Green, osdp.CommandLEDColor.Red


def _leds(peer: Peer) -> list[int]:
    return [c["on_color"] for c in peer.of(osdp.Command.LED)]


async def test_card_read_grant_pulses_the_relay_and_shows_green(bus, estate):
    pd = Peer(bus.hub, 0x65)
    bus.peers.append(pd)
    await bus.start([bus.reader(0x65, estate.panel.id)])
    await bus.online()
    pd.card(wiegand(KNOWN))
    out = await bus.until(lambda: pd.of(osdp.Command.Output))
    assert out[0]["control_code"] == payloads.Output.PULSE_ON
    assert out[0]["timer_count"] == estate.door.open_seconds * 10
    await bus.until(lambda: pd.of(osdp.Command.Buzzer))
    assert _leds(pd) == [GREEN]
    assert pd.of(osdp.Command.Buzzer)[0]["on_count"] == 1  # a short beep
    opened = [e for e in bus.sink.events if e.kind is EventKind.OPEN_BY_PROXIMITY_FOB]
    assert opened[0].result is EventResult.OPENING and opened[0].credential == f"{KNOWN:010d}"
    # ID and CAP were read on connect, the counters are the runtime's
    health = bus.runtime.health[estate.panel.id]
    assert health.info["vendor"] == "FEBABE"
    assert health.info["capabilities"] == ("contact status 1, outputs 1, LEDs 1, audible 1, "
                                           "CRC-16, AES-128, receive buffer 256 bytes, "
                                           "readers 1")
    await bus.driver.stop()
    assert health.counters["polls"] > 0 and health.counters["replies"] > 0
    assert "round trip ms" in health.counters


async def test_unknown_card_is_denied_red_and_long_beep(bus, estate):
    pd = Peer(bus.hub, 1)
    bus.peers.append(pd)
    await bus.start([bus.reader(1, estate.panel.id)])
    await bus.online()
    pd.card(wiegand(UNKNOWN))
    await bus.until(lambda: pd.of(osdp.Command.Buzzer))
    assert _leds(pd) == [RED] and not pd.of(osdp.Command.Output)
    assert pd.of(osdp.Command.Buzzer)[0]["on_count"] == 10
    assert bus.sink.events[-1].result is EventResult.OPENING_DENIED


async def test_keypad_code_ended_by_hash(bus, estate):
    pd = Peer(bus.hub, 2)
    bus.peers.append(pd)
    await bus.start([bus.reader(2, estate.panel.id)])
    await bus.online()
    pd.keypad(b"99*43")  # '*' clears what was typed
    pd.keypad(b"21#")
    await bus.until(lambda: pd.of(osdp.Command.Buzzer))
    assert pd.of(osdp.Command.Output)
    codes = [e for e in bus.reports if isinstance(e, AccessRequest)]
    assert [c.value for c in codes] == ["4321"]
    assert _leds(pd) == [GREEN]


async def test_tamper_power_and_door_alarms(bus, estate):
    pd = Peer(bus.hub, 3)
    bus.peers.append(pd)
    await bus.start([bus.reader(3, estate.panel.id, held_open_seconds=1)])
    await bus.online()
    pd.local(1, 0)
    await bus.until(lambda: bus.statuses(Status.TAMPER))
    pd.local(1, 1)
    await bus.until(lambda: bus.statuses(Status.POWER_FAILURE))
    assert len(bus.statuses(Status.TAMPER)) == 1  # still tampered: no second alarm
    pd.inputs(1)  # the door opens with no grant
    forced = await bus.until(lambda: bus.statuses(Status.DOOR_FORCED))
    assert forced[0].door_id == estate.door.id
    held = await bus.until(lambda: bus.statuses(Status.DOOR_HELD_OPEN), timeout=3)
    assert held[0].door_id == estate.door.id
    kinds = {e.kind for e in bus.sink.events}
    assert {EventKind.TAMPER, EventKind.POWER_FAILURE, EventKind.DOOR_FORCED,
            EventKind.DOOR_HELD_OPEN} <= kinds
    # a granted opening is not forced
    pd.inputs(0)
    await asyncio.sleep(0.1)
    pd.card(wiegand(KNOWN))
    await bus.until(lambda: pd.of(osdp.Command.Output))
    pd.inputs(1)
    await asyncio.sleep(0.3)
    assert len(bus.statuses(Status.DOOR_FORCED)) == 1


async def test_three_readers_on_one_bus(bus, estate):
    peers = [Peer(bus.hub, a) for a in (10, 11, 12)]
    bus.peers += peers
    await bus.start([bus.reader(10, estate.panel.id),
                     bus.reader(11, 9011, door_id=None), bus.reader(12, 9012, door_id=None)])
    await bus.online(3)
    for n, peer in enumerate(peers):
        peer.card(wiegand(1000 + n))
    requests = await bus.until(lambda: len([e for e in bus.reports
                                            if isinstance(e, AccessRequest)]) == 3 and
                               [e for e in bus.reports if isinstance(e, AccessRequest)])
    assert sorted((r.device_id, r.value) for r in requests) == [
        (estate.panel.id, "0000001000"), (9011, "0000001001"), (9012, "0000001002")]
    assert all(r.counters["polls"] > 0 for r in bus.driver.readers)


async def test_a_stopped_reader_is_offline_within_2s_and_recovers(bus, estate):
    pd = Peer(bus.hub, 4)
    bus.peers.append(pd)
    await bus.start([bus.reader(4, estate.panel.id)], backoff=(0.2, 0.5))
    await bus.online()
    pd.stop()
    started = time.monotonic()
    await bus.until(lambda: bus.statuses(Status.OFFLINE))
    assert time.monotonic() - started <= 2.0
    assert [e.kind for e in bus.sink.events] == [EventKind.DEVICE_OFFLINE]
    pd.resume()
    await bus.until(lambda: bus.driver.readers[0].link is Link.ONLINE, timeout=3)
    await bus.until(lambda: any(e.kind is EventKind.DEVICE_ONLINE for e in bus.sink.events))
    pd.card(wiegand(KNOWN))
    await bus.until(lambda: pd.of(osdp.Command.Output))


async def test_install_mode_commissioning_then_secure_channel(bus, estate):
    pd = Peer(bus.hub, 5, install=True)
    bus.peers.append(pd)
    await bus.start([bus.reader(5, estate.panel.id, scbk=KEY, install=True)])
    await bus.online()
    assert pd.keys == [KEY]
    assert pd.pd.is_sc_active()
    assert bus.runtime.health[estate.panel.id].info["secure channel"] == "on"
    bus.hub.recording = True
    pd.card(wiegand(KNOWN))
    await bus.until(lambda: pd.of(osdp.Command.Output))
    frames = codec.Deframer().feed(b"".join(bus.hub.wire))
    assert frames and all(f.scb_type in (0x15, 0x17) for f in frames)  # nothing in plaintext


@pytest.mark.parametrize("peer_key", [bytes(16), None], ids=["wrong key", "no secure channel"])
async def test_a_reader_that_fails_secure_channel_is_refused_never_plaintext(bus, estate,
                                                                             peer_key):
    pd = Peer(bus.hub, 6, scbk=peer_key)
    bus.peers.append(pd)
    bus.hub.recording = True
    await bus.start([bus.reader(6, estate.panel.id, scbk=KEY)])
    refused = await bus.until(lambda: bus.statuses(Status.OFFLINE))
    assert "secure channel refused" in refused[0].detail
    assert bus.sink.events[0].kind is EventKind.DEVICE_OFFLINE
    pd.card(wiegand(KNOWN))
    await asyncio.sleep(0.6)
    assert not [e for e in bus.reports if isinstance(e, AccessRequest)]
    assert pd.commands == [] and bus.driver.readers[0].link is Link.REFUSED
    sent = {f.code for f in codec.Deframer().feed(b"".join(bus.hub.wire))}
    assert sent <= {codec.Cmd.ID, codec.Cmd.CAP, codec.Cmd.CHLNG}  # never a plaintext POLL


async def test_a_reader_answering_polls_is_seen_every_second(bus, estate):
    pd = Peer(bus.hub, 7)
    bus.peers.append(pd)
    await bus.start([bus.reader(7, estate.panel.id)])
    await bus.online()
    await asyncio.sleep(2.2)
    # the Devices tab's "Last seen" follows the polls, not only card reads
    assert len(bus.statuses(Status.ONLINE)) >= 3
    assert not [e for e in bus.sink.events if e.kind is EventKind.DEVICE_ONLINE]
    pd.stop()
    await bus.until(lambda: bus.statuses(Status.OFFLINE))
    seen = len(bus.statuses(Status.ONLINE))
    await asyncio.sleep(1.2)
    assert len(bus.statuses(Status.ONLINE)) == seen  # silent: not seen
