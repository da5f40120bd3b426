"""`doorkeeper status [--json]`: one line per part, OK / WARN / FAIL, for monitoring systems.

The exit status follows the Nagios plugin convention (Icinga, Zabbix and others read
it too): 0 when every part is OK, 1 when the worst is WARN, 2 when one FAILs. It reads;
it never migrates, repairs or creates anything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path

from console.cli_backup import backup_folder
from console.cli_output import say
from console.cli_store import bus_beside_db, empty_file, store_file
from core.config import Config
from core.errors import DoorkeeperError
from core.model import EventKind
from core.text import safe_text

OK, WARN, FAIL = "OK", "WARN", "FAIL"
EXIT = {OK: 0, WARN: 1, FAIL: 2}
#: a newest backup older than this is a WARN (the timer runs daily)
BACKUP_STALE_H = 26
#: serve rewrites its status every half second; this long without is stuck
SERVE_STALE_S = 10
DEVICE_ALARMS = (EventKind.DEVICE_OFFLINE, EventKind.READER_NOT_DRIVEN,
                 EventKind.COMMUNICATION_QUALITY)


@dataclass
class Part:
    part: str
    state: str
    detail: str


def register(sub, common: argparse.ArgumentParser) -> None:
    """Add the `status` command to the CLI."""
    status = sub.add_parser("status", parents=[common],
                            help="gateway, drivers, store, bus, SSH workers, backups, clock: "
                                 "OK/WARN/FAIL (exit 0/1/2)")
    status.add_argument("--json", action="store_true", help="one JSON object, for scripts")
    status.add_argument("--bus", metavar="PATH", help="the bus socket, overrides the config")


async def _gateway(address: str) -> tuple[Part, Part]:
    from console.headless.bus.connect import may_answer, shown
    from console.headless.children import gateway_answers

    bus = shown(address)  # a PostgreSQL URL's password hidden
    if not may_answer(address):
        return (Part("gateway", FAIL, f"no gateway: there is no bus socket at {bus}"),
                Part("bus", FAIL, f"no socket at {bus}"))
    began = time.monotonic()
    try:
        async with asyncio.timeout(3):
            await gateway_answers(address)
    except (DoorkeeperError, OSError, TimeoutError) as err:
        why = err.message if isinstance(err, DoorkeeperError) else "no answer within 3 s"
        return Part("gateway", FAIL, why), Part("bus", FAIL, f"{bus} does not answer")
    ms = (time.monotonic() - began) * 1000
    return (Part("gateway", OK, f"answers on the bus in {ms:.0f} ms"),
            Part("bus", OK, f"{bus} takes connections"))


def _store(db: Path, alarms: dict[str, tuple[int, int]]) -> Part:
    from store.doctor import examine

    findings = examine(db)
    problems = [f.what for f in findings if f.problem]
    if problems:
        return Part("store", FAIL, problems[0])
    fault = alarms.get(EventKind.STORE_FAULT.value, (0, 0))[0]
    if fault:
        return Part("store", FAIL, "a 'Store fault' alarm is open (the events wait in the "
                                   "spill journal)")
    aside = alarms.get(EventKind.EVENTS_SET_ASIDE.value, (0, 0))[1]
    if aside:  # events may be missing: someone must look at the journal's .damaged file
        return Part("store", WARN, f"{aside} 'Events set aside' alarm(s) not acknowledged")
    notes = [f.what for f in findings if "spill journal" in f.what]
    if notes:
        return Part("store", WARN, notes[0])
    schema = next((f.what for f in findings if f.what.startswith("Schema")), "")
    return Part("store", OK, f"integrity ok; {schema[:-1].lower() if schema else 'schema ?'}")


def _unreadable(db: Path, err: Exception) -> Part:
    """A store that cannot be opened: the doctor's plain reason, else the error's first
    line (not the SQL statement and the link a database error carries)."""
    found = _store(db, {})
    if found.state == FAIL:
        return found
    reason = str(getattr(err, "orig", None) or err).split("\n", 1)[0]
    return Part("store", FAIL, f"cannot be read: {reason}")


def _drivers(alarms: dict[str, tuple[int, int]]) -> Part:
    open_ = [(k.value, alarms[k.value][0]) for k in DEVICE_ALARMS if k.value in alarms]
    failed = alarms.get(EventKind.GATEWAY_TASK_FAILED.value, (0, 0))[1]
    if failed:
        return Part("drivers", WARN, f"{failed} 'Gateway task failed' alarm(s) not acknowledged")
    if open_:
        return Part("drivers", WARN, ", ".join(f"{n} '{kind}'" for kind, n in open_))
    return Part("drivers", OK, "no device offline, every reader driven")


def _serve(db: Path) -> Part:
    from console.headless.supervisor import status_path

    path = status_path(str(db))
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
        pid, at = int(status.get("pid", 0)), float(status.get("at", 0))
        alive, workers = int(status.get("alive", 0)), int(status.get("workers", 0))
        if not 0 < pid < 2**31 or not math.isfinite(at):  # a pid_t; -1 signals every process
            raise ValueError("not serve's status")
    except FileNotFoundError:
        return Part("ssh workers", OK, "serve is not running here (no SSH consoles)")
    except (OSError, ValueError, TypeError, AttributeError, OverflowError) as err:
        why = err.strerror if isinstance(err, OSError) else "not serve's status"
        return Part("ssh workers", FAIL, f"{path} cannot be read: {why}")
    age = time.time() - at
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return Part("ssh workers", FAIL, f"serve (pid {pid}) is gone without stopping")
    except PermissionError:
        pass  # another user's process: it exists
    if age > SERVE_STALE_S:
        return Part("ssh workers", FAIL, f"serve (pid {pid}) has not looked at its workers "
                                         f"for {age:.0f} s")
    state = OK if alive >= workers else WARN
    return Part("ssh workers", state, f"{alive} of {workers} workers up on "
                                      f"{status.get('listen', '?')}")


def _backups(config: Config, db: Path) -> Part:
    from store.backup import newest_backup

    folder = backup_folder(config, db)
    newest = newest_backup(folder) if folder.is_dir() else None
    if newest is None:
        return Part("backups", WARN, f"no backup in {folder} (doorkeeper backup)")
    hours = (time.time() - newest.stat().st_mtime) / 3600
    state = OK if hours <= BACKUP_STALE_H else WARN
    return Part("backups", state, f"newest {hours:.0f} h old: {newest.name}")


async def _clock(alarms: dict[str, tuple[int, int]], newest: datetime | None) -> Part:
    """The gateway's own check (console/headless/clock.py), once, from here."""
    from console.headless.clock import ClockWatch

    async def newest_event() -> datetime | None:
        return newest

    said: list[str] = []
    watch = ClockWatch(lambda _kind, text: said.append(text), newest_event)
    await watch.check()
    if said:
        return Part("clock", FAIL, said[0].removeprefix("Clock not synchronised: "))
    if alarms.get(EventKind.CLOCK_NOT_SYNCHRONISED.value):
        return Part("clock", FAIL, "the gateway's 'Clock not synchronised' alarm is open")
    if watch.how == "no time service":
        return Part("clock", WARN, "no time service answers (timedatectl, chronyc); the "
                                   "clock is not behind the newest stored event")
    return Part("clock", OK, f"synchronised ({watch.how})")


