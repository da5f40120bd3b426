"""Many sites on one PostgreSQL database, each served by its own `doorkeeper gateway --site`
process, and one `doorkeeper serve` whose SSH sessions watch them: the parts that
tests/test_scale_gateways.py and bench/bench_scale.py share (issue 21).

Each site has a block, three flats, four panels with a door each, a profile, passes, a
resident's name on the panels (with a telephone to call), and a desk operator (a
concierge of that site alone, with the given public key), so each desk's session opens
on its own site's tabs. The processes are real: the CLI's `gateway` and
`serve`, started as a site's operator would start them.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import asyncssh

from core.model import (
    AccessProfile,
    Block,
    CallStep,
    Device,
    DeviceType,
    Door,
    Operator,
    PanelDisplay,
    Site,
    TimeWindow,
    WeekType,
)
from core.rights import Profile
from core.services import (
    access_passes,
    blocks,
    devices,
    flats,
    operator_keys,
    operators,
    residents,
    schedules,
    sites,
)
from core.services.base import Actor
from store.database import Store

ROOT = Path(__file__).resolve().parent.parent
#: the claims' advisory-lock class (console/headless/bus/pg_wire.py, CLAIMS)
CLAIMS = 0x646B
SIZE = (100, 30)
#: panels per site: the simulator takes one of a site's devices offline now and then
#: (5 to 60 s, at most a quarter of them), and a site of one panel would fall silent
PANELS = 4


@dataclass
class ScaleSite:
    """One site of the estate (its first panel and door), and the desk operator who
    watches it."""

    name: str
    site_id: int
    door_id: int
    panel_id: int
    desk: str  # the concierge's email: the SSH user name
    timezone: str


async def add_sites(store: Store, admin: Actor, names: list[str], public_key: str,
                    first_pass: int = 1_000_000_000) -> list[ScaleSite]:
    """Each named site with its panel, door, pass and desk operator (built through the
    services, as a desk would)."""
    made: list[ScaleSite] = []
    for n, name in enumerate(names):
        site = await sites.create_site(store.uow(), admin, Site(
            name=name, max_panels=PANELS, max_flats=5, max_foreign_numbers=1,
            max_panel_names=3))
        block = await blocks.create_block(store.uow(), admin, Block(site.id, "Block A"))
        made_flats = await flats.create_flats(store.uow(), admin, block.id, 1, 3)
        panels = [await devices.create_device(store.uow(), admin, Device(
            site.id, f"PP4G : {name} {p + 1}", DeviceType.IPGUARD_4G, block_id=block.id,
            gsm_access_point=p == 0), [Door(0, 1, "Front door")]) for p in range(PANELS)]
        panel = panels[0]
        async with store.reader() as uow:
            doors = [(await uow.find(Door, device_id=p.id))[0] for p in panels]
        door = doors[0]
        week = await schedules.save_week_type(store.uow(), admin, WeekType(
            site.id, "Always", [TimeWindow(d, clock_time(0, 0), clock_time(23, 59))
                                for d in range(8)]))
        profile = await schedules.save_access_profile(store.uow(), admin, AccessProfile(
            site.id, "Profil - Block A", week.id, [d.id for d in doors]))
        await blocks.update_block(store.uow(), admin, block.id,
                                  default_access_profile_id=profile.id)
        await access_passes.create_access_passes(
            store.uow(), admin, site.id, str(first_pass + n * 100), 2,
            flat_id=made_flats[0].id)
        # a resident's name on the panels, so the simulator's visitors have someone to call
        phone = await residents.add_telephone(store.uow(), admin, made_flats[0].id,
                                              "07546277360")
        await residents.add_panel_display(store.uow(), admin, PanelDisplay(
            made_flats[0].id, "Sully Garfield", "A1", call_chain=[CallStep(phone.id, 20)]))
        desk = f"desk{n}@scale.example"
        op = await operators.add_operator(store.uow(), admin, Operator(email=desk))
        await operators.grant_site(store.uow(), admin, op.id, site.id, Profile.CONCIERGE)
        await operator_keys.add_key(store.uow(), admin, op.id, public_key)
        made.append(ScaleSite(name, site.id, door.id, panel.id, desk, site.timezone))
    return made


def write_config(folder: Path, url: str, session_nice: int | None = None) -> Path:
    """The config every process shares: the database's URL; logs and the host key in
    `folder` (each site gateway's journal is named by its sites, so they never share);
    with `session_nice`, the desks' `[ssh] session_nice` (else the default)."""
    path = folder / "doorkeeper.toml"
    ssh = "" if session_nice is None else f"[ssh]\nsession_nice = {session_nice}\n"
    path.write_text(f'[store]\nurl = "{url}"\npath = "{folder / "doorkeeper.db"}"\n{ssh}',
                    encoding="utf-8")
    return path


def gateway_process(config: Path, site: str, rate: float) -> subprocess.Popen[bytes]:
    """`doorkeeper gateway --site SITE --simulate --rate RATE`: its log goes to a file
    beside the config, and so does what it prints (a pipe nobody reads would fill and
    block it)."""
    with open(config.with_name(f"{site}.out"), "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "console.cli", "gateway", "--config", str(config),
             "--simulate", "--rate", f"{rate:g}", "--site", site],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)


