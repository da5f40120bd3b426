"""Random and mutated frames: the codec raises only FrameError, the driver never raises."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.osdp import codec
from drivers.osdp.codec import Reply
from drivers.osdp.driver import OsdpDriver
from drivers.osdp.reader import Link, ReaderConfig
from drivers.osdp.secure import Session

REPLIES = [int(r) for r in Reply]
valid_replies = st.builds(
    lambda code, data, seq: codec.encode(1, code, data, seq, reply=True),
    st.sampled_from(REPLIES), st.binary(max_size=40), st.integers(0, 3))


def _mutate(frame: bytes, flips: list[tuple[int, int]]) -> bytes:
    out = bytearray(frame)
    for pos, value in flips:
        out[pos % len(out)] = value
    return bytes(out)


mutated = st.builds(_mutate, valid_replies, st.lists(st.tuples(st.integers(0, 200),
                                                              st.integers(0, 255)), max_size=4))


@given(st.one_of(st.binary(max_size=80), mutated))
def test_decode_raises_only_frame_errors(data):
    try:
        frame = codec.decode(data)
    except codec.FrameError:
        return
    assert frame.raw == data


@given(st.lists(st.one_of(st.binary(max_size=30), valid_replies, mutated), max_size=8))
def test_deframer_finds_every_valid_frame(chunks):
    frames = codec.Deframer().feed(b"".join(chunks))
    assert all(len(f.raw) == f.raw[2] for f in frames)


class FakeBus:
    """Answers each command with the next scripted reply (None = silence)."""

    def __init__(self) -> None:
        self.replies: list = []
        self.deframer = codec.Deframer()
        self.is_open = True
        self.port = "fake"

    async def transact(self, address, frame, timeout=None):
        return self.replies.pop(0) if self.replies else None

    async def close(self) -> None:
        pass


def _driver(secure: bool) -> OsdpDriver:
    driver = OsdpDriver("fake", 9600, [ReaderConfig(1, 1, door_id=1,
                                                    scbk=bytes(16) if secure else None)])
    driver.bus = FakeBus()
    driver._report = lambda event: None
    reader = driver.readers[0]
    reader.link = Link.ONLINE
    reader.sequence = 1
    if secure:
        reader.session = Session(bytes(16))
        reader.session.active = True
    return driver


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.none(), valid_replies, mutated), min_size=1, max_size=6),
       st.booleans())
def test_the_driver_never_raises_on_what_a_reader_says(replies, secure):
    driver = _driver(secure)
    frames = []
    for raw in replies:
        try:
            frames.append(None if raw is None else codec.decode(raw))
        except codec.FrameError:
            frames.append(None)
    driver.bus.replies = frames

    async def run() -> None:
        for _ in range(len(frames) + 1):
            reader = driver.readers[0]
            await driver._service(reader)
            driver._check_doors(0.0)

    asyncio.run(run())


@given(st.sampled_from(REPLIES), st.binary(max_size=64))
def test_every_reply_payload_is_handled(code, data):
    driver = _driver(False)

    async def run() -> None:
        driver._on_reply(driver.readers[0], code, data)

    asyncio.run(run())
