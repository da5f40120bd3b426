"""Which route each site's SMS go out by, from the [sms] section.

"twilio": one Twilio account for every site (the SID and token from the config or
TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN, checked when the gateway starts: a missing
one stops it with one line naming the setting). "modem": the site's own GSM modem,
the first the gateway drives on that site (none: the site's messages wait, an
alarm says why). "": no route; campaigns wait in the outbox.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from core.access import AccessSnapshot
from core.config_sms import SmsConfig, twilio_credentials
from core.devices import Driver
from core.sms_port import SmsRoute


def simulated_route(config: SmsConfig, simulate: bool) -> SmsConfig:
    """With simulated devices and no route set, the sites' simulated modems send: the
    demo's Messages screen goes all the way to "sent" and nothing reaches a telephone."""
    return replace(config, route="modem") if simulate and not config.route else config


class SmsRoutes:
    """The routes of this gateway's sites."""

    def __init__(self, config: SmsConfig, drivers: list[Driver], snapshot: AccessSnapshot,
                 environ: Mapping[str, str] | None = None) -> None:
        self.config, self.drivers, self.snapshot = config, drivers, snapshot
        self._twilio: SmsRoute | None = None
        self._modems: dict[int, Any] = {}  # the ModemDriver each ModemRoute wraps, by id
        if config.route == "twilio":
            from drivers.twilio_sms import TwilioRoute  # aiohttp only when it is the route

            sid, token = twilio_credentials(config, os.environ if environ is None else environ)
            self._twilio = TwilioRoute(sid, token, config.sender, api_url=config.api_url)

    def route_for(self, site_id: int) -> SmsRoute | None:
        """The route of a site's messages, or None when it has none."""
        if self._twilio is not None:
            return self._twilio
        if self.config.route != "modem":
            return None
        from drivers.modem.driver import ModemDriver
        from drivers.modem.sms import ModemRoute

        modems = sorted((d for d in self.drivers if isinstance(d, ModemDriver)),
                        key=lambda d: d.config.device_id)
        for driver in modems:
            device = self.snapshot.devices.get(driver.config.device_id)
            if device is not None and device.site_id == site_id:
                route = self._modems.get(id(driver))
                if route is None or route.driver is not driver:
                    route = self._modems[id(driver)] = ModemRoute(driver)
                return route
        return None

    async def close(self) -> None:
        if self._twilio is not None:
            await self._twilio.close()
