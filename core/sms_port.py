"""What the gateway's SMS sender needs from a route (Twilio, a GSM modem), and the
errors a route raises: transient ones are tried again with back-off, permanent ones
fail the message with the provider's reason, and a route fault (the account refused,
no modem) is an alarm a person must act on while the messages wait."""

from __future__ import annotations

import abc
from datetime import datetime

from core.errors import DoorkeeperError
from core.sms import MessageStatus


class SmsError(DoorkeeperError):
    """A route refused or could not take a message."""


class TransientSmsError(SmsError):
    """Try again later: rate limited (429), the provider's 5xx, +CMS ERROR 5xx, network."""


class UncertainSmsError(TransientSmsError):
    """The request may have reached the provider and its answer was lost (a timeout, a
    dropped connection, an answer that cannot be read): the message may have been taken,
    so a route that can tell (`find`) is asked before it goes again."""


class PermanentSmsError(SmsError):
    """This message will never go (an invalid or unsubscribed number): failed, with why."""


class SmsRouteFault(TransientSmsError):
    """The route itself is unusable until a person acts (credentials refused, no modem):
    an alarm; the messages wait."""


class SmsRoute(abc.ABC):
    """One way out for the outbox's messages."""

    name: str = ""
    #: whether delivery status can be asked for after the route accepted a message
    polls: bool = False

    @abc.abstractmethod
    async def send(self, number: str, text: str) -> tuple[str, MessageStatus]:
        """Hand one message to the route; its reference (Twilio's SID, the modem's message
        reference) and status. Raises TransientSmsError or PermanentSmsError."""

    async def status(self, ref: str) -> tuple[MessageStatus, str]:
        """The delivery status of an accepted message and the provider's reason for a
        failure (routes that poll)."""
        raise NotImplementedError

    async def find(self, number: str, text: str, since: datetime) -> str | None:
        """The reference of a message to `number` with `text` the route accepted since
        `since`, if it can tell (a send whose answer a crash lost); None otherwise."""
        return None

    async def close(self) -> None:  # noqa: B027 - most routes hold nothing to let go of
        """Let go of connections."""