async def wait_claims(socket: str, database: str, site_ids: list[int],
                      procs: list[subprocess.Popen[bytes]], timeout: float = 90.0) -> None:
    """Until every site is claimed by its gateway's bus (its advisory lock is held)."""
    con = await asyncpg.connect(host=socket, user="postgres", database=database)
    try:
        deadline = time.monotonic() + timeout
        while True:
            for proc in procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"a gateway stopped ({proc.returncode}): {proc.args}")
            held = {r[0] for r in await con.fetch(
                "SELECT objid FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                "WHERE locktype = 'advisory' AND classid = $1 AND objsubid = 2 AND granted "
                "AND d.datname = $2", CLAIMS, database)}
            if set(site_ids) <= held:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"sites {sorted(set(site_ids) - held)} never claimed")
            await asyncio.sleep(0.2)
    finally:
        await con.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_process(config: Path, port: int, workers: int = 1) -> subprocess.Popen[str]:
    """`doorkeeper serve` with no gateway of its own (the site gateways answer on the
    bus, so it uses them); returns once it says "Serving"."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "serve", "--config", str(config), "--listen",
         f"127.0.0.1:{port}", "--workers", str(workers)],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    lines = []
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("Serving") or time.monotonic() > deadline:
            break
    if not lines or not lines[-1].startswith("Serving"):
        proc.kill()
        raise RuntimeError("doorkeeper serve did not start:\n" + "".join(lines))
    # keep reading what serve prints, or a full pipe would one day block it
    threading.Thread(target=collections.deque, args=(proc.stdout, 200), daemon=True).start()
    return proc


def stop(procs: list[subprocess.Popen], timeout: float = 30.0) -> None:
    """SIGTERM each (serve's workers and sessions go with it), then wait; kill a laggard."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- SSH sessions --------------------------------------------------------------------------
@dataclass
class Desk:
    """One SSH console and every byte it received, with when."""

    number: int
    site: ScaleSite
    conn: asyncssh.SSHClientConnection | None = None
    process: asyncssh.SSHClientProcess | None = None
    out: bytearray = field(default_factory=bytearray)
    chunks: list[tuple[float, int]] = field(default_factory=list)  # (time, end offset)
    reader: asyncio.Task | None = None
    more: asyncio.Event = field(default_factory=asyncio.Event)

    def when_offset(self, needle: bytes, offset: int) -> int:
        """Where `needle` ends in the output, after `offset` (it must be there)."""
        at = self.out.find(needle, offset)
        assert at >= 0, needle
        return at + len(needle)

    def when(self, needle: bytes, offset: int) -> float | None:
        """When the first byte of `needle` after `offset` arrived."""
        at = self.out.find(needle, offset)
        if at < 0:
            return None
        return next((t for t, end in self.chunks if end > at), None)

    async def wait(self, needle: bytes, offset: int = 0, timeout: float = 60.0) -> float:
        deadline = time.perf_counter() + timeout
        while (t := self.when(needle, offset)) is None:
            left = deadline - time.perf_counter()
            if left <= 0:
                tail = self.out[-400:].decode(errors="replace")
                raise TimeoutError(f"desk {self.number}: {needle!r} never came; last: {tail!r}")
            self.more.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.more.wait(), left)
        return t

    def send(self, data: bytes) -> int:
        """Type `data`; the offset of the output after it."""
        assert self.process is not None
        offset = len(self.out)
        self.process.stdin.write(data)
        return offset

    async def close(self) -> None:
        if self.process is not None:
            self.process.stdin.write(b"\x11")  # Ctrl+Q
        if self.conn is not None:
            self.conn.close()
        if self.reader is not None:
            self.reader.cancel()


