"""`doorkeeper serve`'s watchdog: a process that is alive but stuck is found and named.

A pid that exists says nothing of a loop held by a runaway call. So:

- each SSH worker writes a byte to a pipe from its event loop every HEARTBEAT_S
  (`beat`); the supervisor reads the pipes (`Heartbeat`) and a worker silent for more
  than `stuck_after` seconds is stuck;
- the gateway is asked `hello` on its bus every PROBE_S (`Watchdog.probe_gateway`, no
  change to the gateway: its loop answers or it does not); one that has not answered
  for more than `stuck_after` seconds is stuck.

The supervisor (console.headless.supervisor) kills a stuck process, logs why and starts
it again, and tells the gateway (`report`, sent by `send_reports` once a gateway
answers), which records a "Process stuck" alarm on every site: sessions were cut off,
or the gateway was away, and what held the loop is for a person to find (the serve
log has the stack). Its log lines go to the serve log too (`serve_log`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time

from console.headless.bus.connect import connect as connect_bus
from console.headless.children import gateway_answers
from core.bus import BusClosed, Kind
from core.errors import DoorkeeperError
from core.rules import NOTES_MAX
from core.text import PlainFormatter

log = logging.getLogger(__name__)

#: how often a worker's loop beats
HEARTBEAT_S = 0.5
#: how often the gateway is asked hello, and how long it has to answer
PROBE_S = 2.0
#: a (re)started gateway that has not answered yet is starting, not stuck, for this long
START_GRACE_S = 30.0


async def beat(fd: int, interval: float = HEARTBEAT_S) -> None:
    """In a worker: write a byte to the heartbeat pipe every `interval`, from the loop
    (a held loop beats no more). A full pipe is skipped; a closed one ends the beats."""
    os.set_blocking(fd, False)
    try:
        while True:
            try:
                os.write(fd, b".")
            except BlockingIOError:
                pass  # the supervisor is behind: it has enough beats to read
            except OSError:
                return  # the supervisor is gone (the lifeline stops this process)
            await asyncio.sleep(interval)
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)


class Heartbeat:
    """The supervisor's end of one worker's heartbeat pipe: when it last beat."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.last = time.monotonic()
        os.set_blocking(fd, False)
        asyncio.get_running_loop().add_reader(fd, self._read)

    def _read(self) -> None:
        try:
            data = os.read(self.fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            self.last = time.monotonic()
        else:  # the worker closed its end (it exited): no more to read
            asyncio.get_running_loop().remove_reader(self.fd)

    def silent_for(self) -> float:
        return time.monotonic() - self.last

    def close(self) -> None:
        with contextlib.suppress(Exception):
            asyncio.get_running_loop().remove_reader(self.fd)
        with contextlib.suppress(OSError):
            os.close(self.fd)


class Watchdog:
    """The heartbeats of the workers (by number) and the gateway's last answer."""

    def __init__(self, stuck_after: float, bus: str) -> None:
        self.stuck_after = stuck_after
        self.bus = bus
        self.beats: dict[int, Heartbeat] = {}
        self.gateway_answered = time.monotonic()
        self.gateway_up = False  # it has answered since it (re)started
        self._probe: asyncio.Task[None] | None = None
        self.reports: list[str] = []  # what the gateway has yet to raise as alarms

    # --- workers -----------------------------------------------------------------------
    def pipe(self, number: int) -> int:
        """A new heartbeat pipe for worker `number`; the end the worker writes to."""
        old = self.beats.pop(number, None)
        if old is not None:
            old.close()
        read_fd, write_fd = os.pipe()
        self.beats[number] = Heartbeat(read_fd)
        return write_fd

    def worker_started(self, number: int) -> None:
        """Worker `number` listens: its silence counts from now (not from its start)."""
        heartbeat = self.beats.get(number)
        if heartbeat is not None:
            heartbeat.last = time.monotonic()

    def worker_silence(self, number: int) -> float | None:
        """Seconds worker `number` has been silent, if past `stuck_after`, else None."""
        heartbeat = self.beats.get(number)
        silent = heartbeat.silent_for() if heartbeat is not None else 0.0
        return silent if silent > self.stuck_after else None

    # --- the gateway -------------------------------------------------------------------
    def gateway_started(self) -> None:
        """A gateway was (re)started: its silence counts from now; start the probe."""
        self.gateway_answered = time.monotonic()
        self.gateway_up = False
        if self._probe is None or self._probe.done():
            self._probe = asyncio.get_running_loop().create_task(self.probe_gateway())

    async def probe_gateway(self) -> None:
        """Ask the gateway hello every PROBE_S; note when it last answered."""
        while True:
            started = time.monotonic()
            with contextlib.suppress(DoorkeeperError, OSError, TimeoutError):
                async with asyncio.timeout(PROBE_S):
                    await gateway_answers(self.bus)
                self.gateway_answered = time.monotonic()
                self.gateway_up = True
            await asyncio.sleep(max(0.0, PROBE_S - (time.monotonic() - started)))

    def gateway_silence(self) -> float | None:
        """Seconds since the gateway last answered, if past `stuck_after`, else None. A
        gateway that has not answered yet since it started is starting (opening and
        checking the store, loading its snapshot), which on a loaded machine can outlast
        `stuck_after`: it has START_GRACE_S (or `stuck_after`, if longer) to answer."""
        silent = time.monotonic() - self.gateway_answered
        limit = self.stuck_after if self.gateway_up else max(self.stuck_after, START_GRACE_S)
        return silent if silent > limit else None

    # --- alarms -------------------------------------------------------------------------
    def report(self, what: str) -> None:
        """A stuck process was restarted: an alarm to raise once a gateway answers."""
        self.reports.append(what[:NOTES_MAX])

    async def send_reports(self) -> None:
        """Hand the gateway what it has yet to raise; keep what it did not take."""
        if not self.reports:
            return
        try:
            client = await connect_bus(self.bus)
        except (DoorkeeperError, OSError):
            return
        try:
            while self.reports:
                answer = await client.request({"type": Kind.STUCK, "what": self.reports[0]},
                                              timeout=PROBE_S)
                if not answer.get("ok"):
                    log.error("the gateway did not raise the alarm %r: %s", self.reports[0],
                              answer.get("error"))
                self.reports.pop(0)
        except (TimeoutError, BusClosed, OSError):
            pass  # the next pass tries again
        finally:
            await client.close()

    def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
        for heartbeat in self.beats.values():
            heartbeat.close()
        self.beats.clear()


def serve_log(path: str) -> logging.Handler:
    """Add a handler that writes this process's log lines to the serve log (the workers
    append to the same file, in the same form); return it, to remove it when serve stops.
    The supervisor's lines hold numbers and its own words, nothing a client sent."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(PlainFormatter(
        f"%(asctime)s %(levelname)s supervisor {os.getpid()} %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    logging.getLogger().addHandler(handler)
    logging.getLogger("console.headless").setLevel(logging.INFO)
    return handler
