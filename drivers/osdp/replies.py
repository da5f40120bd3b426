"""What a reader's replies mean: card reads, keys, tamper, power and door contact as core events.

Pure translation from a reply (code and plain data, after the Secure Channel
has unwrapped it) and the reader's state to the `DeviceEvent`s the driver
reports. No I/O: the driver's polling loop calls these and emits what they
return. A reply that does not parse is counted, never raised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from core.devices import AccessRequest, Credential, DeviceEvent, Status, StatusReport
from drivers.osdp import payloads
from drivers.osdp.cards import card_number
from drivers.osdp.codec import FrameError, Reply
from drivers.osdp.reader import ReaderState

Clock = Callable[[], datetime]


def reply_events(reader: ReaderState, code: int, data: bytes, now: float,
                 clock: Clock) -> list[DeviceEvent]:
    """The events one reply reports (updating the reader's keypad, contact and status)."""
    c = reader.config
    try:
        if code == Reply.RAW:
            number = card_number(payloads.parse_raw(data), c.card_format)
            if number is None:
                reader.counters["bad reads"] = reader.counters.get("bad reads", 0) + 1
                return []
            return [AccessRequest(c.device_id, c.door_id, Credential.APASS, number, clock())]
        if code == Reply.KEYPAD:
            _, keys = payloads.parse_keypad(data)
            entered = reader.keypad(keys.decode("ascii", "replace"))
            if entered:
                return [AccessRequest(c.device_id, None, Credential.CODE, entered, clock())]
        elif code == Reply.LSTATR and len(data) >= 2:
            return local_status(reader, bool(data[0]), bool(data[1]), clock)
        elif code == Reply.ISTATR:
            return inputs(reader, data, now, clock)
    except FrameError:
        reader.counters["bad replies"] = reader.counters.get("bad replies", 0) + 1
    return []


def inputs(reader: ReaderState, data: bytes, now: float, clock: Clock) -> list[DeviceEvent]:
    """ISTATR: the door contact opening with no grant's pulse running is "door forced"."""
    c = reader.config
    if c.contact_input is None or len(data) <= c.contact_input:
        return []
    if reader.contact(data[c.contact_input] == 1, now):
        return [StatusReport(c.device_id, Status.DOOR_FORCED, clock(), c.door_id)]
    return []


def local_status(reader: ReaderState, tamper: bool, power: bool,
                 clock: Clock) -> list[DeviceEvent]:
    """LSTATR: tamper and power failure, each reported when it starts."""
    c = reader.config
    events: list[DeviceEvent] = []
    if tamper and not reader.tamper:
        events.append(StatusReport(c.device_id, Status.TAMPER, clock()))
    if power and not reader.power:
        events.append(StatusReport(c.device_id, Status.POWER_FAILURE, clock()))
    reader.tamper, reader.power = tamper, power
    return events


def held_open(readers: Iterable[ReaderState], now: float, clock: Clock) -> list[DeviceEvent]:
    """Doors open longer than allowed ("door held open", once per opening)."""
    return [StatusReport(r.config.device_id, Status.DOOR_HELD_OPEN, clock(), r.config.door_id)
            for r in readers if r.door_open and r.held_open(now)]
