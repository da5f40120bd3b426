"""A console's start: how many start at once, and when one is up.

Fifty operators logging in at once (a shift at 8:00) used to start fifty consoles
together: each one's first frame then shared the cores fifty ways, and took about four
times the CPU it takes alone (probably cache misses, switching, and the intermediate
frames Textual draws while a slow screen mounts), so the last were on screen after
23 s. A worker starts at most `STARTS_AT_ONCE` consoles at a time instead: each holds
its slot from just before the fork (the operator's rights are read before it) until
its process says `ready` on its control socket (its first screen mounted, its first
read done and drawn: console.ssh.session_process), or the process ends, or START_HOLD
seconds have gone. The others wait their turn in the worker, which costs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time

log = logging.getLogger(__name__)

#: consoles one worker starts at once (by default a worker per core: two per core, so
#: that one's fork and first read overlap another's drawing)
STARTS_AT_ONCE = 2
#: the longest a starting console holds its slot
START_HOLD = 2.0


class ConsoleStart:
    """One console's start (its session's control socket carries `ready`)."""

    def __init__(self, slots: asyncio.Semaphore | None, who: str) -> None:
        self.slots = slots
        self.who = who
        self.began = time.monotonic()
        self.ready = asyncio.Event()  # the first full frame is drawn, or the process ended
        self._holding = False
        self._control: socket.socket | None = None

    async def acquire(self) -> None:
        """Wait for a slot (before the fork)."""
        if self.slots is not None:
            await self.slots.acquire()
            self._holding = True

    def watch(self, control: socket.socket) -> None:
        """The process is forked: listen for its word, hold the slot until it comes."""
        self._control = control
        loop = asyncio.get_running_loop()
        loop.add_reader(control, self._from_control)
        loop.create_task(self._hold())

    def over(self) -> None:
        """The process ended, or the session closed: nothing more to wait for."""
        if self._control is not None:
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(self._control)
            self._control = None
        self.ready.set()
        self.release()

    def release(self) -> None:
        if self._holding and self.slots is not None:
            self._holding = False
            self.slots.release()

    async def _hold(self) -> None:
        try:
            await asyncio.wait_for(self.ready.wait(), START_HOLD)
        except TimeoutError:
            log.info("%s: the console is not up after %.1f s; the next one starts", self.who,
                     START_HOLD)
        finally:
            self.release()

    def _from_control(self) -> None:
        try:
            data = self._control.recv(64) if self._control is not None else b""
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data == b"ready":
            log.info("%s: the console is up in %.2f s", self.who, time.monotonic() - self.began)
            self.ready.set()
        elif not data:  # the process's end is closed
            self.over()
