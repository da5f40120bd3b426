"""One reader on an OSDP bus: its settings, and what the driver knows of it between polls.

Door alarms are decided here, from the reader's contact input (ISTATR) and the
relay pulses the driver sent: the door opening while no grant's pulse is
running is "door forced"; the door still open `held_open_seconds` after it
opened is "door held open" (once per opening).
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass, field

from drivers.osdp.quality import Quality
from drivers.osdp.secure import Session

#: seconds after a relay pulse ends during which the door may still be opened
GRANT_GRACE = 1.0
KEYPAD_MAX = 16  # keys kept before '#'


@dataclass(frozen=True)
class ReaderConfig:
    """A reader's settings, as the gateway resolved them from the config and the store."""

    address: int
    device_id: int
    door_id: int | None = None  # the door its output opens (a grant pulses it)
    door_device_id: int | None = None  # the device the door belongs to (a control unit)
    output: int = 0  # the reader's OSDP output wired to the door's relay
    open_seconds: int = 5
    held_open_seconds: int = 30
    contact_input: int | None = 0  # input reporting the door contact (1 = open); None = none
    card_format: str = "wiegand26"
    led_seconds: float = 2.0  # green (grant) or red (denial) this long
    short_beep: float = 0.1  # grant
    long_beep: float = 1.0  # denial
    buzzer: bool = True
    scbk: bytes | None = None  # its secure channel key; None = plaintext reader
    install: bool = False  # still on the install key: send it `scbk` with KEYSET

    @property
    def secure(self) -> bool:
        """True if the reader must only be spoken to in Secure Channel."""
        return self.scbk is not None


class Link(enum.Enum):
    """Where a reader's conversation stands."""

    CONNECTING = "connecting"  # the next exchange starts at sequence 0
    ONLINE = "online"
    OFFLINE = "offline"  # stopped answering; tried again with back-off
    REFUSED = "refused"  # failed the secure channel; tried again with back-off


#: shown with the device's health; "stale replies" had the wrong sequence number (a late
#: answer to an earlier command), "malformed frames" a bad length, cut short or another
#: address, "noise" bytes that began no frame at all (another baud rate, a bad line)
COUNTERS = ("polls", "replies", "timeouts", "retries", "NAKs", "CRC errors", "MAC errors",
            "stale replies", "malformed frames", "noise", "round trip ms")
#: what came instead of replies, named in a reader's "Device offline" alarm
UNANSWERED = {"stale replies": "replies with the wrong sequence number",
              "malformed frames": "malformed frames (or from another address)",
              "CRC errors": "frames with a bad check",
              "noise": "bursts of bytes that were no frame (another baud rate?)"}


@dataclass
class ReaderState:
    """A reader's conversation, queue, door and counters."""

    config: ReaderConfig
    link: Link = Link.CONNECTING
    sequence: int = 0
    session: Session | None = None
    commissioned: bool = False  # KEYSET done in this run
    queue: deque[tuple[int, bytes]] = field(default_factory=deque)
    pending: bytes | None = None  # a frame to send again (no reply yet)
    last_reply: float = 0.0
    next_due: float = 0.0
    backoff: float = 0.0
    keys: str = ""
    tamper: bool = False
    power: bool = False
    door_open: bool = False
    opened_at: float = 0.0
    held_reported: bool = False
    granted_until: float = 0.0
    info: dict[str, str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    rtt_sum: float = 0.0
    at_reply: dict[str, int] = field(default_factory=dict)  # UNANSWERED at its last reply
    used: float = 0.0  # seconds of bus time spent on it: the fair scheduler serves the least
    quality: Quality = field(default_factory=Quality)

    def reset(self) -> None:
        """Start the conversation again from sequence 0 (drops the secure channel)."""
        self.sequence = 0
        self.session = None
        self.pending = None
        if self.link is Link.ONLINE:
            self.link = Link.CONNECTING

    def heard_instead(self) -> str:
        """What came from the line since the reader's last reply, in words ("" if
        nothing): a reader that talks but is never understood is not simply absent."""
        seen = [(self.counters.get(k, 0) - self.at_reply.get(k, 0), words)
                for k, words in UNANSWERED.items()]
        said = [f"{n} {words}" for n, words in seen if n > 0]
        return ("no reply understood; heard instead " + ", ".join(said)) if said else ""

    def keypad(self, keys: str) -> str | None:
        """Add keys; a code ended by '#' is returned, '*' clears what was typed."""
        code = None
        for key in keys:
            if key == "#":
                code, self.keys = self.keys, ""
            elif key == "*":
                self.keys = ""
            elif key.isdigit():
                self.keys = (self.keys + key)[-KEYPAD_MAX:]
        return code or None

    def granted(self, now: float, seconds: float) -> None:
        """A grant's pulse started: the door may open until it ends (and a little after)."""
        self.granted_until = max(self.granted_until, now + seconds + GRANT_GRACE)

    def contact(self, is_open: bool, now: float) -> bool:
        """The door contact changed; True if this opening is forced."""
        if is_open == self.door_open:
            return False
        self.door_open = is_open
        if not is_open:
            self.held_reported = False
            return False
        self.opened_at = now
        return now > self.granted_until

    def held_open(self, now: float) -> bool:
        """True once, when the door has been open longer than allowed."""
        if (self.door_open and not self.held_reported
                and now - self.opened_at > self.config.held_open_seconds):
            self.held_reported = True
            return True
        return False
