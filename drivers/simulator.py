"""A simulated site: believable door traffic through the same interface as hardware.

`SimulatorDriver` is given a `SimulatorPlan`, plain data the gateway builds from
its snapshot. Once started it reports what a lively estate does: visitors calling
residents down their call chains, fobs and radio transmitters (mostly known,
sometimes unknown, lost or in stock), keypad codes right and wrong, service
providers in working hours, now and then an alarm, devices dropping offline and
coming back. It decides nothing: the gateway's engine answers every request.
Events are drawn on a virtual timeline (exponential gaps at `rate` a second from
a seeded generator) paced by the loop's clock, so a seed gives one sequence
however busy the machine. `rate` counts draws, and some make no event (a service
provider's visit to a site with none, a device offline: one in ten on bench_scale's
sites); with `count_events` a draw that made none is drawn again at the same instant,
so `rate` is the events a second (what a load test offers). `present`, `enter_code`, `dial`, `call`, `set_offline`,
`set_online` and `raise_status` report one chosen event at once (while started;
before, they only return it). A call that opened names the panel's main door.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
import random
from collections import deque
from collections.abc import Callable, Container, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from core.devices import (
    AccessRequest,
    CallOutcome,
    CallReport,
    Command,
    Credential,
    DeviceEvent,
    Driver,
    OpenDoor,
    Status,
    StatusReport,
)
from core.model import DeviceType

log = logging.getLogger(__name__)
E = TypeVar("E", AccessRequest, CallReport, StatusReport)

MIX = {"call": 27, "pass": 45, "code": 18, "provider": 6, "alarm": 3, "offline": 1}  # weights
OFF_HOURS_PROVIDER = 0.3  # providers' weight outside working hours
ALARMS = (Status.DOOR_FORCED, Status.DOOR_HELD_OPEN, Status.TAMPER, Status.POWER_FAILURE)
ALARM_WEIGHTS = (15, 40, 5, 3)
DOOR_ALARMS = (Status.DOOR_FORCED, Status.DOOR_HELD_OPEN)
ANSWER_CHANCE = 0.55  # for each number of a call chain
LAG_LIMIT = 5.0  # seconds behind (a suspended machine): skip ahead rather than burst
#: count_events: draws in a row that made no event before the gap is taken all the same
#: (a plan where almost nothing can happen must not spin the loop)
EMPTY_DRAWS = 20


@dataclass(frozen=True)
class SimDevice:
    """A simulated device and the doors it opens (relay -> door id)."""

    id: int
    site_id: int
    type: DeviceType
    doors: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SimPass:
    """An APass number, shown as a fob or radio transmitter, at its holder's usual devices."""

    number: str
    credential: Credential = Credential.APASS  # APASS or RADIO
    device_ids: tuple[int, ...] = ()  # () = any device with a door


@dataclass(frozen=True)
class SimEntry:
    """A keypad code or a provider's mobile, and the devices it is used at."""

    value: str
    device_ids: tuple[int, ...] = ()  # () = any device with a door


@dataclass(frozen=True)
class SimDisplay:
    """A panel display: its call code, the numbers it rings in turn, where it is called from."""

    call_code: str
    telephones: tuple[str, ...]
    device_ids: tuple[int, ...] = ()  # () = any panel


@dataclass(frozen=True)
class SimulatorPlan:
    """Everything the simulator knows about its site(s)."""

    devices: tuple[SimDevice, ...]
    apasses: tuple[SimPass, ...] = ()  # residents' assigned passes
    lost: tuple[SimPass, ...] = ()
    stock: tuple[SimPass, ...] = ()
    flat_codes: tuple[SimEntry, ...] = ()
    displays: tuple[SimDisplay, ...] = ()
    provider_mobiles: tuple[SimEntry, ...] = ()
    provider_passes: tuple[SimPass, ...] = ()
    provider_codes: tuple[SimEntry, ...] = ()
    timezone: str = "UTC"  # of the working hours
    working_hours: tuple[int, int] = (7, 19)  # providers' local hours [start, end)


