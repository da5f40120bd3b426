"""What drivers tell the core, and what the core tells drivers.

A driver turns wire traffic into DeviceEvents and carries out Commands. It
knows nothing of the store or the UI; it names devices and doors by the ids
the gateway gave it when it started.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime


class Credential(enum.StrEnum):
    """How someone asks a door to open."""

    APASS = "apass"  # proximity fob (or the fob side of dual tech)
    RADIO = "radio"  # radio transmitter
    CODE = "code"  # keypad code
    TELEPHONE = "telephone"  # dial to open: the caller's number


class CallOutcome(enum.StrEnum):
    """How a visitor's call to a resident ended."""

    OPENED = "opened"  # answered, the resident pressed open
    DENIED = "denied"  # answered, the resident refused
    NOT_ANSWERED = "not answered"  # every number of the chain rang out


class Status(enum.StrEnum):
    """Device conditions a driver reports."""

    ONLINE = "online"
    OFFLINE = "offline"
    TAMPER = "tamper"
    POWER_FAILURE = "power failure"
    DOOR_FORCED = "door forced"  # opened without a grant
    DOOR_HELD_OPEN = "door held open"  # open longer than allowed
    COMMUNICATION_QUALITY = "communication quality"  # too many exchanges unanswered lately
    COMMUNICATION_RESTORED = "communication restored"  # answering well again


@dataclass(frozen=True)
class AccessRequest:
    """A credential presented at a door."""

    device_id: int
    door_id: int | None
    credential: Credential
    value: str  # the APass number, the code entered, the caller's E.164 number
    at: datetime


@dataclass(frozen=True)
class CallReport:
    """A visitor called a panel display; what happened on each number."""

    device_id: int
    door_id: int | None
    call_code: str
    outcome: CallOutcome
    telephone: str  # the number that answered, or the last one tried
    at: datetime


@dataclass(frozen=True)
class StatusReport:
    """A device's condition changed."""

    device_id: int
    status: Status
    at: datetime
    door_id: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class MessageReport:
    """An SMS a GSM modem received (the text as it came: the runtime cleans it)."""

    device_id: int
    sender: str
    text: str
    at: datetime


DeviceEvent = AccessRequest | CallReport | StatusReport | MessageReport


@dataclass(frozen=True)
class OpenDoor:
    """Pulse a door's relay for some seconds (a grant, or a remote opening)."""

    device_id: int
    door_id: int
    relay: int
    seconds: int


@dataclass(frozen=True)
class Signal:
    """Feedback at the reader: green and a short beep, or red and a long one."""

    device_id: int
    granted: bool


Command = OpenDoor | Signal


@dataclass
class DeviceHealth:
    """A device's health as the gateway sees it."""

    device_id: int
    online: bool = True
    last_seen: datetime | None = None
    counters: dict[str, int] = field(default_factory=dict)
    info: dict[str, str] = field(default_factory=dict)  # what the device says it is (OSDP ID/CAP)


class Driver(abc.ABC):
    """A driver: started with a callback for its events, stopped on shutdown."""

    name: str = "driver"

    @abc.abstractmethod
    async def start(self, report: Callable[[DeviceEvent], None]) -> None:
        """Begin talking to devices; call `report` for everything they say."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Stop at once and release the port."""

    def alive(self) -> bool:
        """False once the driver's own loop has died, so the gateway's supervisor can
        report and restart it. A driver that keeps its loop in `self._task` (as the
        simulator and the OSDP driver do) needs nothing more."""
        task = getattr(self, "_task", None)
        return task is None or not task.done()

    def failure(self) -> BaseException | None:
        """What ended the driver's loop, if it died."""
        task = getattr(self, "_task", None)
        if task is None or not task.done():
            return None
        error: BaseException | None = None if task.cancelled() else task.exception()
        return error

    def assume_poor_quality(self, device_ids: Collection[int]) -> None:
        """Devices whose "communication quality" alarm was still open when the gateway
        stopped: a driver that judges quality starts them as poor, so it reports
        COMMUNICATION_RESTORED (which clears the alarm) once they answer well again.
        A driver that does not judge quality ignores this."""
        return None

    @abc.abstractmethod
    def handles(self, device_id: int) -> bool:
        """True if this driver owns the device."""

    @abc.abstractmethod
    def command(self, command: Command) -> None:
        """Take a command for one of this driver's devices: queue it and return at once
        (the decision path calls this directly, so it must never block or raise)."""
