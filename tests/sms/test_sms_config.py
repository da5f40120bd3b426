"""[sms]: each wrong setting is one line naming it; the Twilio credentials come from the
config or the environment and are never part of a message or a repr."""

from __future__ import annotations

import pytest

from core.config import load_config
from core.config_sms import SmsConfig, twilio_credentials
from core.errors import ConfigError

SID = "AC" + "a1" * 16


@pytest.mark.parametrize("body, named", [
    ('route = "twillio"', "sms.route"),
    ('route = "twilio"\nsender = "not a sender!"', "sms.sender"),
    ("rate = 0", "sms.rate"),
    ("rate = 5000.0", "sms.rate"),
    ('rate = "fast"', "sms.rate must be a float"),
    ("max_attempts = 0", "sms.max_attempts"),
    ('api_url = "ftp://x"', "sms.api_url"),
    ("colour = 1", "Unknown setting sms.colour"),
], ids=["route", "sender", "rate-0", "rate-high", "rate-text", "attempts", "url", "unknown"])
def test_a_wrong_setting_is_one_line_naming_it(tmp_path, body, named):
    path = tmp_path / "c.toml"
    path.write_text(f"[sms]\n{body}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert named in err.value.message and "\n" not in err.value.message


def test_an_integer_rate_and_the_defaults(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[sms]\nroute = "modem"\nrate = 2\n')
    assert load_config(path).sms == SmsConfig(route="modem", rate=2.0)
    assert load_config(None).sms.route == ""


def test_credentials_from_the_config_or_the_environment_never_shown():
    config = SmsConfig(route="twilio", sender="Doorkeeper", auth_token="s3cret-token")
    with pytest.raises(ConfigError, match="TWILIO_ACCOUNT_SID is not set"):
        twilio_credentials(config, {})
    assert twilio_credentials(config, {"TWILIO_ACCOUNT_SID": SID}) == (SID, "s3cret-token")
    bare = SmsConfig(route="twilio", sender="Doorkeeper", account_sid=SID)
    assert twilio_credentials(bare, {"TWILIO_AUTH_TOKEN": "from-env"}) == (SID, "from-env")
    with pytest.raises(ConfigError) as err:
        twilio_credentials(SmsConfig(account_sid="ACnothex"), {"TWILIO_AUTH_TOKEN": "t"})
    assert "ACnothex" not in err.value.message
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN is not set"):
        twilio_credentials(bare, {})
    assert "s3cret" not in repr(config)
