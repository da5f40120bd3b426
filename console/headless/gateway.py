"""`doorkeeper gateway`: the headless process that owns the devices.

Composition: the store (snapshot, event writer), the runtime (decisions), the
bus (core.bus.GatewayBus; its Unix-socket adapter by default), the drivers named
in the config, and a change watcher that reads the audit trail so a change saved by
any process is honoured within a second; `--site` limits it to some sites (sites.py).
SIGTERM/SIGINT stop it cleanly with every event durable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from console.headless.bus.connect import gateway_bus, shown
from console.headless.clock import ClockSource, ClockWatch
from console.headless.modems import make_modems
from console.headless.osdp_buses import OsdpBuses, plan_buses
from console.headless.repeats import Repeats
from console.headless.sites import SiteScope, scope_of
from console.headless.sms_routes import SmsRoutes, simulated_route
from console.headless.sms_sender import SmsSender
from console.headless.store_faults import PROBE_S, StoreFaults
from console.headless.store_modems import StoreModems, plan_modems
from console.headless.systemd import Notifier
from console.headless.tasks import TaskSupervisor
from core.bus import COMMANDS, GatewayBus, Kind, Message, MessageHandler, Peer, reply_to
from core.config import Config, DriverConfig
from core.devices import Driver
from core.errors import ConfigError, DoorkeeperError
from core.model import EventKind, Operator
from core.runtime import Runtime
from core.services import operations
from core.services.base import Actor
from core.text import safe_text
from store.database import Store
from store.events import EventWriter
from store.snapshot import (
    apply_changes,
    changes_since,
    last_change_id,
    load_snapshot,
    newest_event_at,
    offline_devices,
    open_alarm_devices,
    open_site_alarm,
)

log = logging.getLogger(__name__)
#: seconds between two publications of the devices' last seen and counters
HEALTH_INTERVAL = 1.0
#: how long each part may take to stop (a driver, the bus); the event writer has its own
STOP_TIMEOUT = 5.0


@dataclass
class GatewayOptions:
    """What the command line adds to the config."""

    simulate: bool = False
    rate: float | None = None
    clock: ClockSource | None = None  # the system's clocks and time services (tests: a fake)
    sites: list[str] = field(default_factory=list)  # --site: names or ids; none = every site
    probe_s: float = PROBE_S  # PostgreSQL: seconds between two probes of the centre


class Gateway:
    """One gateway process's parts, started and stopped together."""

    def __init__(self, config: Config, store: Store, options: GatewayOptions,
                 make_bus: Callable[[MessageHandler], GatewayBus] | None = None) -> None:
        self.config = config
        self.store = store
        self.options = options
        #: the bus's adapter, made with the gateway's handler: the Unix socket, or
        #: PostgreSQL's LISTEN/NOTIFY when the address is its URL, unless `make_bus` gives
        #: another (a test's)
        self.bus = (make_bus(self.on_message) if make_bus is not None
                    else gateway_bus(config.bus.path, self.on_message))
        self.drivers: list[Driver] = []
        self.runtime: Runtime | None = None
        self.scope = SiteScope()  # the sites it owns (console/headless/sites.py)
        self._changed = asyncio.Event()
        self._stopping = asyncio.Event()
        self.supervisor = TaskSupervisor(
            lambda name, why: self.faults.task_failed(name, why, self._task_failed))
        #: systemd's notify socket (Type=notify units): READY once started, WATCHDOG=1
        #: from the supervisor's check loop
        self.notifier = Notifier()
        self.supervisor.after_check = self.notifier.alive
        self.buses: OsdpBuses  # made in start(), once the runtime is
        self.writer: EventWriter | None = None
        self.sms_routes: SmsRoutes | None = None
        self.sms: SmsSender | None = None
        self.modems: StoreModems | None = None
        self._last_change = 0
        #: the store fault under way: raised once, from the writer or the centre probe
        self.faults = StoreFaults(store, self._system_event, lambda: self.writer.fault
                                  if self.writer else None, options.probe_s)
        self.clock = ClockWatch(self._system_event, lambda: newest_event_at(self.store),
                                source=options.clock, jump_s=config.gateway.clock_jump_s)

    async def start(self) -> None:
        """Load the snapshot, open the bus, start the drivers and the change watcher."""
        self.scope = scope = await scope_of(self.store, self.bus, self.options.sites,
                                            self.config.store)
        self._last_change = await last_change_id(self.store)
        snapshot = await load_snapshot(self.store, scope.ids)
        self.writer = writer = await self.store.event_writer()
        self.runtime = runtime = Runtime(snapshot, writer, self.bus.publish)
        writer.on_durable = runtime.announce  # published once stored (or journaled)
        writer.on_fault = self.faults.found  # PostgreSQL away: "Centre unreachable"
        writer.on_set_aside = lambda text: self._system_event(EventKind.EVENTS_SET_ASIDE, text)
        runtime.mark_offline(scope.own_devices(await offline_devices(self.store), snapshot))
        await self.bus.start()
        self.drivers = await self._make_drivers()
        runtime.drivers = self.drivers
        # a bad [sms] route stops the gateway here, as a bad driver section does
        self.sms_routes = SmsRoutes(simulated_route(self.config.sms, self.options.simulate),
                                    self.drivers, snapshot)
        poor = await open_alarm_devices(self.store, EventKind.COMMUNICATION_QUALITY)
        for driver in self.drivers:  # cleared once those readers answer well again
            driver.assume_poor_quality([d for d in scope.own_devices(poor, snapshot)
                                        if driver.handles(d)])
        for driver in self.drivers:
            await driver.start(runtime.report)
        sup = self.supervisor
        sup.watch("event writer", lambda: writer.running, writer.restart, writer.failure)
        for i, driver in enumerate(self.drivers):
            sup.watch(f"driver {driver.name} #{i + 1}", driver.alive,
                      lambda d=driver: self._restart_driver(d), driver.failure)
        # the OSDP buses: the config's and the store's readers, in step with every change
        self.buses = OsdpBuses(self.drivers, runtime, runtime.report, self._watch_bus,
                               lambda port: sup.unwatch(f"driver osdp {port}"),
                               runtime.device_event)
        self.buses.not_driven = dict.fromkeys(scope.own_devices(
            await open_alarm_devices(self.store, EventKind.READER_NOT_DRIVEN), snapshot), "")
        await self.buses.follow(plan_buses(snapshot, self.config.drivers))
        # the store's GSM modems (commissioned in the console), as the readers
        self.modems = StoreModems(self.drivers, runtime, runtime.report,
                                  lambda port, d: self._watch_bus(port, d, "modem"),
                                  lambda port: sup.unwatch(f"driver modem {port}"),
                                  runtime.device_event)
        self.modems.not_driven = dict.fromkeys(scope.own_devices(
            await open_alarm_devices(self.store, EventKind.MODEM_NOT_DRIVEN), snapshot), "")
        await self._follow_modems()
        if hasattr(self.bus, "running"):  # the socket's server, PostgreSQL's listener
            sup.watch("bus server", lambda: bool(getattr(self.bus, "running", True)),
                      self._restart_bus)
        sup.run("change watcher", self._watch_changes)
        if self.store.is_postgres:  # an idle gateway notices the centre away too
            sup.run("centre probe", self.faults.probe)
        # SMS to residents: the outbox, at the route's rate (docs/sms.md)
        sender = self.sms = SmsSender(self.store, self.sms_routes.config, self.sms_routes.route_for,
                                      lambda kind, text: runtime.system_event(kind, text))
        sup.run("SMS sender", sender.run)
        sup.run("device health", self._publish_health)
        if await open_site_alarm(self.store, EventKind.CLOCK_NOT_SYNCHRONISED):
            self.clock.synced = False  # cleared once the clock is found synchronised
        sup.run("clock", lambda: self.clock.run(self.config.gateway.clock_check_s,
                                                self._stopping))
        await sup.start()
        log.info("gateway started for %s: %d credentials, %d drivers, bus at %s",
                 scope.describe(), snapshot.credential_count, len(self.drivers),
                 shown(self.config.bus.path))
        self.notifier.ready(f"{snapshot.credential_count} credentials, {len(self.drivers)} drivers")

    async def _make_drivers(self) -> list[Driver]:
        from console.headless.simulation import simulator_for  # the simulator only when asked

        drivers: list[Driver] = []
        sections = list(self.config.drivers)
        if self.options.simulate and not any(d.type == "simulator" for d in sections):
            sections.append(DriverConfig("simulator", {}))
        for section in sections:
            if section.type == "simulator":
                settings = dict(section.settings)
                if self.options.rate is not None:
                    settings["rate"] = self.options.rate
                drivers.append(simulator_for(self.runtime.snapshot, settings))
            elif section.type not in ("osdp", "modem"):  # OSDP buses: OsdpBuses
                raise ConfigError(f"The {section.type} driver is not part of this version "
                                  "yet; remove its [[driver]] section.")
        return drivers + make_modems(self.runtime.snapshot, sections, self.runtime)

    async def _follow_buses(self) -> None:
        """Start, replace or stop OSDP drivers after a change (a store reader that cannot
        be driven is an alarm on its site until mended: OsdpBuses.follow). A config that
        no longer matches the store (an `[[osdp]]` reader naming a removed device) keeps
        the buses as they were and is an alarm: a person must mend the config."""
        try:
            await self.buses.follow(plan_buses(self.runtime.snapshot, self.config.drivers))
        except ConfigError as err:
            self.runtime.system_event(
                EventKind.GATEWAY_TASK_FAILED,
                f"OSDP buses not updated after a change: {err} The readers keep their "
                "last settings until the config is mended.")

    async def _follow_modems(self) -> None:
        """Start, replace or stop the drivers of the store's modems (simulated ones with
        --simulate); a modem that cannot be driven is an alarm until mended."""
        snapshot = self.runtime.snapshot
        simulated = (self.modems.simulate(snapshot, self.config.drivers)
                     if self.options.simulate else None)
        plans, not_driven = plan_modems(snapshot, self.config.drivers,
                                        set(self.buses.running), simulated)
        await self.modems.follow(plans, not_driven)

    def _watch_bus(self, port: str, driver: Driver, kind: str = "osdp") -> None:
        self.supervisor.watch(f"driver {kind} {port}", driver.alive,
                              lambda: self._restart_driver(driver), driver.failure)

    async def _watch_changes(self) -> None:
        """Read the audit trail for changes; reload what they touched."""
        poll = self.config.gateway.change_poll_ms / 1000
        reading = Repeats(log, "could not read changes")
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll):
                    await self._changed.wait()
            self._changed.clear()
            try:
                changes = await changes_since(self.store, self._last_change)
                if changes:
                    sites = await apply_changes(self.store, self.runtime.snapshot, changes,
                                                self.scope.ids)
                    self._last_change = changes[-1].id
                    if sites:  # a reader commissioned, moved or removed: its bus follows
                        await self._follow_buses()
                        await self._follow_modems()  # and a modem, its driver
                    if self.sms is not None and any(c.entity == "sms" for c in changes):
                        self.sms.wake()  # a campaign was queued
                    # consoles refresh what they show (a change by another concierge)
                    self.bus.publish({"type": Kind.CHANGED})
                reading.ended()
            except Exception as err:  # the store busy or away: try again (a line a while)
                reading.failed(err)

    async def _publish_health(self) -> None:
        """Every second, the health of the devices heard from since (Devices tab)."""
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(HEALTH_INTERVAL):
                    await self._stopping.wait()
            try:
                self.runtime.publish_health()
            except Exception:  # never let one bad state stop the health feed
                log.exception("could not publish device health")

    # --- faults ------------------------------------------------------------------------
    def _system_event(self, kind: EventKind, description: str) -> None:
        if self.runtime is not None:
            self.runtime.system_event(kind, description)

    def _task_failed(self, name: str, why: str) -> None:
        if self.runtime is not None:
            self.runtime.system_event(EventKind.GATEWAY_TASK_FAILED,
                                      f"Gateway task failed: {name} ({why}); restarting it.")

    async def _restart_driver(self, driver: Driver) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(driver.stop(), STOP_TIMEOUT)
        await driver.start(self.runtime.report)

    async def _restart_bus(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.bus.close(), STOP_TIMEOUT)
        await self.bus.start()

    # --- the bus ----------------------------------------------------------------------
    async def on_message(self, msg: Message, peer: Peer) -> None:
        """A console's notice or command; a bad one is answered, never fatal.

        The bus socket is the trust boundary (mode 0660, like the database file):
        commands are taken only from processes of the gateway's own user, which
        are the consoles that authenticated their operator.
        """
        kind = msg.get("type")
        reply = reply_to(msg)
        if kind == Kind.CHANGE:
            self._changed.set()
            return
        if kind in (Kind.HELLO, Kind.PING):
            if kind == Kind.HELLO:
                for state in self.runtime.device_states():
                    self.bus.send(peer, {"type": Kind.DEVICE, "device": state})
            self.bus.send(peer, reply)
            return
        if kind not in COMMANDS and kind != Kind.STUCK:
            log.warning("ignored a bus message of type %r", kind)
            return
        if kind in COMMANDS and not await self.scope.owns(msg, self.runtime.snapshot,
                                                          self.store):
            if not getattr(self.bus, "shared", False):  # the socket: this gateway alone
                self.bus.send(peer, {**reply, "ok": False, "error": self.scope.not_ours(msg)})
            return  # on PostgreSQL its owner answers
        uid = getattr(peer, "uid", None)
        if uid is not None and uid not in (os.getuid(), 0):
            log.warning("refused a %s command from uid %s", kind, uid)
            self.bus.send(peer, {**reply, "ok": False, "error": "Commands are taken only "
                                 "from Doorkeeper's own processes."})
            return
        if kind == Kind.STUCK:  # serve's watchdog restarted a process: a person should know
            self.runtime.system_event(EventKind.PROCESS_STUCK, str(msg["what"]))
            self.bus.send(peer, reply)
            return
        try:
            actor = await self._actor(msg.get("operator_id"), msg.get("source"))
            if kind == Kind.OPEN_DOOR:
                door = await operations.open_door(self.store.uow(), actor,
                                                  _int(msg, "door_id"), msg.get("seconds"))
                self.runtime.open_door(door, door.open_seconds, actor.operator.email,
                                       datetime.now(UTC))
            elif kind == Kind.RESTART_READER:
                device = await operations.restart_reader(self.store.uow(), actor,
                                                         _int(msg, "device_id"))
                if not self.buses.restart_session(device.id or 0):
                    raise DoorkeeperError(f"{device.name} is not on a bus this gateway "
                                          "drives yet.")
            else:
                alarm = await operations.acknowledge_alarm(
                    self.store.uow(), actor, _int(msg, "alarm_id"), str(msg.get("note", "")))
                self.bus.publish({"type": Kind.ALARM_ACKNOWLEDGED, "alarm_id": alarm.id,
                                  "by": actor.operator.email, "note": alarm.note})
        except DoorkeeperError as err:
            reply.update(ok=False, error=err.message)
        except Exception:  # a bad value the services did not foresee: answer, go on
            log.exception("bus command failed: %r", msg)
            reply.update(ok=False, error="The command could not be carried out.")
        self.bus.send(peer, reply)

    async def _actor(self, operator_id: object, source: object = None) -> Actor:
        """The operator a command names, at the console it came from (the bus when the
        sender did not say)."""
        if not isinstance(operator_id, int):
            raise DoorkeeperError("The command names no operator.")
        async with self.store.reader() as uow:
            operator = await uow.get(Operator, operator_id)
        if operator is None:
            raise DoorkeeperError(f"Operator {operator_id} does not exist.")
        where = safe_text(source) if isinstance(source, str) else ""
        return Actor(operator, source=where or "bus")

    # --- life --------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Ask the gateway to stop (signal handlers call this)."""
        self._stopping.set()
        self._changed.set()

    async def run(self) -> None:
        """Run until SIGTERM, SIGINT or SIGHUP, then stop cleanly."""
        loop = asyncio.get_running_loop()
        # SIGHUP too: a gateway started from a terminal that closes stops cleanly
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(sig, self.request_stop)
        try:
            await self.start()
            await self._stopping.wait()
        finally:
            await self.stop()

    async def stop(self) -> None:
        """Stop drivers (nothing new comes in), make every event durable, then close the
        bus (the last events are published first). Every step is bounded."""
        self.notifier.stopping()
        self._stopping.set()
        self._changed.set()
        await self.supervisor.stop()
        for driver in self.drivers:
            try:
                await asyncio.wait_for(driver.stop(), STOP_TIMEOUT)
            except Exception:
                log.exception("driver %s did not stop cleanly", driver.name)
        if self.sms_routes is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.sms_routes.close(), STOP_TIMEOUT)
        if self.modems is not None:
            await self.modems.close()  # their drivers are stopped: the simulated modems
        writer = self.writer
        try:
            await self.store.close()  # the event writer: store, else the spill journal
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.bus.close(), STOP_TIMEOUT)
        lost = writer.lost if writer is not None else 0
        log.info("gateway stopped; every event durable" if not lost
                 else f"gateway stopped; {lost} events lost (see the errors above)")


def _int(msg: Message, key: str) -> int:
    value = msg.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise DoorkeeperError(f"{key} must be a number.")
    return value
