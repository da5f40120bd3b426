"""SMS to residents, the field guide's chapter 11: the message's rules and the recipients.

A resident SMS is at most 160 characters (the guide's limit, one GSM-7 segment). A
character outside the GSM 03.38 alphabet forces the whole message into UCS-2, whose
single segment is 70 characters, so the limit becomes 70; the extension characters
(`^{}\\[~]|€` and form feed) take two GSM-7 places each.

The recipients of a campaign are drawn from the chosen flats' telephones: every number,
or the primary one (the flat's first). A number already taken by an earlier flat is a
duplicate (messaged once); a number that is not a mobile (a landline, an email) is
skipped with the reason. Pure functions: the services and the screen share them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.errors import ValidationError
from core.model import Flat, Telephone, TelephoneKind
from core.phones import is_mobile
from core.rules import SMS_MAX as SMS_MAX  # the guide: "MAX ... (with spaces) is 160"

UCS2_MAX = 70  # one UCS-2 segment
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


class Encoding(enum.StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


class MessageStatus(enum.StrEnum):
    """A message's state: queued until the route has it, then the route's word."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        """Nothing more will happen to a message in this state."""
        return self in (MessageStatus.DELIVERED, MessageStatus.UNDELIVERED,
                        MessageStatus.FAILED)


def encoding(text: str) -> Encoding:
    """GSM-7 when every character is in the GSM 03.38 alphabet, else UCS-2."""
    return (Encoding.GSM7 if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)
            else Encoding.UCS2)


def length(text: str) -> int:
    """The places the text takes in its encoding (a GSM-7 extension character takes two;
    in UCS-2 a character outside the basic plane takes two)."""
    if encoding(text) is Encoding.GSM7:
        return len(text) + sum(c in GSM7_EXTENSION for c in text)
    return len(text.encode("utf-16-le")) // 2


def limit(text: str) -> int:
    """160 for GSM-7, 70 once a character forces UCS-2."""
    return SMS_MAX if encoding(text) is Encoding.GSM7 else UCS2_MAX


def counter(text: str) -> str:
    """The compose box's live counter: "12/160 GSM-7" or "12/70 UCS-2 (because of 'é')"."""
    enc = encoding(text)
    line = f"{length(text)}/{limit(text)} {enc.value}"
    if enc is Encoding.UCS2:
        first = next(c for c in text if c not in GSM7_BASIC and c not in GSM7_EXTENSION)
        line += f" (because of {first!r})"
    return line


def check_text(text: str) -> str:
    """The message as it will be sent, or ValidationError saying why not."""
    body = (text or "").strip()
    if not body:
        raise ValidationError("The message is empty.", field="text")
    if any(ord(c) < 32 and c not in "\n" for c in body):
        raise ValidationError("The message holds control characters.", field="text")
    if length(body) > limit(body):
        why = (f"{limit(body)} in UCS-2: a character outside the GSM alphabet is in it"
               if encoding(body) is Encoding.UCS2 else f"{SMS_MAX}")
        raise ValidationError(f"The message is {length(body)} characters; at most {why}.",
                              field="text")
    return body


class Mark(enum.StrEnum):
    """What happens to one line of the recipient list."""

    SEND = "send"
    DUPLICATE = "duplicate"  # the guide's numbers in red: messaged once
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Recipient:
    """One line of the recipient list: the flat, the number, and what is done with it."""

    flat_id: int
    flat: str  # "Block C/Appt. 001"
    number: str
    mark: Mark = Mark.SEND
    reason: str = ""


@dataclass(frozen=True)
class RecipientList:
    """The recipient list and its counts ("43 SMS will be sent")."""

    lines: tuple[Recipient, ...]

    @property
    def to_send(self) -> list[Recipient]:
        return [r for r in self.lines if r.mark is Mark.SEND]

    @property
    def count(self) -> int:
        return sum(r.mark is Mark.SEND for r in self.lines)

    @property
    def duplicates(self) -> int:
        return sum(r.mark is Mark.DUPLICATE for r in self.lines)

    @property
    def skipped(self) -> int:
        return sum(r.mark is Mark.SKIPPED for r in self.lines)


def recipients(flats: Iterable[tuple[Flat, str]], phones: Sequence[Telephone],
               primary_only: bool) -> RecipientList:
    """The recipient list of these flats (each with its "block/flat" label), in order."""
    by_flat: dict[int, list[Telephone]] = {}
    for phone in sorted(phones, key=lambda p: p.id or 0):
        by_flat.setdefault(phone.flat_id, []).append(phone)
    seen: set[str] = set()
    lines: list[Recipient] = []
    for flat, label in flats:
        own = by_flat.get(flat.id or 0, [])
        if primary_only:
            own = own[:1]
        for phone in own:
            number = phone.value
            if phone.kind is not TelephoneKind.TELEPHONE:
                lines.append(Recipient(flat.id or 0, label, number, Mark.SKIPPED,
                                       "an email address, not a mobile"))
            elif not is_mobile(number):
                lines.append(Recipient(flat.id or 0, label, number, Mark.SKIPPED,
                                       "not a mobile number"))
            elif number in seen:
                lines.append(Recipient(flat.id or 0, label, number, Mark.DUPLICATE,
                                       "already listed: sent once"))
            else:
                seen.add(number)
                lines.append(Recipient(flat.id or 0, label, number))
    return RecipientList(tuple(lines))