class SimulatorDriver(Driver):
    """A driver whose devices are simulated from a plan."""

    name = "simulator"

    def __init__(self, plan: SimulatorPlan, rate: float = 0.5, seed: int | None = None,
                 clock: Callable[[], datetime] | None = None, *,
                 offline_seconds: tuple[float, float] = (5.0, 60.0),
                 held_open_chance: float = 0.02, held_open_seconds: float = 30.0,
                 count_events: bool = False) -> None:
        self.plan, self.rate, self.clock = plan, rate, clock or (lambda: datetime.now(UTC))
        self.count_events = count_events  # `rate` counts events, not draws (see above)
        self.emitted = 0  # events reported (random and injected)
        self._empty = 0  # draws in a row that made no event
        self.rng = random.Random(seed)
        self._command_rng = random.Random(None if seed is None else f"{seed}/commands")
        self.offline_seconds = offline_seconds
        self.held_open_chance, self.held_open_seconds = held_open_chance, held_open_seconds
        self.commands: deque[Command] = deque(maxlen=1000)
        self.devices = {d.id: d for d in plan.devices}
        self.offline: set[int] = set()
        self._zone = ZoneInfo(plan.timezone)
        passes = (*plan.apasses, *plan.lost, *plan.stock, *plan.provider_passes)
        self._pass_credential = {p.number: p.credential for p in passes}
        self._codes = {e.value for e in (*plan.flat_codes, *plan.provider_codes)}
        self._keypads = tuple(sorted({i for e in plan.flat_codes for i in e.device_ids}))
        self._report: Callable[[DeviceEvent], None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._wake = asyncio.Event()
        self._pending: list[tuple[float, int, Callable[[], object]]] = []  # (due, seq, fire)
        self._seq, self._t0, self._next = 0, 0.0, math.inf

    # --- the Driver interface ------------------------------------------------------------
    async def start(self, report: Callable[[DeviceEvent], None]) -> None:
        """Start reporting random traffic (and injected events) to `report`."""
        if self._task is not None:
            return
        self._report, self._stopping, self._wake = report, False, asyncio.Event()
        self._t0 = asyncio.get_running_loop().time()
        self._next = self._gap(0.0)
        self._task = asyncio.create_task(self._run(), name="simulator")

    async def stop(self) -> None:
        """Stop at once; nothing is reported afterwards."""
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)

    def handles(self, device_id: int) -> bool:
        """True for the plan's devices."""
        return device_id in self.devices

    def command(self, command: Command) -> None:
        """Record a command for one of our devices; an opened door is now and then held open."""
        if not self.handles(command.device_id):
            return
        self.commands.append(command)
        if isinstance(command, OpenDoor) and self._command_rng.random() < self.held_open_chance:
            self._schedule(self._now() + command.seconds + self.held_open_seconds,
                           lambda: self.raise_status(command.device_id, Status.DOOR_HELD_OPEN,
                                                     command.door_id))

    def set_rate(self, rate: float) -> None:
        """Change the rate (random events a second; 0 = only injected ones)."""
        self.rate = rate
        self._next = self._gap(self._now())
        self._wake.set()

    # --- injecting one event ---------------------------------------------------------------
    def present(self, number: str, device_id: int,
                credential: Credential | None = None) -> AccessRequest:
        """Present an APass at a device's main door (radio if the plan or `credential` says)."""
        device = self._device(device_id)
        credential = credential or self._pass_credential.get(number, Credential.APASS)
        return self._emit(AccessRequest(device.id, self._main_door(device), credential, number,
                                        self.clock()))

    def enter_code(self, code: str, device_id: int) -> AccessRequest:
        """Type a code on a device's keypad."""
        device = self._device(device_id)
        return self._emit(AccessRequest(device.id, None, Credential.CODE, code, self.clock()))

    def dial(self, mobile: str, device_id: int) -> AccessRequest:
        """Dial a device to open its main door; the caller's number is the credential."""
        device = self._device(device_id)
        return self._emit(AccessRequest(device.id, self._main_door(device), Credential.TELEPHONE,
                                        mobile, self.clock()))

    def call(self, device_id: int, call_code: str, outcome: CallOutcome,
             telephone: str | None = None) -> CallReport:
        """A visitor calls a display: the first number answers, or the last rings out (default)."""
        device = self._device(device_id)
        if telephone is None:
            chain = next((d.telephones for d in self.plan.displays
                          if d.call_code.upper() == call_code.upper()
                          and (not d.device_ids or device.id in d.device_ids)), ())
            last = outcome is CallOutcome.NOT_ANSWERED
            telephone = (chain[-1] if last else chain[0]) if chain else ""
        door = self._main_door(device) if outcome is CallOutcome.OPENED else None
        return self._emit(CallReport(device.id, door, call_code, outcome, telephone,
                                     self.clock()))

    def raise_status(self, device_id: int, status: Status, door_id: int | None = None,
                     detail: str = "") -> StatusReport:
        """Report a device condition (a door alarm names the main door unless told)."""
        device = self._device(device_id)
        if status is Status.OFFLINE:
            self.offline.add(device.id)
        elif status is Status.ONLINE:
            self.offline.discard(device.id)
        elif status in DOOR_ALARMS and door_id is None:
            door_id = self._main_door(device)
        return self._emit(StatusReport(device.id, status, self.clock(), door_id, detail))

    def set_offline(self, device_id: int) -> StatusReport:
        """Take a device offline: it reports OFFLINE and goes quiet."""
        return self.raise_status(device_id, Status.OFFLINE)

    def set_online(self, device_id: int) -> StatusReport:
        """Bring a device back online."""
        return self.raise_status(device_id, Status.ONLINE)

    # --- the background task ---------------------------------------------------------------
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            due = min(self._next, self._pending[0][0] if self._pending else math.inf)
            wait = due - (loop.time() - self._t0)
            if wait > 0:
                self._wake.clear()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), None if math.isinf(wait) else wait)
                continue
            if wait < -LAG_LIMIT:
                self._t0 -= wait  # carry on from here: same sequence, no burst
            try:
                if self._pending and self._pending[0][0] <= self._next:
                    heapq.heappop(self._pending)[2]()
                else:
                    at, self._next = self._next, self._gap(self._next)
                    before = self.emitted
                    self._random_event(at)
                    self._redraw(at, made=self.emitted > before)
            except Exception:
                log.exception("simulator: could not make an event")
            await asyncio.sleep(0)

    def _redraw(self, at: float, made: bool) -> None:
        """count_events: a draw that made no event is drawn again at the same instant."""
        if made or not self.count_events or self._empty >= EMPTY_DRAWS:
            self._empty = 0
        else:
            self._next, self._empty = at, self._empty + 1

    def _now(self) -> float:
        return asyncio.get_running_loop().time() - self._t0 if self._task else 0.0

    def _gap(self, after: float) -> float:
        return after + self.rng.expovariate(self.rate) if self.rate > 0 else math.inf

    def _schedule(self, due: float, fire: Callable[[], object]) -> None:
        self._seq += 1
        heapq.heappush(self._pending, (due, self._seq, fire))
        self._wake.set()

    def _emit(self, event: E) -> E:
        if self._report is not None and not self._stopping:
            self.emitted += 1
            try:
                self._report(event)
            except Exception:
                log.exception("simulator: the report callback failed on %r", event)
        return event

    def _device(self, device_id: int) -> SimDevice:
        if device_id not in self.devices:
            raise ValueError(f"device {device_id} is not simulated here")
        return self.devices[device_id]

    @staticmethod
    def _main_door(device: SimDevice) -> int | None:
        return device.doors[min(device.doors)] if device.doors else None

    def _where(self, device_ids: Sequence[int], need_door: bool = True) -> int | None:
        ids = [i for i in (device_ids or self.devices) if i in self.devices
               and i not in self.offline and (self.devices[i].doors or not need_door)]
        return self.rng.choice(ids) if ids else None

    def _unknown(self, taken: Container[str], digits: int) -> str:
        while (value := f"{self.rng.randrange(10 ** digits):0{digits}d}") in taken:
            pass
        return value

    # --- what a lively estate does -----------------------------------------------------------
    def _random_event(self, at: float) -> None:
        start, end = self.plan.working_hours
        weights: dict[str, float] = dict(MIX)
        if not start <= self.clock().astimezone(self._zone).hour < end:
            weights["provider"] = OFF_HOURS_PROVIDER
        getattr(self, f"_random_{self.rng.choices(list(weights), list(weights.values()))[0]}")(at)

    def _random_call(self, at: float) -> None:
        if not self.plan.displays:
            return
        display = self.rng.choice(self.plan.displays)
        panels = display.device_ids or [d.id for d in self.plan.devices if d.type.is_panel]
        if (device_id := self._where(panels, need_door=False)) is None:
            return
        chain = display.telephones
        answered = next((i for i in range(len(chain)) if self.rng.random() < ANSWER_CHANCE), None)
        if answered is None:
            self.call(device_id, display.call_code, CallOutcome.NOT_ANSWERED,
                      chain[-1] if chain else "")
        else:
            outcome = CallOutcome.OPENED if self.rng.random() < 0.85 else CallOutcome.DENIED
            self.call(device_id, display.call_code, outcome, chain[answered])

    def _random_pass(self, at: float) -> None:
        roll, plan = self.rng.random(), self.plan
        group = (plan.apasses if roll < 0.84 else plan.lost if roll < 0.9
                 else plan.stock if roll < 0.95 else ())  # else an unknown pass
        if group:
            chosen = self.rng.choice(group)
            number, credential, ids = chosen.number, chosen.credential, chosen.device_ids
        else:
            number = self._unknown(self._pass_credential, 10)
            credential = self.rng.choice((Credential.APASS,) * 3 + (Credential.RADIO,))
            ids = ()
        if (device_id := self._where(ids)) is not None:
            self.present(number, device_id, credential)

    def _random_code(self, at: float) -> None:
        if self.plan.flat_codes and self.rng.random() < 0.8:
            entry = self.rng.choice(self.plan.flat_codes)
            code, device_id = entry.value, self._where(entry.device_ids)
        else:
            code = self._unknown(self._codes, self.rng.choice((4, 5, 6)))
            device_id = self._where(self._keypads)
        if device_id is not None:
            self.enter_code(code, device_id)

    def _random_provider(self, at: float) -> None:
        plan = self.plan
        # a pass is presented (None); a code is typed; a mobile dials
        every: list[tuple[Sequence[SimPass | SimEntry], Callable[[str, int], object] | None]] = [
            (plan.provider_passes, None), (plan.provider_codes, self.enter_code),
            (plan.provider_mobiles, self.dial)]
        ways = [w for w in every if w[0]]
        if ways:
            choices, act = self.rng.choice(ways)
            chosen = self.rng.choice(choices)
            if (device_id := self._where(chosen.device_ids)) is None:
                return
            if isinstance(chosen, SimPass):
                self.present(chosen.number, device_id, chosen.credential)
            elif act is not None:
                act(chosen.value, device_id)

    def _random_alarm(self, at: float) -> None:
        status = self.rng.choices(ALARMS, ALARM_WEIGHTS)[0]
        if (device_id := self._where((), need_door=status in DOOR_ALARMS)) is None:
            return
        doors = self.devices[device_id].doors
        door_id = doors[self.rng.choice(sorted(doors))] if status in DOOR_ALARMS else None
        self.raise_status(device_id, status, door_id)

    def _random_offline(self, at: float) -> None:
        if len(self.offline) >= max(1, len(self.devices) // 4):  # a site is rarely all down
            return
        if (device_id := self._where((), need_door=False)) is None:
            return
        self.set_offline(device_id)

        def back() -> None:
            if device_id in self.offline:
                self.set_online(device_id)

        self._schedule(at + self.rng.uniform(*self.offline_seconds), back)
