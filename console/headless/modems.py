"""The gateway's GSM modems: one driver per [[modem]] section of the config.

Each section names the store's GSM modem device it is (its id or name) and the
environment variable holding its SIM's PIN; what is wrong with one is a single
ConfigError line naming the setting, and the gateway does not start. Each
driver then sits under the gateway's task supervisor like every other part
(a driver whose loop dies is an alarm and is started again with back-off).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from console.headless.config_devices import config_device
from core.access import AccessSnapshot
from core.config import DriverConfig, modem_pin
from core.devices import Driver
from core.errors import ConfigError
from core.model import DeviceType


def _modem_device(snapshot: AccessSnapshot, device: int | str, where: str) -> int:
    """The id of the GSM modem device a section names by id or name."""
    chosen = config_device(snapshot, device, f"Setting modem.device ({where})")
    if chosen.type is not DeviceType.GSM_MODEM:
        raise ConfigError(f"Setting modem.device ({where}): {chosen.name!r} is a "
                          f"{chosen.type.value}, not a GSM modem.")
    return chosen.id or 0


def make_modems(snapshot: AccessSnapshot, sections: list[DriverConfig], telemetry: Any,
                environ: Mapping[str, str] | None = None) -> list[Driver]:
    """A ModemDriver per [[modem]] section (not started)."""
    from drivers.modem.driver import ModemConfig, ModemDriver

    environ = os.environ if environ is None else environ
    drivers: list[Driver] = []
    modems = [s.settings for s in sections if s.type == "modem"]
    for n, settings in enumerate(modems, start=1):
        where = f"[[modem]] {n}"
        device_id = _modem_device(snapshot, settings["device"], where)
        config = ModemConfig(settings["port"], device_id, settings.get("baud", 115200),
                             modem_pin(settings, environ))
        drivers.append(ModemDriver(config, telemetry=telemetry))
    return drivers
