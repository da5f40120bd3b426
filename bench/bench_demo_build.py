#!/usr/bin/env python3
"""Time to build the demo estate with its default 200,000-event history, and what it holds.

What is measured
----------------
`doorkeeper demo --no-ui --db <tmp> --seed 1` is run in a subprocess (the
venv's `doorkeeper` console script, or `python -m console.cli` when there is
none) on a fresh temporary file, with the default 200,000 past events. The
baseline, in the same run, is the estate alone: the same command with
`--events 0` (should that command fail, the failure is reported as a FAIL
check and the baseline is taken with `--events 1`). Both wall-clock times (process start to exit) and the builder's
own figure ("... in X s") are printed, then the events part (the difference)
and the events/s of the history part (generation plus the event writer).
With `--repeat K` the two builds alternate K times and medians are used.
A build of an estate the other benchmarks keep in the temp folder (the estate
alone, or the default history; `_common.demo_estate`) is made into that file when
it is missing: the same command, timed the same way, and one build fewer for them.

The resulting database is then read with plain sqlite3 and its counts are
printed (sites, blocks, flats, the largest block, telephones, panel displays,
APasses by state, devices by type, operators by profile, events and the days
they span) and checked against the issue's minimums: 3 sites, >= 8 blocks, one
block of 1,998 flats, >= 2,400 flats, >= 3,000 APasses with some lost and some
in stock, a device of every core.model.DeviceType, >= 200,000 events over
<= 90 days, and an operator of each profile (core.rights.Profile, as stored in
site_grants.profile).

A failed check prints FAIL but the exit status stays 0; only a broken
benchmark (the full build cannot run) exits non-zero.

How to run
----------
    make bench                                 # every bench/bench_*.py
    .venv/bin/python bench/bench_demo_build.py # this one
    .venv/bin/python bench/bench_demo_build.py --repeat 3   # medians of 3 of each
    .venv/bin/python bench/bench_demo_build.py --quick      # a history of 2,000 events

In quick mode the history has 2,000 events (`--events`) and the events check
asks for those instead of 200,000; the estate's checks are the same.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    QUICK,
    QUICK_HELP,
    ROOT,
    Checks,
    building_estate,
    estate_path,
    median,
    remove_db,
    table,
)

from core.model import APassState, DeviceType
from core.rights import Profile

SEED = 1
DEFAULT_EVENTS = 200_000  # what `doorkeeper demo` builds without --events
TIMEOUT_S = 900


def doorkeeper() -> list[str]:
    """The command that runs `doorkeeper` with this interpreter's environment."""
    script = Path(sys.executable).parent / "doorkeeper"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "console.cli"]


def build(db: Path, events: int | None) -> tuple[float, float | None, subprocess.CompletedProcess]:
    """Run the demo build; wall seconds, the builder's own seconds, the process."""
    cmd = [*doorkeeper(), "demo", "--no-ui", "--db", str(db), "--seed", str(SEED)]
    if events is not None:
        cmd += ["--events", str(events)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S)
    wall = time.perf_counter() - t0
    m = re.search(r" in ([0-9.]+) s\.", proc.stdout)
    return wall, float(m.group(1)) if m else None, proc


def build_or_keep(path: Path, events: int | None
                  ) -> tuple[Path, float, float | None, subprocess.CompletedProcess]:
    """`build(path, events)`; or, when the other benchmarks keep this estate and it is
    missing (and no one else is making it), the same build into the kept file. The
    file built, then what `build` returns."""
    kept = DEFAULT_EVENTS if events is None else events
    if kept not in (0, DEFAULT_EVENTS):
        return (path, *build(path, events))
    with building_estate(kept, wait=False) as partial:
        if partial is None:
            return (path, *build(path, events))
        wall, mine, proc = build(partial, events)
        if proc.returncode != 0:
            remove_db(partial)  # not kept
            return path, wall, mine, proc
    return estate_path(kept), wall, mine, proc


def last_line(proc: subprocess.CompletedProcess) -> str:
    lines = (proc.stderr or proc.stdout).strip().splitlines()
    return lines[-1] if lines else "(no output)"