async def open_desk(number: int, site: ScaleSite, port: int, key: Path,
                    events_tab: bool = True) -> Desk:
    """An SSH session (PTY 100x30) as the site's desk operator, from its own loopback
    address, on the Events tab (the live tail) when asked."""
    desk = Desk(number, site)
    desk.conn = await asyncssh.connect(
        "127.0.0.1", port, local_addr=(f"127.0.{1 + number // 200}.{1 + number % 200}", 0),
        username=site.desk, client_keys=[str(key)], known_hosts=None, agent_path=None)
    desk.process = await desk.conn.create_process(term_type="xterm-256color", term_size=SIZE,
                                                  encoding=None)

    async def read() -> None:
        assert desk.process is not None
        while data := await desk.process.stdout.read(1 << 16):
            desk.out += data
            desk.chunks.append((time.perf_counter(), len(desk.out)))
            desk.more.set()

    desk.reader = asyncio.get_running_loop().create_task(read())
    await desk.wait(b"Blocks", 0, timeout=120)
    if events_tab:
        offset = desk.send(b"5")
        await desk.wait(b"Date & time", offset, timeout=120)
    return desk


@dataclass
class Seen:
    """An event as the bus brought it here: when, and how a screen writes its time."""

    at: float
    site_id: int
    needle: bytes
    offsets: dict[int, int]


class Feed:
    """The bus as this process hears it: the first event of each second of each site
    (the Events tab shows the time to the second, so a later event of the same second
    could only make the measure longer, never shorter)."""

    def __init__(self, desks: list[Desk]) -> None:
        self.desks = desks
        self.seen: list[Seen] = []
        self._seconds: set[tuple[int, str]] = set()
        self.on = False
        self.heard = 0  # every event heard while on, measured or not
        self.heard_by_site: collections.Counter[int] = collections.Counter()

    async def run(self, bus) -> None:
        zones = {d.site.site_id: ZoneInfo(d.site.timezone) for d in self.desks}
        async for msg in bus.messages():
            event = msg.get("event") if msg.get("type") == "event" else None
            if not isinstance(event, dict):
                continue
            site_id = event.get("site_id")
            if not self.on or site_id not in zones:
                continue
            self.heard += 1
            self.heard_by_site[site_id] += 1
            shown = datetime.fromisoformat(event["at"]).astimezone(zones[site_id]).strftime(
                "%Y-%m-%d %H:%M:%S")
            if (site_id, shown) in self._seconds:
                continue
            self._seconds.add((site_id, shown))
            self.seen.append(Seen(time.perf_counter(), site_id, shown.encode(),
                                  {d.number: len(d.out) for d in self.desks
                                   if d.site.site_id == site_id}))

    def latencies(self) -> tuple[dict[int, list[float]], int]:
        """Seconds from the bus to each watching desk's screen, by site; the misses."""
        by_site: dict[int, list[float]] = collections.defaultdict(list)
        missed = 0
        for seen in self.seen:
            for desk in self.desks:
                if desk.number not in seen.offsets:
                    continue
                t = desk.when(seen.needle, seen.offsets[desk.number])
                if t is None:
                    missed += 1
                else:
                    by_site[seen.site_id].append(t - seen.at)
        return by_site, missed
