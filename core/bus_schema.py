"""What each message a console sends must hold, checked before it reaches a service.

JSON gives a field any type: ``"note": null``, a dict, ``"seconds": true`` (Python's
``True`` is an ``int``), an id of 2**63 (past SQLite's integers). :func:`check` takes one
decoded message and returns it with only the fields its kind knows, each of the right
type and within its range, or raises :class:`MessageRefused` naming the kind, the field
and what was wrong. Unknown fields are ignored (a newer console may send more).

| kind | fields |
|---|---|
| every kind | ``type``: a kind a console sends; ``request_id``: optional, a whole number from 0 to 2**63-1 or text of at most 64 characters |
| ``change``, ``hello``, ``ping`` | none |
| ``open_door`` | ``operator_id``, ``door_id``: ids (1 to 2**63-1); ``seconds``: optional, 1 to 600 |
| ``ack_alarm`` | ``operator_id``, ``alarm_id``: ids; ``note``: optional text, at most 160 characters |
| ``stuck`` | ``what``: text, at most 160 characters |
| ``restart_reader`` | ``operator_id``, ``device_id``: ids |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.bus import Kind, Message
from core.errors import DoorkeeperError
from core.rules import NOTES_MAX

#: SQLite's (and PostgreSQL's bigint) largest integer
ID_MAX = 2**63 - 1
REQUEST_ID_MAX_LEN = 64
#: where a command's operator is (the audit trail's "from": "console", "ssh ADDRESS")
SOURCE_MAX = 120
#: a remote opening lasts at most this long (core.services.operations checks it too)
REMOTE_OPEN_MAX_SECONDS = 600


class MessageRefused(DoorkeeperError):
    """A bus message whose kind or fields are wrong; ``message`` says which and why."""


@dataclass(frozen=True)
class Whole:
    """A whole number (never a boolean) from ``lo`` to ``hi``."""

    lo: int
    hi: int
    required: bool = True

    def check(self, value: object) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool) and \
                self.lo <= value <= self.hi:
            return value
        raise ValueError(f"a whole number from {self.lo} to {self.hi}")


@dataclass(frozen=True)
class Text:
    """Text of at most ``max_len`` characters."""

    max_len: int
    required: bool = False

    def check(self, value: object) -> str | None:
        if isinstance(value, str) and len(value) <= self.max_len:
            return value
        raise ValueError(f"text of at most {self.max_len} characters")


ID = Whole(1, ID_MAX)

SCHEMAS: dict[Kind, dict[str, Whole | Text]] = {
    Kind.CHANGE: {},
    Kind.HELLO: {},
    Kind.PING: {},
    Kind.OPEN_DOOR: {"operator_id": ID, "door_id": ID,
                     "seconds": Whole(1, REMOTE_OPEN_MAX_SECONDS, required=False),
                     "source": Text(SOURCE_MAX)},
    Kind.ACK_ALARM: {"operator_id": ID, "alarm_id": ID, "note": Text(NOTES_MAX),
                     "source": Text(SOURCE_MAX)},
    Kind.STUCK: {"what": Text(NOTES_MAX, required=True)},
    Kind.RESTART_READER: {"operator_id": ID, "device_id": ID, "source": Text(SOURCE_MAX)},
}


def _kind(msg: Message) -> Kind:
    kind = msg.get("type")
    if not isinstance(kind, str):
        raise MessageRefused(f"A bus message names its kind in 'type' as text, not "
                             f"{_what(kind)}.", field="type")
    try:
        known = Kind(kind)
    except ValueError:
        known = None
    if known not in SCHEMAS:
        shown = kind[:40].encode("unicode_escape").decode("ascii")
        raise MessageRefused(f"'{shown}' is not a message a console sends.", field="type")
    assert known is not None
    return known


def request_id(msg: Message) -> str | int | None:
    """The message's ``request_id`` if it is one that may be echoed, else None."""
    rid = msg.get("request_id")
    if isinstance(rid, str) and len(rid) <= REQUEST_ID_MAX_LEN:
        return rid
    if isinstance(rid, int) and not isinstance(rid, bool) and 0 <= rid <= ID_MAX:
        return rid
    return None


def check(msg: Message) -> Message:
    """``msg`` with its kind's fields only, each checked; MessageRefused names the first
    wrong one."""
    kind = _kind(msg)
    out: Message = {"type": kind.value}
    if "request_id" in msg:
        if request_id(msg) is None:
            raise MessageRefused(
                f"{kind.value}: 'request_id' must be a whole number from 0 to {ID_MAX} or "
                f"text of at most {REQUEST_ID_MAX_LEN} characters, not "
                f"{_what(msg['request_id'])}.", field="request_id")
        out["request_id"] = msg["request_id"]
    for name, spec in SCHEMAS[kind].items():
        if name not in msg or (msg[name] is None and not spec.required
                               and isinstance(spec, Whole)):
            if spec.required:
                raise MessageRefused(f"{kind.value}: '{name}' is missing.", field=name)
            continue
        try:
            out[name] = spec.check(msg[name])
        except ValueError as exc:
            raise MessageRefused(f"{kind.value}: '{name}' must be {exc}, not "
                                 f"{_what(msg[name])}.", field=name) from None
    return out


def _what(value: Any) -> str:
    """What a refused value was, without echoing it (it may be huge or hostile)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return "a number out of range" if abs(value) < 10**30 else "a huge number"
    if isinstance(value, float):
        return "a fraction"
    if isinstance(value, str):
        return f"text ({len(value):,} characters)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
