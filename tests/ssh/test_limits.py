"""The edge limits of one SSH session's input (console/ssh/limits.py), fed byte chunks
as a client sends them."""

from __future__ import annotations

import os

import pytest

from console.ssh.limits import PASTE_END, PASTE_START, InputLimiter, clamp_size


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("asked", "given"), [
    ((100, 30), (100, 30)),
    ((10000, 10000), (500, 200)),
    ((0, 0), (80, 24)),
    ((501, 20), (500, 20)),
])
def test_window_sizes_are_clamped_not_refused(asked, given):
    assert clamp_size(*asked) == given


def test_typing_within_the_burst_passes_unchanged():
    limiter = InputLimiter(burst=10, per_second=1, clock=Clock())
    typed = b"abc\x1b[A\x1bOP" + "é".encode()
    cut = limiter.feed(typed)
    assert cut.data == typed
    assert cut.keys_dropped == 0


def test_a_flood_of_keys_is_cut_to_the_burst_then_the_rate():
    clock = Clock()
    limiter = InputLimiter(burst=100, per_second=40, clock=clock)
    cut = limiter.feed(b"x" * 20_000)
    assert cut.data == b"x" * 100 and cut.keys_dropped == 19_900
    clock.now = 1.0
    assert limiter.feed(b"y" * 100).data == b"y" * 40


def test_a_cut_never_leaves_half_an_escape_sequence():
    clock = Clock()
    limiter = InputLimiter(burst=3, per_second=0, clock=clock)
    sequence = b"\x1b[<35;100;30M"  # a mouse report
    cut = limiter.feed(sequence * 10)
    assert cut.data == sequence * 3 and cut.keys_dropped == 7
    # a sequence split across chunks is passed whole or not at all
    limiter = InputLimiter(burst=2, per_second=0, clock=clock)
    assert limiter.feed(b"a\x1b[<35;1").data == b"a"
    assert limiter.feed(b"0;2M").data == b"\x1b[<35;10;2M"
    # dropped when the bucket emptied in the middle of it: its rest is dropped too
    assert limiter.feed(b"b\x1b[<35;1").data == b""
    assert limiter.feed(b"0;2Mc").data == b""


def test_a_lone_escape_is_passed_at_once():
    limiter = InputLimiter(clock=Clock())
    assert limiter.feed(b"\x1b").data == b"\x1b"


def test_a_megabyte_paste_is_cut_and_its_end_kept():
    limiter = InputLimiter(paste_max=4096, clock=Clock())
    body = "é".encode() * 500_000
    chunks = [PASTE_START + body[:30_000]] + [
        body[i:i + 32_768] for i in range(30_000, len(body), 32_768)] + [PASTE_END + b"q"]
    passed = b"".join(limiter.feed(c).data for c in chunks)
    assert passed.startswith(PASTE_START) and passed.endswith(PASTE_END + b"q")
    pasted = passed[len(PASTE_START):-len(PASTE_END) - 1]
    assert len(pasted) <= 4096 and pasted.decode() == "é" * (len(pasted) // 2)
    assert not limiter.in_paste


def test_a_paste_end_split_across_chunks_is_found():
    limiter = InputLimiter(clock=Clock())
    out = limiter.feed(PASTE_START + b"hello\x1b[20").data + limiter.feed(b"1~z").data
    assert out == PASTE_START + b"hello" + PASTE_END + b"z"


def test_random_bytes_cost_a_bounded_amount():
    limiter = InputLimiter(burst=100, per_second=40, clock=Clock())
    data = os.urandom(1 << 20)
    passed = b"".join(limiter.feed(data[i:i + 32_768]).data
                      for i in range(0, len(data), 32_768))
    assert len(passed) <= 100 * 16 + 4096 + 64
