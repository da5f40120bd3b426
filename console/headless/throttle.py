"""The SSH workers' throttle: one token bucket per client address, held by the `serve`
supervisor and asked by every worker over a socket pair, so a client gets the same
budget whichever worker the kernel hands its connection to.

The bucket is for failures and for connections that never log in: a connection is
let in while its address has a token (nothing is taken), each failed attempt and each
connection that ends without logging in takes one, and a password attempt takes one
before it is checked and gives it back when it succeeds. So fifty concierges behind one
address logging in by key at once all get in, while guessing from it is held to the
bucket's rate.

The protocol on the pair is one line each way: the worker writes ``take ADDR``,
``has ADDR`` or ``give ADDR``; the supervisor answers ``1`` (yes) or ``0`` (no).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class TokenBucket:
    """Per client address: `burst` tokens, refilled at `per_minute`; each failure (a
    failed attempt, a connection that never logged in) takes one."""

    def __init__(self, burst: float, per_minute: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = burst
        self.rate = per_minute / 60
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, at)

    def _level(self, address: str) -> float:
        tokens, at = self._buckets.get(address, (self.burst, self.clock()))
        return min(self.burst, tokens + (self.clock() - at) * self.rate)

    def has(self, address: str) -> bool:
        """Whether this address has a token left (nothing is taken)."""
        return self._level(address) >= 1

    def take(self, address: str) -> bool:
        """Take a token; False when the bucket was empty."""
        level = self._level(address)
        ok = level >= 1
        self._buckets[address] = (level - 1 if ok else level, self.clock())
        if len(self._buckets) > 10_000:
            self._prune()
        return ok

    def give(self, address: str) -> bool:
        """Give back a token taken for an attempt that succeeded (never above `burst`)."""
        level = self._level(address)
        self._buckets[address] = (min(self.burst, level + 1), self.clock())
        return True

    def answer(self, verb: str, address: str) -> bool:
        """The answer to one of the protocol's verbs."""
        if verb == "take":
            return self.take(address)
        if verb == "give":
            return self.give(address)
        return self.has(address)

    def _prune(self) -> None:
        for address in [a for a in self._buckets if self._level(a) >= self.burst]:
            del self._buckets[address]


class SharedBucket:
    """The supervisor's TokenBucket, asked over a socket the supervisor handed this worker
    (all workers share one bucket per address, whichever worker the kernel picks for a
    connection). Without that socket, or if it fails, a local bucket answers."""

    def __init__(self, local: TokenBucket, fd: int = -1) -> None:
        self.local = local
        self.fd = fd
        self._stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._lock = asyncio.Lock()

    async def _ask(self, verb: str, address: str) -> bool:
        if self.fd >= 0:
            try:
                async with self._lock, asyncio.timeout(1.0):
                    if self._stream is None:
                        sock = socket.socket(fileno=self.fd)
                        self._stream = await asyncio.open_unix_connection(sock=sock)
                    reader, writer = self._stream
                    writer.write(f"{verb} {address}\n".encode())
                    answer = await reader.readline()
                    if not answer:  # the supervisor closed its end
                        raise ConnectionError("the supervisor's throttle closed")
                    return answer.strip() == b"1"
            except (OSError, TimeoutError, ValueError) as err:
                log.warning("the shared throttle did not answer (%s); throttling locally", err)
                self.fd = -1
        return self.local.answer(verb, address)

    async def take(self, address: str) -> bool:
        """Take a token for this address; False when its bucket is empty."""
        return await self._ask("take", address)

    async def has(self, address: str) -> bool:
        """Whether this address has a token left."""
        return await self._ask("has", address)

    async def give(self, address: str) -> None:
        """Give back the token an attempt took, now that it succeeded."""
        await self._ask("give", address)


async def serve_bucket(bucket: TokenBucket, sock: socket.socket) -> None:
    """The supervisor's side: answer one worker's `take` / `has` / `give ADDR` lines."""
    reader, writer = await asyncio.open_unix_connection(sock=sock)
    try:
        while line := await reader.readline():
            verb, _, address = line.decode("utf-8", "replace").strip().partition(" ")
            ok = bucket.answer(verb, address)
            writer.write(b"1\n" if ok else b"0\n")
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()
