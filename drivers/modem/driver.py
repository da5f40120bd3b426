"""The GSM modem driver: dial-to-open, incoming SMS and the modem's health.

One task per modem. Start-up (again after every reboot, which loses the
settings): `AT`, `ATE0`, `AT+CMEE=2`, the SIM PIN if the SIM asks, `AT+CLIP=1`,
`AT+CMGF=1`, `AT+CNMI=2,1`, `AT+CREG=1`, then the messages already on the SIM
(a full SIM is emptied). Then every `poll_interval` the health: `AT+CREG?`,
`AT+CSQ`, `AT+COPS?`, and `AT+CLIP?` (0 means the modem restarted without
saying so: start-up again).

A call (RING then +CLIP, as URCs, whenever they come) becomes an AccessRequest
at once, from the URC handler, so the decision and the relay command never wait
for the port; the call is then rejected without being answered (`ATH`, free
for the caller) ahead of any health poll. +CMTI: the message is read
(`AT+CMGR`), reported (sender and text; the runtime cleans it to plain text),
and deleted (`AT+CMGD`). A modem that has not answered for `offline_after`
seconds is reported offline (an alarm) and tried with back-off until it
answers, then started up again; so is one that talks without ever completing
a command, or refuses every command (ERROR to everything; a refusal waits
`backoff[0]` before the next command, never a busy loop). One whose SIM is
locked or refused is reported offline with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from core.devices import (
    AccessRequest,
    Command,
    Credential,
    DeviceEvent,
    Driver,
    MessageReport,
    Status,
    StatusReport,
)
from drivers.modem import codec
from drivers.modem.channel import ModemPort, ModemPortError, ModemTimeout
from drivers.modem.codec import ModemError, Urc

log = logging.getLogger(__name__)
POLL_INTERVAL = 2.0  # seconds between two health polls (also how often silence is noticed)
COMMAND_TIMEOUT = 1.0
SMS_TIMEOUT = 30.0  # AT+CMGS: the prompt, then the network's answer, can take seconds
OFFLINE_AFTER = 3.0  # seconds without a line: offline (noticed within 5 s)
BACKOFF = (0.5, 8.0)
READ_TRIES = 3  # AT+CMGR refused this often: the message is unreadable (reported, deleted)
START_UP = ("ATE0", "AT+CMEE=2", "AT+CLIP=1", "AT+CMGF=1", "AT+CNMI=2,1", "AT+CREG=1")


class Telemetry(Protocol):
    """Where the counters and what the modem says go (the gateway's runtime)."""

    def set_counter(self, device_id: int, counter: str, value: int) -> None: ...

    def describe(self, device_id: int, info: dict[str, str]) -> None: ...


@dataclass(frozen=True)
class ModemConfig:
    """One [[modem]] section, resolved: the port, the device it is, its SIM's PIN."""

    port: str
    device_id: int
    baud: int = 115200
    pin: str = ""


@dataclass
class ModemState:
    """What the driver knows of its modem."""

    online: bool = False
    registration: int | None = None
    rssi: int | None = None
    operator: str = ""
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("calls", "SMS received", "timeouts", "errors", "start-ups"), 0))
    info: dict[str, str] = field(default_factory=dict)


