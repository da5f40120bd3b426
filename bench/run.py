#!/usr/bin/env python3
"""Run every benchmark, then one summary table of every target; what `make bench` runs.

Each bench/bench_*.py runs in its own process, by default one after another
with its output shown as it comes (`--jobs N`: N side by side, each one's output
shown whole when it ends; quick mode runs 4 at a time: its figures are not
targets anyway, and most of its scripts wait more than they compute). Each reports its targets and checks through
`_common.Checks`, which appends them to the file named by $BENCH_REPORT. A
script that exits non-zero, runs past its time limit or reports nothing has
crashed. At the end: one table (benchmark, target, figure, baseline, ratio,
result), each script's outcome and wall time, and the exit status: 1 when any
target or check FAILed or any script crashed, else 0.

    .venv/bin/python bench/run.py                  # make bench
    .venv/bin/python bench/run.py --quick          # make bench-quick: small sizes
    .venv/bin/python bench/run.py search osdp      # only the scripts whose name holds these
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import table

BENCH = Path(__file__).resolve().parent
TIMEOUT_S = {"full": 3600.0, "quick": 180.0}  # per script
QUICK_JOBS = 4
# Started first when several run side by side: the longest quick runs (about 20-35 s).
SLOW_FIRST = ("bench_ssh_sessions", "bench_scale", "bench_durability", "bench_console_live",
              "bench_demo_build",
              "bench_facilities")
running: set[subprocess.Popen] = set()  # the scripts running now, each in its own session


def stop_all() -> None:
    """End every running script with its children (each leads its own process group)."""
    for proc in list(running):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)


def run_one(script: Path, quick: bool, timeout: float, captured: bool
            ) -> tuple[str, float, list[dict]]:
    """Run one script; its outcome ("ok", "exit N", "timeout", "no report"), seconds, rows.

    `captured`: its output is kept and printed whole at its end, not as it comes.
    """
    mode = "quick" if quick else "full"
    head = f"== {script.relative_to(BENCH.parent)} ({mode})"
    if not captured:
        print(f"\n{head}", flush=True)
    with tempfile.NamedTemporaryFile(prefix="bench-report-", suffix=".jsonl") as report, \
            tempfile.TemporaryFile() as output:
        env = {**os.environ, "BENCH_REPORT": report.name, "PYTHONUNBUFFERED": "1"}
        if quick:
            env["BENCH_QUICK"] = "1"
        else:
            env.pop("BENCH_QUICK", None)
        t0 = time.perf_counter()
        # its own session: on a time-out the script's children go with it
        proc = subprocess.Popen([sys.executable, str(script)], cwd=BENCH.parent, env=env,
                                start_new_session=True,
                                stdout=output if captured else None,
                                stderr=subprocess.STDOUT if captured else None)
        running.add(proc)
        try:
            code = proc.wait(timeout)
            outcome = "ok" if code == 0 else f"exit {code}"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            outcome = f"timeout {timeout:g} s"
        except KeyboardInterrupt:  # in this thread (--jobs 1): the others are stop_all()'s
            stop_all()
            raise
        finally:
            running.discard(proc)
        seconds = time.perf_counter() - t0
        rows = [json.loads(line) for line in Path(report.name).read_text().splitlines()
                if line.strip()]
        if outcome == "ok" and not rows:
            outcome = "no report"
        tail = f"== {script.stem}: {outcome}, {seconds:.1f} s"
        if captured:
            output.seek(0)
            text = output.read().decode(errors="replace")
            print(f"\n{head}\n{text.rstrip()}\n{tail}", flush=True)
        else:
            print(tail, flush=True)
    return outcome, seconds, rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="every benchmark with small sizes (BENCH_QUICK=1)")
    ap.add_argument("--timeout", type=float, help="seconds per script before it is killed "
                    f"({TIMEOUT_S['full']:g}; {TIMEOUT_S['quick']:g} with --quick)")
    ap.add_argument("--jobs", type=int, help="scripts run side by side "
                    f"(1; {QUICK_JOBS} with --quick); timings suffer above 1")
    ap.add_argument("only", nargs="*", help="run only the scripts whose name holds one of these")
    args = ap.parse_args(argv)
    timeout = args.timeout or TIMEOUT_S["quick" if args.quick else "full"]
    jobs = args.jobs or (QUICK_JOBS if args.quick else 1)
    if jobs < 1:
        ap.error("--jobs must be 1 or more")
    scripts = [s for s in sorted(BENCH.glob("bench_*.py"))
               if not args.only or any(o in s.stem for o in args.only)]
    if not scripts:
        ap.error(f"no bench/bench_*.py matches {' '.join(args.only)}")

    mode = "quick" if args.quick else "full"
    started = time.perf_counter()
    try:
        if jobs == 1:
            outcomes = [run_one(s, args.quick, timeout, captured=False) for s in scripts]
        else:
            order = sorted(scripts, key=lambda s: s.stem not in SLOW_FIRST)
            print(f"{len(scripts)} benchmarks, {jobs} at a time ({mode} mode); each one's "
                  "output comes when it ends.", flush=True)
            with ThreadPoolExecutor(jobs) as pool:
                futures = {s: pool.submit(run_one, s, args.quick, timeout, True) for s in order}
                try:
                    outcomes = [futures[s].result() for s in scripts]
                except KeyboardInterrupt:
                    pool.shutdown(wait=False, cancel_futures=True)
                    stop_all()
                    raise
    except KeyboardInterrupt:
        stop_all()
        print("\ninterrupted: the running benchmarks were stopped", file=sys.stderr)
        return 130
    results = [(s.stem, *o) for s, o in zip(scripts, outcomes, strict=True)]
    wall = time.perf_counter() - started

    print(f"\n== Summary ({mode} mode)\n")
    lines = []
    for name, outcome, _, rows in results:
        for r in rows:
            lines.append((name, r["name"], r["figure"], r["baseline"], r["ratio"], r["target"],
                          r["result"]))
        if outcome != "ok":
            lines.append((name, "the script runs to its end", outcome, "", "", "exit 0",
                          "CRASH"))
    table(("benchmark", "target", "figure", "baseline", "ratio", "bound", "result"), lines)
    print()
    table(("script", "outcome", "wall s"),
          [(name, outcome, f"{seconds:.1f}") for name, outcome, seconds, _ in results])
    failed = sum(line[-1] == "FAIL" for line in lines)
    crashed = sum(outcome != "ok" for _, outcome, _, _ in results)
    missed = sum(line[-1] == "MISS" for line in lines)
    counted = sum(line[-1] in ("PASS", "FAIL", "MISS") for line in lines)
    print(f"\n{len(results)} scripts in {wall:.0f} s; {counted - failed - missed} of {counted} "
          f"targets and checks passed, {failed} failed"
          + (f", {missed} missed (quick mode: not a failure)" if args.quick else "")
          + f"; {crashed} script(s) crashed.")
    return 1 if failed or crashed else 0


if __name__ == "__main__":
    sys.exit(main())
