"""The [sms] section: which route the outbox goes out by, from whom, how fast.

    [sms]
    route = "twilio"          # "twilio", "modem", or "" (no SMS sent: campaigns wait)
    sender = "+447700900123"  # Twilio's From: a number of the account, or a sender ID
    rate = 1.0                # messages a second at most (Twilio: 1 per long code)
    account_sid = ""          # else the environment variable TWILIO_ACCOUNT_SID
    auth_token = ""           # else TWILIO_AUTH_TOKEN (better: keep it out of the file)

Each wrong setting is one ConfigError line naming it. The token is never logged or
shown; `SmsConfig`'s repr leaves it out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.errors import ConfigError
from core.text import safe_text

ROUTES = ("", "twilio", "modem")
SID = re.compile(r"AC[0-9a-fA-F]{32}")
SENDER = re.compile(r"\+[1-9]\d{6,14}|[A-Za-z0-9 ]{1,11}")  # E.164, or an alphanumeric ID
RANGES = {"rate": (0.1, 1000.0), "poll_s": (0.05, 3600.0), "retry_first_s": (0.01, 600.0),
          "retry_max_s": (0.01, 86_400.0), "max_attempts": (1, 100)}


@dataclass
class SmsConfig:
    """[sms]: the route, the sender, the rate, and how the sender retries and polls."""

    route: str = ""
    sender: str = ""
    rate: float = 1.0
    account_sid: str = ""
    auth_token: str = field(default="", repr=False)
    api_url: str = "https://api.twilio.com"  # another server speaking Twilio's API
    poll_s: float = 10.0  # how often delivery statuses are asked for
    retry_first_s: float = 2.0  # a transient error: first wait, doubling ...
    retry_max_s: float = 300.0  # ... up to this
    max_attempts: int = 8  # then the message fails with the last error


def check_sms(data: Any) -> SmsConfig:
    """The [sms] table checked: one line naming the first wrong setting."""
    if data is None:
        return SmsConfig()
    if not isinstance(data, dict):
        raise ConfigError("[sms] must be a table.")
    defaults = SmsConfig()
    values: dict[str, Any] = {}
    for key, value in data.items():
        if not hasattr(defaults, key):
            raise ConfigError(f"Unknown setting sms.{safe_text(key)}.")
        expected = type(getattr(defaults, key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ConfigError(f"Setting sms.{key} must be a {expected.__name__}, "
                              f"got {safe_text(type(value).__name__)}.")
        values[key] = value
    config = SmsConfig(**values)
    if config.route not in ROUTES:
        raise ConfigError(f"Setting sms.route must be \"twilio\", \"modem\" or \"\", got "
                          f"{safe_text(config.route)!r}.")
    for key, (low, high) in RANGES.items():
        if not low <= getattr(config, key) <= high:
            raise ConfigError(f"Setting sms.{key} must be {low:g} to {high:g}.")
    if config.route == "twilio" and not SENDER.fullmatch(config.sender):
        raise ConfigError("Setting sms.sender must be the Twilio number to send from "
                          "(E.164, +447700900123) or a sender ID of 1 to 11 letters or digits.")
    if not config.api_url.startswith(("https://", "http://")):
        raise ConfigError("Setting sms.api_url must be an http(s) URL.")
    return config


def twilio_credentials(config: SmsConfig, environ: Mapping[str, str]) -> tuple[str, str]:
    """The account SID and token: the config's, else TWILIO_ACCOUNT_SID and
    TWILIO_AUTH_TOKEN from the environment. Never part of an error message."""
    sid = config.account_sid or environ.get("TWILIO_ACCOUNT_SID", "")
    token = config.auth_token or environ.get("TWILIO_AUTH_TOKEN", "")
    if not sid:
        raise ConfigError("Setting sms.account_sid is empty and TWILIO_ACCOUNT_SID is not "
                          "set: the Twilio account to send from.")
    if not SID.fullmatch(sid):
        raise ConfigError("Setting sms.account_sid (or TWILIO_ACCOUNT_SID) must be AC "
                          "followed by 32 hexadecimal digits.")
    if not token:
        raise ConfigError("Setting sms.auth_token is empty and TWILIO_AUTH_TOKEN is not "
                          "set: the account's auth token.")
    return sid, token
