"""The store's device that a config section (`[[osdp.reader]]`, `[[modem]]`) names."""

from __future__ import annotations

from core.access import AccessSnapshot
from core.errors import ConfigError
from core.model import Device


def config_device(snapshot: AccessSnapshot, device: int | str, where: str) -> Device:
    """The device named by id or by (unique) name; ConfigError saying `where` if none."""
    if isinstance(device, str):
        found = [d for d in snapshot.devices.values() if d.name == device]
        if len(found) != 1:
            raise ConfigError(f"{where}: {device!r} "
                              + ("is not a device in the store." if not found
                                 else "names several devices; give its id."))
        return found[0]
    if device not in snapshot.devices:
        raise ConfigError(f"{where}: no device {device} in the store.")
    return snapshot.devices[device]