def median_pair(runs: list[tuple[float, float | None]]) -> tuple[float, float | None]:
    """Median wall seconds and median builder seconds (None when any is missing)."""
    mine = [m for _, m in runs]
    return (median([w for w, _ in runs]),
            None if None in mine else median([m for m in mine if m is not None]))


def own(seconds: float | None) -> str:
    """The builder's own figure, or "?" when its summary line was not found."""
    return "?" if seconds is None else f"{seconds:.1f}"


def scalar(con: sqlite3.Connection, sql: str) -> int | float | None:
    return con.execute(sql).fetchone()[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=1,
                    help="builds of each kind, alternating, medians reported (1)")
    ap.add_argument("--events", type=int, default=2_000 if QUICK else None,
                    help=f"past events of the full build (the demo's default, "
                         f"{DEFAULT_EVENTS:,}; 2,000 with --quick)")
    ap.add_argument("--quick", action="store_true", help=QUICK_HELP)
    args = ap.parse_args(argv)
    if args.repeat < 1 or (args.events is not None and args.events < 1):
        ap.error("--repeat and --events must be 1 or more")
    want_events = DEFAULT_EVENTS if args.events is None else args.events
    print(f"Demo build: doorkeeper demo --no-ui --seed {SEED} "
          + ("(default " if args.events is None else "(--events ")
          + f"{want_events:,} events) against the estate alone (--events 0), {args.repeat} "
          f"build(s) of each; command: {' '.join(Path(c).name for c in doorkeeper())}")
    print()
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        tmpdir = Path(tmp)
        db: Path | None = None  # the first full build's database: its contents are checked
        base_events, base_ok = 0, True
        base: list[tuple[float, float | None]] = []
        full: list[tuple[float, float | None]] = []
        summary = ""
        for r in range(args.repeat):
            for kind in (("estate", "full") if r % 2 == 0 else ("full", "estate")):
                path = tmpdir / f"{'demo' if kind == 'full' else 'estate'}-{r}.db"
                if kind == "full":
                    path, wall, mine, proc = build_or_keep(path, args.events)
                    if proc.returncode != 0:
                        raise SystemExit(f"doorkeeper demo failed ({proc.returncode}): "
                                         f"{last_line(proc)}")
                    full.append((wall, mine))
                    summary = proc.stdout.strip().splitlines()[-1]
                    db = db or path
                else:
                    path, wall, mine, proc = build_or_keep(path, base_events)
                    if proc.returncode != 0 and base_events == 0:
                        base_ok = False
                        print(f"NOTE: '--events 0' exited {proc.returncode}: "
                              f"{last_line(proc)}")
                        print("      The baseline is taken with '--events 1' instead.")
                        print()
                        base_events = 1
                        for suffix in ("", "-wal", "-shm"):
                            Path(f"{path}{suffix}").unlink(missing_ok=True)
                        wall, mine, proc = build(path, base_events)
                    if proc.returncode != 0:
                        raise SystemExit(f"the estate alone cannot be built: {last_line(proc)}")
                    base.append((wall, mine))
                if path != db and path.parent == tmpdir:
                    remove_db(path)
        print(summary)
        print()

        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        n_events = scalar(con, "SELECT count(*) FROM events")
        base_wall, base_own = median_pair(base)
        full_wall, full_own = median_pair(full)
        part_events = n_events - base_events
        part_wall = full_wall - base_wall
        part_own = full_own - base_own if full_own is not None and base_own is not None else None
        label = "median " if args.repeat > 1 else ""
        table(("run", "events", f"{label}wall s", f"{label}builder s", "events/s"), [
            (f"estate alone (--events {base_events})", base_events, f"{base_wall:.1f}",
             own(base_own), ""),
            ("estate + history" + (" (default)" if args.events is None else ""), n_events,
             f"{full_wall:.1f}", own(full_own), ""),
            ("history part (difference)", part_events, f"{part_wall:.1f}", own(part_own),
             f"{part_events / part_wall:,.0f}" if part_wall > 0 else "?"),
        ])
        print()

        # What the database holds.
        sites = scalar(con, "SELECT count(*) FROM sites")
        blocks = scalar(con, "SELECT count(*) FROM blocks")
        flats = scalar(con, "SELECT count(*) FROM flats")
        biggest = con.execute("SELECT b.name, count(f.id) AS n FROM blocks b "
                              "LEFT JOIN flats f ON f.block_id = b.id GROUP BY b.id "
                              "ORDER BY n DESC LIMIT 1").fetchone() or ("-", 0)
        has_1998 = scalar(con, "SELECT count(*) FROM (SELECT block_id FROM flats "
                               "GROUP BY block_id HAVING count(*) = 1998)")
        phones = dict(con.execute("SELECT kind, count(*) FROM telephones GROUP BY kind"))
        displays = scalar(con, "SELECT count(*) FROM panel_displays")
        passes = dict(con.execute("SELECT state, count(*) FROM access_passes GROUP BY state"))
        devices = dict(con.execute("SELECT type, count(*) FROM devices GROUP BY type"))
        operators = scalar(con, "SELECT count(*) FROM operators")
        profiles = dict(con.execute("SELECT profile, count(DISTINCT operator_id) "
                                    "FROM site_grants GROUP BY profile"))
        span = scalar(con, "SELECT julianday(max(at)) - julianday(min(at)) FROM events") or 0.0
        alarms = scalar(con, "SELECT count(*) FROM alarms")
        con.close()

        rows: list[tuple[str, object]] = [
            ("sites", sites), ("blocks", blocks), ("flats", flats),
            (f"max flats in one block ({biggest[0]})", biggest[1]),
            ("telephones + emails",
             f"{sum(phones.values()):,} ({', '.join(f'{k} {v:,}' for k, v in phones.items())})"),
            ("panel displays", displays), ("APasses", sum(passes.values())),
        ]
        rows += [(f"  APasses {s.value}", passes.get(s.value, 0)) for s in APassState]
        rows.append(("devices", sum(devices.values())))
        rows += [(f"  {t.value}", devices.get(t.value, 0)) for t in DeviceType]
        rows.append(("operators", operators))
        rows += [(f"  operators with profile {p.value}", profiles.get(p.value, 0))
                 for p in Profile]
        rows += [("events", n_events), ("event time span (days)", f"{span:.1f}"),
                 ("alarms", alarms)]
        table(("in the database", "count"), rows)
        print()

    checks.check("demo --events 0 exits 0", base_ok, "yes" if base_ok else "no", "exit 0")
    checks.check("sites", sites == 3, sites, "== 3")
    checks.check("blocks", blocks >= 8, blocks, ">= 8")
    checks.check("a block of 1,998 flats", has_1998 >= 1, biggest[1], "1,998")
    checks.check("flats", flats >= 2400, flats, ">= 2,400")
    n_passes = sum(passes.values())
    checks.check("APasses", n_passes >= 3000, n_passes, ">= 3,000")
    checks.check("APasses lost", passes.get(APassState.LOST.value, 0) > 0,
                 passes.get(APassState.LOST.value, 0), "> 0")
    checks.check("APasses in stock", passes.get(APassState.STOCK.value, 0) > 0,
                 passes.get(APassState.STOCK.value, 0), "> 0")
    missing = [t.value for t in DeviceType if devices.get(t.value, 0) == 0]
    checks.check("a device of every DeviceType", not missing,
                 f"missing {', '.join(missing)}" if missing else f"{len(DeviceType)} types",
                 f"all {len(DeviceType)}")
    checks.check("events", n_events >= want_events, n_events, f">= {want_events:,}")
    checks.check("event time span (days)", span <= 90, f"{span:.1f}", "<= 90")
    no_op = [p.value for p in Profile if profiles.get(p.value, 0) == 0]
    checks.check("an operator of each profile", not no_op,
                 f"missing {', '.join(no_op)}" if no_op else f"{len(Profile)} profiles",
                 f"all {len(Profile)}")
    checks.info("history part, events/s", part_wall > 0,
                f"{part_events / part_wall:,.0f}" if part_wall > 0 else "?",
                "(no target)", baseline=f"estate alone {base_wall:.1f} s",
                ratio=f"{full_wall / base_wall:.2f}" if base_wall > 0 else "")
    checks.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
