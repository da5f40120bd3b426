"""Site gateways: `doorkeeper gateway --site A --site B` owns those sites only.

A gateway with sites holds only their part of the snapshot, drives only their devices
and decides only for them; with none it owns every site (one gateway per store, the
single-machine default). On PostgreSQL every gateway hears every console's message
(console/headless/bus/pg.py): a command about a door, a reader or an alarm is carried
out and answered by the gateway that owns its site alone, the others stay silent.
On the Unix socket (one gateway) a command for a site it does not own is refused
with a line that says so. Claims, so that two gateways never serve one site, are the
PostgreSQL bus's advisory locks (pg_wire.claim_sites).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from core.access import AccessSnapshot
from core.bus import Kind, Message
from core.config import StoreConfig
from core.errors import ConfigError
from core.model import Alarm, Site, id_of
from store.database import Store
from store.spill import pg_spill_path


async def resolve_sites(store: Store, wanted: Iterable[str]) -> dict[int, str] | None:
    """The sites named on the command line (by name or id) as {id: name}; None for
    none (every site).

    Raises:
        ConfigError: a name or id that is no site of the store (one line, naming it).
    """
    names = [w.strip() for w in wanted]
    if not names:
        return None
    async with store.reader() as uow:
        sites = await uow.find(Site)
    by_id = {id_of(s): s.name for s in sites}
    by_name = {s.name.casefold(): id_of(s) for s in sites}
    owned: dict[int, str] = {}
    for name in names:
        site_id = by_name.get(name.casefold())
        if site_id is None and name.isdigit() and int(name) in by_id:
            site_id = int(name)
        if site_id is None:
            known = ", ".join(sorted(by_id.values())) or "none"
            raise ConfigError(f"--site {name!r}: there is no such site in the store "
                              f"(its sites: {known}).")
        owned[site_id] = by_id[site_id]
    return owned


class SiteScope:
    """What one gateway owns: some sites, or every site (`sites` None)."""

    def __init__(self, sites: dict[int, str] | None = None) -> None:
        self.sites = sites

    @property
    def ids(self) -> set[int] | None:
        """The owned sites' ids, None for every site."""
        return None if self.sites is None else set(self.sites)

    def owns_site(self, site_id: int | None) -> bool:
        return self.sites is None or site_id in self.sites

    def own_devices(self, device_ids: Iterable[int], snapshot: AccessSnapshot) -> list[int]:
        """The devices of this list that belong to the owned sites."""
        return [d for d in device_ids if self.sites is None or d in snapshot.devices]

    def describe(self) -> str:
        return "every site" if self.sites is None else ", ".join(sorted(self.sites.values()))

    async def owns(self, msg: Message, snapshot: AccessSnapshot, store: Store) -> bool:
        """Whether a command is about a door, reader or alarm of an owned site (a
        door or reader not in the snapshot is another gateway's, or none)."""
        if self.sites is None:
            return True
        kind = msg.get("type")
        if kind == Kind.OPEN_DOOR:
            return msg.get("door_id") in snapshot.doors
        if kind == Kind.RESTART_READER:
            return msg.get("device_id") in snapshot.devices
        if kind == Kind.ACK_ALARM:
            alarm_id = msg.get("alarm_id")
            if not isinstance(alarm_id, int) or isinstance(alarm_id, bool):
                return False
            async with store.reader() as uow:
                alarm = await uow.get(Alarm, alarm_id)
            return alarm is not None and alarm.site_id in self.sites
        return True

    def not_ours(self, msg: Message) -> str:
        """The refusal of a command for a site this gateway does not own (Unix socket)."""
        names: dict[str, str] = {Kind.OPEN_DOOR: "door", Kind.RESTART_READER: "reader",
                                 Kind.ACK_ALARM: "alarm"}
        what = names.get(str(msg.get("type")), "device")
        return (f"This {what} is not on a site this gateway serves ({self.describe()}); "
                "its site's gateway carries it out.")


async def scope_of(store: Store, bus: object, wanted: Iterable[str],
                   config: StoreConfig) -> SiteScope:
    """A gateway's scope from its --site options: the sites resolved, claimed by its
    bus (PostgreSQL; ConfigError if another gateway serves one), and its own spill
    journal on PostgreSQL (unless `[store] spill_path` names one), so site gateways on
    one machine share none."""
    scope = SiteScope(await resolve_sites(store, wanted))
    claim = getattr(bus, "claim", None)
    if callable(claim):  # before the event writer opens its journal: a gateway refused
        await claim(scope.sites)  # never touches the journal of the one that serves
    if store.is_postgres and not config.spill_path and scope.sites is not None:
        folder = store.spill_file.parent if store.spill_file else Path(config.path).parent
        store.spill_file = pg_spill_path(folder, sorted(scope.sites))
    return scope


def gateway_log(store: Store, config: StoreConfig, wanted: Iterable[str]) -> Path:
    """The gateway's log file when not under systemd: beside the SQLite store, or in the
    folder of `[store] path` for PostgreSQL (a URL is no place for a file); a site
    gateway's names its sites, so two on one machine never share one."""
    base = store.local
    names = ["".join(c if c.isalnum() else "_" for c in w.strip()) for w in wanted]
    if names:
        base = base.with_name(f"{base.stem}.sites-{'-'.join(names)}{base.suffix}")
    return base.with_suffix(".gateway.log")
