"""SMS through a GSM modem: the outbox's messages as AT+CMGS in text mode.

The modem gives each message a reference (`+CMGS: <mr>`), stored as the message's
provider reference; a modem in text mode reports no delivery here, so a message the
network took is "sent" and stays so. Text mode carries the GSM-7 alphabet: a
message that needs UCS-2 fails with that reason (send it through Twilio).
"""

from __future__ import annotations

from core import sms
from core.sms import MessageStatus
from core.sms_port import PermanentSmsError, SmsRoute, SmsRouteFault, TransientSmsError
from drivers.modem.channel import ModemPortError, ModemTimeout
from drivers.modem.codec import CmeError, CmsError, ModemError
from drivers.modem.driver import ModemDriver

#: +CMS ERROR codes that may pass: the network or the SMS centre, not the message
TRANSIENT_CMS = frozenset({330, 331, 332})
#: +CME ERROR codes that may pass: no network for now
TRANSIENT_CME = frozenset({14, 30, 31, 100})


class ModemRoute(SmsRoute):
    """Messages through the site's modem (its gateway driver)."""

    name = "modem"
    polls = False

    def __init__(self, driver: ModemDriver) -> None:
        self.driver = driver

    async def send(self, number: str, text: str) -> tuple[str, MessageStatus]:
        """AT+CMGS; the modem's message reference."""
        if sms.encoding(text) is not sms.Encoding.GSM7:
            raise PermanentSmsError("The modem sends GSM-7 text only; this message needs "
                                    "UCS-2 (send it through Twilio).")
        try:
            reference = await self.driver.send_sms(number, text)
        except ModemPortError as err:
            raise SmsRouteFault(f"Modem: {err}") from err
        except ModemTimeout as err:
            raise TransientSmsError(f"Modem: {err}") from err
        except CmsError as err:
            if err.code is None or err.code >= 500 or err.code in TRANSIENT_CMS:
                raise TransientSmsError(f"Modem: +CMS ERROR {err.code} {err.name}") from err
            raise PermanentSmsError(f"Modem: +CMS ERROR {err.code} {err.name}") from err
        except CmeError as err:
            if err.code in TRANSIENT_CME:
                raise TransientSmsError(f"Modem: +CME ERROR {err.name}") from err
            raise PermanentSmsError(f"Modem: +CME ERROR {err.name}") from err
        except ModemError as err:
            raise TransientSmsError(f"Modem: {err}") from err
        return str(reference), MessageStatus.SENT
