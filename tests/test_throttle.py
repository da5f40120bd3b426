"""The SSH workers' throttle: a token bucket per address, shared over a socket pair."""

from __future__ import annotations

import asyncio
import socket

from console.headless.throttle import SharedBucket, TokenBucket, serve_bucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_empties_and_refills_per_address() -> None:
    clock = Clock()
    bucket = TokenBucket(2, per_minute=60, clock=clock)
    assert bucket.take("a") and bucket.take("a")
    assert not bucket.has("a") and not bucket.take("a")
    assert bucket.take("b")  # another address has its own
    clock.now = 1.0  # one token a second
    assert bucket.has("a") and bucket.take("a") and not bucket.take("a")


async def test_workers_share_the_supervisors_bucket_and_fall_back_to_their_own() -> None:
    shared = TokenBucket(2, per_minute=0)
    ends = [socket.socketpair() for _ in range(2)]
    served = [asyncio.create_task(serve_bucket(shared, ours)) for ours, _ in ends]
    workers = [SharedBucket(TokenBucket(10, 0), theirs.detach()) for _, theirs in ends]
    # two workers, one budget: the second worker finds the address's bucket empty
    assert await workers[0].take("10.0.0.1")
    assert await workers[1].take("10.0.0.1")
    assert not await workers[0].has("10.0.0.1")
    assert not await workers[1].take("10.0.0.1")
    for task in served:
        task.cancel()
    await asyncio.gather(*served, return_exceptions=True)
    for ours, _ in ends:
        ours.close()
    # the supervisor is gone: each worker throttles locally with its own bucket
    assert await workers[0].take("10.0.0.1") and workers[0].fd == -1
    assert await workers[1].has("10.0.0.1")


def test_a_token_given_back_never_lifts_the_bucket_above_its_burst() -> None:
    bucket = TokenBucket(2, per_minute=0)
    assert bucket.take("a")
    bucket.give("a")  # the attempt succeeded
    assert bucket.take("a") and bucket.take("a") and not bucket.take("a")
    bucket.give("a")
    bucket.give("a")
    bucket.give("a")
    assert bucket.take("a") and bucket.take("a") and not bucket.has("a")


async def test_give_travels_over_the_shared_socket() -> None:
    shared = TokenBucket(1, per_minute=0)
    ours, theirs = socket.socketpair()
    served = asyncio.create_task(serve_bucket(shared, ours))
    worker = SharedBucket(TokenBucket(10, 0), theirs.detach())
    assert await worker.take("10.0.0.2") and not await worker.has("10.0.0.2")
    await worker.give("10.0.0.2")
    assert await worker.has("10.0.0.2")
    served.cancel()
    await asyncio.gather(served, return_exceptions=True)
    ours.close()