class ModemDriver(Driver):
    """A GSM modem on one serial port."""

    name = "modem"

    def __init__(self, config: ModemConfig, *, telemetry: Telemetry | None = None,
                 poll_interval: float = POLL_INTERVAL, offline_after: float = OFFLINE_AFTER,
                 command_timeout: float = COMMAND_TIMEOUT,
                 backoff: tuple[float, float] = BACKOFF,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.config = config
        self.port = ModemPort(config.port, config.baud, self._on_urc)
        self.telemetry = telemetry
        self.poll_interval, self.offline_after = poll_interval, offline_after
        self.command_timeout, self.backoff = command_timeout, backoff
        self.clock = clock or (lambda: datetime.now(UTC))
        self.state = ModemState()
        self._report: Callable[[DeviceEvent], None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._unread: list[int] = []  # SIM indexes announced by +CMTI
        self._read_failures: dict[int, int] = {}  # SIM index -> AT+CMGR refused so often
        self._parked: list[int] = []  # refused once: read again after the next health poll
        self._hangups = 0  # calls to reject
        self._restart = False  # the modem rebooted: start up again
        self._ringing = False
        self._in_call = False  # decided, not yet rejected: a second RING is the same call
        self._offline_why: str | None = None  # what was last reported offline
        self._last_ok = 0.0  # time.monotonic() of the last command that succeeded

    # --- the Driver interface --------------------------------------------------------
    async def start(self, report: Callable[[DeviceEvent], None]) -> None:
        """Open the port and start talking (a port that cannot open is retried)."""
        if self._task is not None:
            return
        self._report = report
        self._wake = asyncio.Event()
        self.state.online = False  # started (or restarted by the supervisor): start up first
        # an absent (or broken) modem: offline offline_after on
        self.port.last_heard = self._last_ok = time.monotonic()
        self._task = asyncio.create_task(self._run(), name=f"modem {self.config.port}")

    async def stop(self) -> None:
        """Stop and close the port."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)
        await self.port.close()

    def handles(self, device_id: int) -> bool:
        """The modem's own device."""
        return device_id == self.config.device_id

    async def send_sms(self, number: str, text: str, timeout: float = SMS_TIMEOUT) -> int:
        """AT+CMGS (text mode): the text after the "> " prompt, ended by Ctrl-Z; the
        message reference the network gave it. Raises the named ModemError (+CMS ERROR),
        ModemTimeout or ModemPortError; ModemPortError at once while the modem is offline."""
        if not self.state.online:
            raise ModemPortError(f"the modem on {self.config.port} is offline")
        lines = await self.port.command(f'AT+CMGS="{number}"', timeout, text=text)
        reference = next((codec.parse_cmgs(line) for line in lines
                          if codec.parse_cmgs(line) is not None), None)
        if reference is None:
            raise ModemError("", None, "no +CMGS message reference", "AT+CMGS")
        self._count("SMS sent")
        return reference

    def command(self, command: Command) -> None:
        """Nothing to carry out: a grant's relay is the door's device's (a control unit's)
        and a modem has no LED or buzzer; the call is rejected whatever the decision."""
        return None

    # --- URCs: called by the port as lines arrive -----------------------------------------
    def _on_urc(self, urc: Urc, line: str) -> None:
        if urc is Urc.RING:
            self._ringing = True
        elif urc is Urc.CLIP and self._ringing and not self._in_call:
            self._ringing = False  # a call rings again every few seconds: decide once
            caller = codec.parse_clip(line)
            if caller is not None:
                self._call(caller)
        elif urc is Urc.CMTI:
            found = codec.parse_cmti(line)
            if found is not None and found[1] not in self._unread:
                self._unread.append(found[1])
        elif urc is Urc.CREG:
            self.state.registration = codec.parse_creg(line)
            self._describe()
        elif urc is Urc.BOOT:
            self._restart = True
        self._wake.set()

    def _call(self, caller: codec.Caller) -> None:
        """Decide at once (the runtime commands the relay), then reject the call."""
        self.state.counters["calls"] += 1
        self._hangups += 1
        self._in_call = True
        self._emit(AccessRequest(self.config.device_id, None, Credential.TELEPHONE,
                                 caller.number, self.clock()))

    # --- the loop ------------------------------------------------------------------------
    async def _run(self) -> None:
        delay = self.backoff[0]
        next_poll = 0.0
        while True:
            try:
                if not self.port.is_open:
                    await self.port.open()
                if not self.state.online or self._restart:
                    await self._start_up()
                    delay, next_poll = self.backoff[0], 0.0
                await self._serve()
                if time.monotonic() >= next_poll:
                    next_poll = time.monotonic() + self.poll_interval
                    await self._poll()
                await self._idle(next_poll)
            except asyncio.CancelledError:
                raise
            except (ModemPortError, ModemTimeout, ModemError) as err:
                self._count("timeouts" if isinstance(err, ModemTimeout) else "errors")
                if isinstance(err, ModemPortError):
                    self._offline(str(err))
                elif isinstance(err, codec.CmeError) and err.code in (10, 11, 12, 13, 15, 16):
                    self._offline(f"SIM: {err.name}")  # a person must see to the SIM
                elif self._failing_too_long():
                    self._offline(self._why_failing(err))
                if self.state.online:
                    next_poll = 0.0  # ask again soon: a failing modem is noticed within 5 s
                    if isinstance(err, ModemError):  # answered at once: never a busy loop
                        await asyncio.sleep(self.backoff[0])
                else:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.backoff[1])
            except Exception:  # never let one odd reply end the driver
                log.exception("modem %s", self.config.port)
                self._count("errors")
                await asyncio.sleep(delay)

    def _failing_too_long(self) -> bool:
        """No command has succeeded for `offline_after` seconds (silent, or talking without
        ever completing a command, or refusing every one: unusable all the same)."""
        return time.monotonic() - self._last_ok >= self.offline_after

    def _why_failing(self, err: ModemTimeout | ModemError) -> str:
        if isinstance(err, ModemError):
            return f"refuses every command: {err.name}"
        if time.monotonic() - self.port.last_heard >= self.offline_after:
            return "not answering"
        return "answers, but never with OK or an error"

    async def _idle(self, until: float) -> None:
        self._wake.clear()
        if self._hangups or self._unread or self._restart:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, until - time.monotonic())):
                await self._wake.wait()

    async def _at(self, command: str, timeout: float | None = None) -> list[str]:
        lines = await self.port.command(command, timeout or self.command_timeout)
        self._last_ok = time.monotonic()
        return lines

    async def _start_up(self) -> None:
        """The start-up sequence; the PIN only if the SIM asks for it."""
        self._restart = False
        await self._at("AT")
        for command in START_UP[:2]:
            await self._at(command)
        pin = next((line for line in await self._at("AT+CPIN?") if line.startswith("+CPIN:")),
                   "+CPIN: READY")
        if "READY" not in pin:
            if not self.config.pin:
                raise codec.CmeError("CME", 11, "SIM PIN required (no PIN in the config)")
            await self._at(f'AT+CPIN="{self.config.pin}"', 5.0)
        for command in START_UP[2:]:
            await self._at(command)
        self._count("start-ups")
        self._unread = sorted(set(self._unread) | set(
            codec.parse_cmgl(await self._at('AT+CMGL="ALL"', 5.0))))
        if not self.state.online:
            self.state.online = True
            self._offline_why = None
            self._emit(StatusReport(self.config.device_id, Status.ONLINE, self.clock()))

    async def _serve(self) -> None:
        """Reject the calls that rang, then read and delete the messages that came."""
        while self._hangups:
            self._hangups = 0
            # from here a RING is a new call: the modem hangs up before it reads on
            self._in_call = False
            await self._at("ATH")
        while self._unread and not self._hangups:
            # off the list first: a +CMTI for the same slot may come with CMGD's OK
            index = self._unread.pop(0)
            try:
                await self._read_and_delete(index)
            except ModemError as err:  # the modem answered: this message, not the modem
                if not await self._unreadable(index, err):
                    self._parked.append(index)  # tried again after the next health poll
            except BaseException:
                self._unread.insert(0, index)
                raise

    async def _read_and_delete(self, index: int) -> None:
        try:
            message = codec.parse_cmgr(await self._at(f"AT+CMGR={index}", 5.0))
        except codec.CmsError as err:
            if err.code != 321:  # 321: nothing at that index (already deleted)
                raise
            message = None
        if message is not None:
            sender, _, text = message
            self._count("SMS received")
            self._emit(MessageReport(self.config.device_id, sender, text, self.clock()))
        await self._at(f"AT+CMGD={index}")

    async def _unreadable(self, index: int, err: ModemError) -> bool:
        """A message the modem refuses to read (a corrupt slot): after READ_TRIES refusals,
        a health poll apart (a SIM busy for a moment is not a corrupt slot), it is reported
        as unreadable and deleted, so it holds back neither the messages after it nor the
        health polls (True); before that, False."""
        tries = self._read_failures[index] = self._read_failures.get(index, 0) + 1
        if tries < READ_TRIES:
            return False
        del self._read_failures[index]
        log.warning("modem %s: message %d cannot be read (%s); deleted", self.config.port,
                    index, err)
        self._count("unreadable SMS")
        self._emit(MessageReport(self.config.device_id, "unknown", "(a message the modem "
                                 f"could not read: {err.name}; deleted)", self.clock()))
        await self._at(f"AT+CMGD={index}")
        return True

    async def _poll(self) -> None:
        """Health: registration, signal, operator; AT+CLIP? tells a silent reboot."""
        state = self.state
        for line in await self._at("AT+CREG?"):
            state.registration = codec.parse_creg(line)
        for line in await self._at("AT+CSQ"):
            state.rssi = codec.parse_csq(line)
        for line in await self._at("AT+COPS?"):
            state.operator = codec.parse_cops(line) or ""
        if any(line.startswith("+CLIP: 0") for line in await self._at("AT+CLIP?")):
            self._restart = True  # it lost its settings
        self._describe()
        self._emit(StatusReport(self.config.device_id, Status.ONLINE, self.clock()))
        self._unread += [i for i in self._parked if i not in self._unread]
        self._parked.clear()

    # --- reporting ---------------------------------------------------------------------
    def _offline(self, why: str) -> None:
        self.state.online = False
        self._unread.clear()
        self._read_failures.clear()
        self._parked.clear()
        self._in_call = False
        if why == self._offline_why:
            return  # already said
        self._offline_why = why
        self._emit(StatusReport(self.config.device_id, Status.OFFLINE, self.clock(),
                                detail=why))

    def _count(self, counter: str) -> None:
        self.state.counters[counter] = self.state.counters.get(counter, 0) + 1
        if self.telemetry is not None:
            for name, value in self.state.counters.items():
                self.telemetry.set_counter(self.config.device_id, name, value)

    def _describe(self) -> None:
        state = self.state
        stat = state.registration
        state.info = {
            "registration": codec.REGISTRATION.get(stat, "unknown") if stat is not None
            else "unknown",
            "signal": codec.signal_text(state.rssi),
            "operator": state.operator or "none",
        }
        if self.telemetry is not None:
            self.telemetry.describe(self.config.device_id, dict(state.info))
            for name, value in state.counters.items():
                self.telemetry.set_counter(self.config.device_id, name, value)

    def _emit(self, event: DeviceEvent) -> None:
        if self._report is None:
            return
        try:
            self._report(event)
        except Exception:
            log.exception("modem: the report callback failed on %r", event)
