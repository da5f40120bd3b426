"""The gateway's heart: device events in, decisions, commands and events out.

`report()` is what drivers call. An access request is decided from the
in-memory snapshot and the relay command is handed to the driver before
anything else happens; the event then goes to the event sink (group commit).
The sink calls `announce()` once the event is durable, and only then is it
published (the bus): what a console has seen is stored. Nothing on this path
awaits the database, the bus or a subscriber.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime

from core.access import AccessSnapshot, Decision
from core.audit import jsonable_fields
from core.devices import (
    AccessRequest,
    CallOutcome,
    CallReport,
    Command,
    DeviceEvent,
    DeviceHealth,
    Driver,
    MessageReport,
    OpenDoor,
    Signal,
    Status,
    StatusReport,
)
from core.model import EVENT_TEXT_LIMITS, Door, Event, EventKind, EventResult, id_of
from core.ports import EventSink
from core.text import safe_text

log = logging.getLogger(__name__)

STATUS_KINDS = {
    Status.OFFLINE: EventKind.DEVICE_OFFLINE,
    Status.ONLINE: EventKind.DEVICE_ONLINE,
    Status.TAMPER: EventKind.TAMPER,
    Status.POWER_FAILURE: EventKind.POWER_FAILURE,
    Status.DOOR_FORCED: EventKind.DOOR_FORCED,
    Status.DOOR_HELD_OPEN: EventKind.DOOR_HELD_OPEN,
    Status.COMMUNICATION_QUALITY: EventKind.COMMUNICATION_QUALITY,
    Status.COMMUNICATION_RESTORED: EventKind.COMMUNICATION_RESTORED,
}
CALL_RESULTS = {
    CallOutcome.OPENED: EventResult.OPENING,
    CallOutcome.DENIED: EventResult.OPENING_DENIED,
    CallOutcome.NOT_ANSWERED: EventResult.COMMUNICATION_NOT_COMPLETED,
}


class Runtime:
    """Decides, commands, records and publishes; keeps each device's health."""

    def __init__(self, snapshot: AccessSnapshot, sink: EventSink,
                 publish: Callable[[dict[str, object]], None],
                 drivers: list[Driver] | None = None) -> None:
        self.snapshot = snapshot
        self.sink = sink
        self.publish = publish
        self.drivers = drivers or []
        self.health: dict[int, DeviceHealth] = {}
        self._health_changed: set[int] = set()  # seen or counted since last published
        #: seconds from a request reaching the runtime to its relay command issued
        self.decision_latency: deque[float] = deque(maxlen=200_000)
        self.decisions = 0

    # --- from drivers ---------------------------------------------------------------
    def report(self, event: DeviceEvent) -> None:
        """Take one device event (called by drivers; never raises)."""
        try:
            if isinstance(event, AccessRequest):
                self._on_request(event)
            elif isinstance(event, CallReport):
                self._on_call(event)
            elif isinstance(event, StatusReport):
                self._on_status(event)
            elif isinstance(event, MessageReport):
                self._on_message(event)
            else:
                log.warning("ignored a device event of unknown type: %r", event)
        except Exception:  # a bad report must never stop the gateway
            log.exception("device event not handled: %r", event)

    def _on_request(self, request: AccessRequest) -> None:
        started = time.perf_counter()
        decision = self.snapshot.decide(request)
        door = decision.door
        if decision.granted and door is not None:
            # the relay belongs to the door's device (a reader's control unit)
            self._command(OpenDoor(door.device_id, id_of(door), door.relay, door.open_seconds))
        self._command(Signal(request.device_id, decision.granted))
        self.decision_latency.append(time.perf_counter() - started)
        self.decisions += 1
        self.count(request.device_id, "grants" if decision.granted else "denials")
        self._seen(request.device_id, request.at)
        self._record(self._event_of(request, decision))

    def _event_of(self, request: AccessRequest, decision: Decision) -> Event:
        return Event(at=request.at, site_id=decision.site_id or 0, kind=decision.kind,
                     result=decision.result, device_id=request.device_id,
                     block_id=decision.block_id, flat_id=decision.flat_id,
                     credential=safe_text(decision.credential or request.value),
                     name=decision.name,
                     reason=decision.reason, description=safe_text(decision.description))

    def _on_call(self, call: CallReport) -> None:
        self._seen(call.device_id, call.at)
        device = self.snapshot.devices.get(call.device_id)
        found = self.snapshot.display(call.device_id, call.call_code)
        name, flat_id, block_id, info = "", None, None, ""
        if found is not None:
            display, holder = found
            name, flat_id, block_id, info = (display.display_name, holder.flat_id,
                                             holder.block_id, holder.info)
        if call.outcome is CallOutcome.OPENED:
            door = self._door_for(call.device_id, call.door_id)
            if door is not None:
                self._command(OpenDoor(door.device_id, id_of(door), door.relay, door.open_seconds))
        number = safe_text(call.telephone)
        self._record(Event(
            at=call.at, site_id=device.site_id if device else 0,
            kind=EventKind.CALL_TO_RESIDENT, result=CALL_RESULTS[call.outcome],
            device_id=call.device_id, block_id=block_id, flat_id=flat_id, credential=number,
            name=name, description=f"Resident : {name} Tel number : {number}"
            + (f" Info : {info}" if info else "")))

    def _on_message(self, message: MessageReport) -> None:
        """An SMS the site's modem received: an event, as plain text."""
        self._seen(message.device_id, message.at)
        device = self.snapshot.devices.get(message.device_id)
        sender, text = safe_text(message.sender), safe_text(message.text)
        self._record(Event(
            at=message.at, site_id=device.site_id if device else 0, kind=EventKind.SMS_RECEIVED,
            result=EventResult.INFORMATION, device_id=message.device_id,
            block_id=device.block_id if device else None, credential=sender,
            description=f"SMS from {sender} : {text}"))

    def _on_status(self, report: StatusReport) -> None:
        health = self.health.setdefault(report.device_id, DeviceHealth(report.device_id))
        if report.status is Status.OFFLINE:
            if not health.online:
                return  # already known
            health.online = False
        else:
            self._seen(report.device_id, report.at)
            if report.status is Status.ONLINE:
                return  # _seen() raised "device online" if it was offline
        self._status_event(report)

    def _status_event(self, report: StatusReport) -> None:
        self.device_event(STATUS_KINDS[report.status], report.device_id, report.detail,
                          at=report.at, door_id=report.door_id)
        self._publish_health(report.device_id)

    def device_event(self, kind: EventKind, device_id: int, detail: str = "", *,
                     at: datetime | None = None, door_id: int | None = None) -> None:
        """An event (an alarm if its kind is one) about a device, on the device's site and
        block: "kind : name / door (detail)"."""
        device = self.snapshot.devices.get(device_id)
        result = EventResult.ALARM if kind.is_alarm else EventResult.INFORMATION
        name = device.name if device else f"device {device_id}"
        door = self.snapshot.doors.get(door_id) if door_id else None
        where = f"{name} / {door.name}" if door else name
        self._record(Event(
            at=at or datetime.now(UTC), site_id=device.site_id if device else 0, kind=kind,
            result=result, device_id=device_id, block_id=device.block_id if device else None,
            name=name, description=f"{kind.value} : {where}"
            + (f" ({safe_text(detail)})" if detail else "")))

    def _seen(self, device_id: int, at: datetime) -> None:
        health = self.health.setdefault(device_id, DeviceHealth(device_id))
        health.last_seen = at
        self._health_changed.add(device_id)
        if not health.online:
            health.online = True
            self._status_event(StatusReport(device_id, Status.ONLINE, at))

    def mark_offline(self, device_ids: list[int]) -> None:
        """Devices whose offline alarm is still open (after a restart): the first
        report from one of them raises "device online" and clears the alarm."""
        for device_id in device_ids:
            self.health.setdefault(device_id, DeviceHealth(device_id)).online = False

    def count(self, device_id: int, counter: str, n: int = 1) -> None:
        """Add to one of a device's counters (polls, NAKs, CRC errors ...)."""
        health = self.health.setdefault(device_id, DeviceHealth(device_id))
        health.counters[counter] = health.counters.get(counter, 0) + n
        self._health_changed.add(device_id)

    def set_counter(self, device_id: int, counter: str, value: int) -> None:
        """Set one of a device's counters to a driver's own total (or gauge, e.g. round trip)."""
        health = self.health.setdefault(device_id, DeviceHealth(device_id))
        if health.counters.get(counter) != value:
            health.counters[counter] = value
            self._health_changed.add(device_id)

    def describe(self, device_id: int, info: dict[str, str]) -> None:
        """What a device says it is (vendor, model, firmware, capabilities), for the Devices tab."""
        health = self.health.setdefault(device_id, DeviceHealth(device_id))
        health.info = {str(k): safe_text(str(v)) for k, v in info.items()}
        self._health_changed.add(device_id)

    # --- out ---------------------------------------------------------------------------
    def _record(self, event: Event) -> None:
        if event.at.tzinfo is None:  # a driver's naive time is taken as UTC
            event.at = event.at.replace(tzinfo=UTC)
        for name, limit in EVENT_TEXT_LIMITS.items():
            setattr(event, name, getattr(event, name)[:limit])
        self.sink.append(event)

    def announce(self, events: list[Event]) -> None:
        """Publish events the sink has made durable (the sink calls this)."""
        for event in events:
            self.publish({"type": "alarm" if event.kind.is_alarm else "event",
                          "event": jsonable_fields(event)})

    def system_event(self, kind: EventKind, description: str) -> None:
        """An event about the gateway itself (a store fault, a task that died), recorded
        on every site it serves so that every console, whatever its sites, sees it."""
        now = datetime.now(UTC)
        result = EventResult.ALARM if kind.is_alarm else EventResult.INFORMATION
        for site_id in sorted(self.snapshot.sites) or [0]:
            self._record(Event(at=now, site_id=site_id, kind=kind, result=result,
                               name="gateway", description=safe_text(description)))

    def _publish_health(self, device_id: int) -> None:
        self._health_changed.discard(device_id)
        self.publish({"type": "device", "device": jsonable_fields(self.health[device_id])})

    def publish_health(self) -> None:
        """Publish the health of devices seen or counted since the last call (the
        gateway calls this every second: last seen and counters, without a message
        per card read)."""
        changed, self._health_changed = self._health_changed, set()
        for device_id in sorted(changed):
            self._publish_health(device_id)

    def _door_for(self, device_id: int, door_id: int | None) -> Door | None:
        if door_id is not None:
            return self.snapshot.doors.get(door_id)
        return self.snapshot.device_doors.get(device_id, {}).get(1)

    def _command(self, command: Command) -> None:
        """Hand a command straight to the driver that owns the device (it queues it)."""
        for driver in self.drivers:
            if driver.handles(command.device_id):
                try:
                    driver.command(command)
                except Exception:
                    log.exception("driver %s refused %r", driver.name, command)
                return

    def open_door(self, door: Door, seconds: int, operator: str, at: datetime) -> None:
        """A remote opening checked and audited by the service: pulse, record, publish."""
        device = self.snapshot.devices.get(door.device_id)
        self._command(OpenDoor(door.device_id, id_of(door), door.relay, seconds))
        self._record(Event(
            at=at, site_id=device.site_id if device else 0, kind=EventKind.REMOTE_OPENING,
            result=EventResult.OPENING, device_id=door.device_id,
            block_id=device.block_id if device else None, name=operator,
            description=f"Remote opening of {door.name} for {seconds} s by {operator}"))

    def device_states(self) -> list[dict[str, object]]:
        """Every known device's health, for a subscriber that just connected."""
        return [jsonable_fields(h) for h in self.health.values()]
