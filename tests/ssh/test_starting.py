"""A worker starts a few consoles at a time (console.ssh.starting): a start holds its
slot until its process says `ready`, ends, or START_HOLD has gone."""

from __future__ import annotations

import asyncio
import socket

from console.ssh import starting
from console.ssh.starting import ConsoleStart


async def started(slots: asyncio.Semaphore, who: str) -> tuple[ConsoleStart, socket.socket]:
    """A start that has its slot and is forked: the process's end of its control socket."""
    start = ConsoleStart(slots, who)
    await start.acquire()
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    mine.setblocking(False)
    start.watch(mine)
    return start, theirs


async def waiting(slots: asyncio.Semaphore) -> asyncio.Task:
    """A third start, waiting for a slot."""
    task = asyncio.get_running_loop().create_task(ConsoleStart(slots, "third").acquire())
    await asyncio.sleep(0.05)
    return task


async def test_a_start_waits_until_one_of_those_before_it_is_up():
    slots = asyncio.Semaphore(2)
    first, first_end = await started(slots, "first")
    second, _ = await started(slots, "second")
    third = await waiting(slots)
    assert not third.done()  # two are starting: the third waits
    first_end.send(b"ready")
    await asyncio.wait_for(third, 5)
    assert first.ready.is_set() and not second.ready.is_set()


async def test_a_process_that_ends_or_closes_its_socket_gives_its_slot_back():
    slots = asyncio.Semaphore(1)
    first, first_end = await started(slots, "first")
    third = await waiting(slots)
    first_end.close()  # the process died before its first frame
    await asyncio.wait_for(third, 5)
    assert first.ready.is_set()
    slots = asyncio.Semaphore(1)
    second, _ = await started(slots, "second")
    third = await waiting(slots)
    second.over()  # the session closed (or the worker saw the exit) first
    await asyncio.wait_for(third, 5)
    second.over()  # twice gives back nothing more
    assert slots.locked()


async def test_a_console_that_never_says_ready_holds_its_slot_start_hold_only(monkeypatch):
    monkeypatch.setattr(starting, "START_HOLD", 0.2)
    slots = asyncio.Semaphore(1)
    await started(slots, "silent")
    third = await waiting(slots)
    await asyncio.wait_for(third, 5)  # after 0.2 s, not never
