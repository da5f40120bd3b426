"""The test harness itself: the PtyHub hands each PD only the frames addressed to it."""

from __future__ import annotations

import asyncio

from drivers.osdp import codec
from drivers.osdp.driver import OsdpDriver
from drivers.osdp.reader import Link, ReaderConfig
from tests.osdp.peer import Peer, PtyHub, Router


def _routed(router: Router, data: bytes) -> dict[int | None, bytes]:
    heard: dict[int | None, bytes] = {}
    for to, run in router.split(data):
        heard[to] = heard.get(to, b"") + run
    return heard


def test_frames_go_to_their_address_broadcasts_and_noise_to_everyone():
    poll1, poll2 = codec.encode(1, codec.Cmd.POLL), codec.encode(2, codec.Cmd.ID, b"\x00", 1)
    everyone = codec.encode(codec.BROADCAST, codec.Cmd.POLL)
    heard = _routed(Router(), b"\xff" + poll1 + poll2 + everyone)
    assert heard == {None: b"\xff" + everyone, 1: poll1, 2: poll2}


def test_a_frame_split_across_reads_stays_whole():
    router, frame = Router(), codec.encode(7, codec.Cmd.CAP, b"\x00", 2)
    heard = [_routed(router, frame[i:i + 3]) for i in range(0, len(frame), 3)]
    assert all(set(h) <= {7} for h in heard)  # the header is held until it names the PD
    assert b"".join(h.get(7, b"") for h in heard) == frame


def test_a_header_with_a_length_that_cannot_be_goes_to_everyone():
    assert _routed(Router(), b"\x53\x01\x02\x00\x60") == {None: b"\x53\x01\x02\x00\x60"}


async def test_eight_readers_on_one_pty_answer_every_poll():
    hub = PtyHub()
    peers = [Peer(hub, a) for a in range(1, 9)]
    driver = OsdpDriver(hub.path, 115200, [ReaderConfig(a, a) for a in range(1, 9)])
    await driver.start(lambda event: None)
    try:
        for _ in range(200):
            if all(r.link is Link.ONLINE for r in driver.readers):
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.5)
        assert all(r.link is Link.ONLINE for r in driver.readers)
        # a PD hearing other addresses' frames ahead of its own used to miss it (retries)
        assert [r.counters["retries"] for r in driver.readers] == [0] * 8
        assert all(r.counters["replies"] >= 3 for r in driver.readers)
    finally:
        await driver.stop()
        for peer in peers:
            peer.teardown()
        hub.close()
