"""SMS to residents as stored: a site's credits, campaigns, and the outbox's messages.

A campaign and each of its messages are rows before anything is sent (the outbox).
The gateway's sender sets `provider_ref` (Twilio's message SID, or the modem's
message reference) as soon as the route accepted a message, and before it sends the
next one, so a restart never sends again what was accepted; `attempt_at` is set
before a message is handed to the route, so one whose answer was lost in a crash is
looked up at the provider (Twilio) before it is sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.sms import Encoding, MessageStatus


@dataclass
class SmsCredit:
    """The SMS a site may still send (the guide's "1000 SMS currently available")."""

    site_id: int
    balance: int = 0
    id: int | None = None


@dataclass
class SmsCampaign:
    """One New SMS: who sent what to how many, on which site, by which route."""

    site_id: int
    created_at: datetime
    created_by: str  # the operator's email
    text: str
    encoding: Encoding
    route: str  # "twilio" or "modem"
    recipients: int
    id: int | None = None


@dataclass
class SmsMessage:
    """One message of a campaign to one number."""

    campaign_id: int
    site_id: int
    number: str  # E.164
    flat: str  # "Block C/Appt. 001", as listed when the campaign was made
    flat_id: int | None = None
    status: MessageStatus = MessageStatus.QUEUED
    provider_ref: str | None = None  # Twilio's SID or the modem's message reference
    attempts: int = 0
    attempt_at: datetime | None = None  # handed to the route, answer not yet stored
    next_try_at: datetime | None = None  # a transient error: not before then
    error: str = ""  # the provider's reason for a failure
    updated_at: datetime | None = None
    id: int | None = None
