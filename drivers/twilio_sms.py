"""SMS through Twilio's REST API with the `twilio` SDK's async client.

`send` POSTs /2010-04-01/Accounts/{sid}/Messages.json (To, From, Body) through
`AsyncTwilioHttpClient` (aiohttp); `status` GETs the message until its status is
final: no status callback, so no inbound web server is needed. `find` lists the
messages sent to a number since a moment, so a send whose answer a crash lost is
recognised instead of sent twice. `api_url` points the client at another server
(a local fake Twilio API in the tests and the benchmark): the SDK's requests are
the same, only the host changes.

The account SID and token are handed in, never logged: the SDK's own request log
(numbers and text) is kept at WARNING.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from core.sms import MessageStatus
from core.sms_port import (
    PermanentSmsError,
    SmsRoute,
    SmsRouteFault,
    TransientSmsError,
    UncertainSmsError,
)
from core.text import safe_text

TWILIO_API = "https://api.twilio.com"
#: Twilio's statuses -> ours (accepted/scheduled/queued/sending: not yet with the network)
STATUSES = {
    "accepted": MessageStatus.QUEUED, "scheduled": MessageStatus.QUEUED,
    "queued": MessageStatus.QUEUED, "sending": MessageStatus.QUEUED,
    "sent": MessageStatus.SENT, "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED, "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED, "canceled": MessageStatus.FAILED,
}
#: the account or sender is refused: every message would fail the same way
ROUTE_FAULTS = {20003: "authentication failed (account SID or token)",
                20404: "the account was not found", 21606: "the sender cannot send SMS",
                21608: "a trial account may only send to verified numbers"}
for name in ("twilio.http_client", "twilio.async_http_client"):
    logging.getLogger(name).setLevel(logging.WARNING)


class _HttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """The SDK's async client, its requests sent to `api_url` instead of Twilio's host,
    each within `timeout` seconds: the SDK's async client keeps the timeout it is given
    but never applies it (aiohttp is told None: no limit), so an API that accepted the
    connection and never answered held the sender for ever."""

    def __init__(self, api_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.api_url = api_url.rstrip("/")

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if self.api_url != TWILIO_API and url.startswith(TWILIO_API):
            url = self.api_url + url[len(TWILIO_API):]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        response: Response = await super().request(method, url, *args, **kwargs)
        return response


class TwilioRoute(SmsRoute):
    """Messages through one Twilio account, from one sender (a number or an alphanumeric
    sender ID)."""

    name = "twilio"
    polls = True

    def __init__(self, account_sid: str, token: str, sender: str, *,
                 api_url: str = TWILIO_API, timeout: float = 10.0) -> None:
        self.sender = sender
        self._http = _HttpClient(api_url, timeout)
        self._client = Client(account_sid, token, http_client=self._http)

    def __repr__(self) -> str:  # never the token
        return f"TwilioRoute(sender={self.sender!r})"

    async def send(self, number: str, text: str) -> tuple[str, MessageStatus]:
        """POST the message; its SID and status. UncertainSmsError when Twilio may have
        taken it without our hearing so (no answer in time, a dropped connection, a 2xx
        answer that cannot be read or names no message)."""
        message = await self._call(self._client.messages.create_async(
            to=number, from_=self.sender, body=text), sending=True)
        if not isinstance(message.sid, str) or not message.sid:
            raise UncertainSmsError("Twilio's answer named no message")
        return message.sid, STATUSES.get(str(message.status), MessageStatus.QUEUED)

    async def status(self, ref: str) -> tuple[MessageStatus, str]:
        """GET the message: its status, and Twilio's reason for a failure.
        PermanentSmsError if Twilio has no such message (20404 here is the message's, not
        the account's: wrong credentials are refused with 401 first)."""
        try:
            message = await self._call(self._client.messages(ref).fetch_async())
        except SmsRouteFault as err:
            cause = err.__cause__
            if isinstance(cause, TwilioRestException) and cause.status == 404:
                raise PermanentSmsError(f"Twilio: no such message ({_message(cause)})"
                                        ) from cause
            raise
        status = STATUSES.get(str(message.status), MessageStatus.QUEUED)
        why = ""
        if status in (MessageStatus.FAILED, MessageStatus.UNDELIVERED) and message.error_code:
            why = safe_text(f"{message.error_code} {message.error_message or ''}").strip()
        return status, why

    async def find(self, number: str, text: str, since: datetime) -> str | None:
        """The SID of a message to `number` with this text created since `since`."""
        found = await self._call(self._client.messages.list_async(
            to=number, from_=self.sender, date_sent_after=since, limit=20))
        for message in found:
            if message.body == text:
                return str(message.sid)
        return None

    async def _call(self, call: Any, sending: bool = False) -> Any:
        """The SDK call's result; its failures as our errors. `sending`: a failure once the
        request may have gone (anything but an HTTP error or no connection) is uncertain."""
        lost = UncertainSmsError if sending else TransientSmsError
        try:
            return await call
        except TwilioRestException as err:
            raise _translated(err) from err
        except aiohttp.ClientConnectorError as err:  # no connection: nothing went
            raise TransientSmsError(f"Twilio could not be reached: {_words(err)}") from err
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            raise lost(f"Twilio did not answer: {_words(err)}") from err
        except (TwilioException, ValueError, TypeError, KeyError, AttributeError) as err:
            # a 2xx whose body is not the JSON object the SDK expects (garbage, a list)
            raise lost(f"Twilio's answer could not be read: {_words(err)}") from err

    async def close(self) -> None:
        await self._http.close()


def _translated(err: TwilioRestException) -> Exception:
    """Twilio's error as transient (429, 5xx), a route fault, or permanent (the rest)."""
    code = err.code if isinstance(err.code, int) else None
    reason = f"{code or err.status} {_message(err)}".strip()
    if err.status == 429 or err.status >= 500 or code == 20429:
        return TransientSmsError(f"Twilio: {reason}")
    if err.status == 401 or code in ROUTE_FAULTS:
        return SmsRouteFault(f"Twilio: {ROUTE_FAULTS.get(code or 0, reason)} ({code})")
    return PermanentSmsError(f"Twilio: {reason}")


def _words(err: BaseException) -> str:
    """An exception as one short line: its type, and its text if it has one."""
    return safe_text(f"{type(err).__name__} {str(err)[:200]}").strip()


def _message(err: TwilioRestException) -> str:
    """Twilio's own words, without the SDK's "Unable to create record:" prefix, as plain
    text (they are stored with the message, logged and shown)."""
    text = safe_text(err.msg or "")
    return text.split(": ", 1)[1] if text.startswith("Unable to") and ": " in text else text