async def run(args: argparse.Namespace, config: Config) -> int:
    """Check every part; print them; exit 0, 1 or 2 by the worst."""
    from store.alarm_queries import open_alarms_by_kind
    from store.database import Store
    from store.snapshot import newest_event_at

    bus_beside_db(config, args)
    db = store_file(config, args.db)
    if db is None:
        raise DoorkeeperError("doorkeeper status checks a SQLite store; a database server "
                              "is checked by its own monitoring.")
    gateway, bus = await _gateway(config.bus.path)
    alarms: dict[str, tuple[int, int]] = {}
    newest = None
    if empty_file(db):
        store_part = Part("store", FAIL, f"{db} is an empty file, not a store")
    elif db.is_file():
        try:
            store = await Store.open(config.store, path=db, migrate=False)
            try:
                alarms = await open_alarms_by_kind(store)
                newest = await newest_event_at(store)
            finally:
                await store.close()
        except Exception as err:  # noqa: BLE001 - the store part names the trouble
            store_part = _unreadable(db, err)
        else:
            store_part = _store(db, alarms)
    else:
        store_part = Part("store", FAIL, f"no store at {db}")
    parts = [gateway, _drivers(alarms), store_part, bus, _serve(db), _backups(config, db),
             await _clock(alarms, newest)]
    # one line a part: a detail may quote SQLite's report over several, or a file's name
    parts = [replace(p, detail=safe_text(p.detail)) for p in parts]
    worst = max((p.state for p in parts), key=EXIT.__getitem__)
    if args.json:
        say(json.dumps({"status": worst, "parts": [asdict(p) for p in parts]}))
    else:
        for p in parts:
            say(f"{p.part:<12} {p.state:<4}  {p.detail}")
    return EXIT[worst]
