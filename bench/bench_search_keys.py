#!/usr/bin/env python3
"""What one keystroke in the search screen (`/`) costs the process, in CPU time.

What is measured
----------------
The console runs headless (Textual's run_test) at 100x30 on the demo estate (seed 1,
no past events; built once into /tmp and reused) as the administrator, with the search
screen open. Words are typed into the keyword field one key at a time, posted as a
terminal's keys are (no Pilot), `GAP_S` apart (8 keys a second, a quick typist), and
after each word the screen settles (the debounce runs out, the search's worker ends,
the results are drawn). The words are what a concierge types: residents' names, flat
names, telephone numbers, APass numbers, taken from the estate. "CPU per keystroke" is
the process's CPU time from the first key of a word until it has settled, minus what
the idle app costs in the same time (measured with nothing typed), divided by the
keys typed. Target: <= 5 ms per keystroke.

Baseline, in the same run: the same screen with the debounce disabled (each keystroke
searches and draws its answer, as before the debounce). A second figure types one key
a second (the pace of 50 sessions each typing a key a second), where every key searches
either way: what one search and its drawing cost. Alternate rounds, median of 3 (1
with --quick, and fewer words: two at 8 keys/s, four keys at one a second; it checks that
the bench works in a few seconds, the figures are the full run's).

How to run
----------
    .venv/bin/python bench/bench_search_keys.py
    .venv/bin/python bench/bench_search_keys.py --quick
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual import events  # noqa: E402
from textual.worker import WorkerCancelled  # noqa: E402

from bench._common import QUICK, Checks, demo_estate, median, table  # noqa: E402
from console.app import DoorkeeperApp  # noqa: E402
from console.context import load_context  # noqa: E402
from console.screens import search as search_screen  # noqa: E402
from store.database import Store  # noqa: E402

SIZE = (100, 30)
GAP_S = 0.125
TARGET_MS = 5.0
ROUNDS = 1 if QUICK else 3
IDLE_S = 0.5 if QUICK else 1.0  # how long the idle app's cost is measured
SLOW_GAP_S = 1.0
NO_DEBOUNCE = 0.001  # a timer of 0 s is refused by Textual


def words(db: Path, count: int) -> list[str]:
    """What a concierge types: names, flats, numbers from the estate."""
    con = sqlite3.connect(db)
    try:
        names = [r[0] for r in con.execute(
            "SELECT display_name FROM panel_displays ORDER BY id LIMIT 200")]
        flats = [r[0] for r in con.execute("SELECT name FROM flats ORDER BY id LIMIT 200")]
        phones = [r[0] for r in con.execute(
            "SELECT value FROM telephones WHERE kind = 'telephone' ORDER BY id LIMIT 200")]
        passes = [r[0] for r in con.execute(
            "SELECT number FROM access_passes ORDER BY id LIMIT 200")]
    finally:
        con.close()
    picks = [names[7].split()[0], flats[31], "0" + phones[12][3:], passes[40],
             names[90].split()[-1], flats[150], names[120].split()[0], passes[170]]
    return [w.lower() for w in picks][:count]


def key(char: str) -> events.Key:
    return events.Key("space" if char == " " else char, char)


async def settled(app: DoorkeeperApp, debounce: float) -> None:
    """Past the debounce, the search's worker done (an older one cancelled by a newer
    one is passed over), and its results drawn."""
    await asyncio.sleep(debounce + 0.05)
    for _ in range(20):
        try:
            await app.workers.wait_for_complete()
            break
        except WorkerCancelled:
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)


async def run(db: Path, phases: list[tuple[float, list[str], float]]) -> list[float]:
    """CPU ms per keystroke for each phase (debounce, words typed, gap between keys),
    one after the other in one app (one start-up for them all)."""
    store = await Store.open(path=db)
    try:
        ctx = await load_context(store, "admin@doorkeeper.example")
        app = DoorkeeperApp(ctx)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("slash")
            await pilot.pause(0.3)
            assert isinstance(app.screen, search_screen.SearchScreen)
            field = app.screen.query_one("#search-keyword")
            # what the idle app costs (timers, the alarm badge): subtracted below
            c0, t0 = time.process_time(), time.perf_counter()
            await asyncio.sleep(IDLE_S)
            idle = (time.process_time() - c0) / (time.perf_counter() - t0)
            results = []
            for debounce, typed, gap in phases:
                search_screen.DEBOUNCE_S = debounce  # read at each keystroke
                cpu = 0.0
                keys = 0
                for word in typed:
                    c0, t0 = time.process_time(), time.perf_counter()
                    for char in word:
                        app.post_message(key(char))
                        await asyncio.sleep(gap)
                    await settled(app, debounce)
                    cpu += (time.process_time() - c0) - idle * (time.perf_counter() - t0)
                    keys += len(word)
                    assert field.value == word, (field.value, word)
                    field.value = ""  # not measured: the next word starts afresh
                    await settled(app, debounce)
                results.append(cpu / keys * 1000)
        return results
    finally:
        await store.close()


async def main() -> int:
    db = demo_estate()
    typed = words(db, 2 if QUICK else 8)
    slow_typed = [typed[0][:2]] if QUICK else typed[:2]  # quick: two keys
    print(f"typing {typed} at {1 / GAP_S:.0f} keys/s; terminal {SIZE[0]}x{SIZE[1]}")
    debounce = search_screen.DEBOUNCE_S
    ours, base, slow, slow_base = [], [], [], []
    try:
        for i in range(ROUNDS):  # an app per round, the order alternating
            pair = [("ours", debounce), ("base", NO_DEBOUNCE)]
            order = pair if i % 2 == 0 else pair[::-1]
            phases = [(value, typed, GAP_S) for _, value in order]
            last = i == ROUNDS - 1
            if last:  # one key a second, each way, once
                phases += [(debounce, slow_typed, SLOW_GAP_S),
                           (NO_DEBOUNCE, slow_typed, SLOW_GAP_S)]
            got = await run(db, phases)
            for (name, _), ms in zip(order, got, strict=False):
                (ours if name == "ours" else base).append(ms)
            if last:
                slow.append(got[2])
                slow_base.append(got[3])
    finally:
        search_screen.DEBOUNCE_S = debounce
    o, b = median(ours), median(base)
    table(("CPU per keystroke", "median ms", "min ms", "max ms"), [
        (f"ours: debounce {debounce * 1000:.0f} ms, {1 / GAP_S:.0f} keys/s", o, min(ours),
         max(ours)),
        (f"baseline: no debounce, {1 / GAP_S:.0f} keys/s", b, min(base), max(base)),
        ("ours: one key a second", slow[0], slow[0], slow[0]),
        ("baseline: one key a second", slow_base[0], slow_base[0], slow_base[0]),
    ])
    print(f"ratio ours/baseline: {o / b:.2f}")
    checks = Checks()
    checks.target("CPU per search keystroke, 8 keys/s", o <= TARGET_MS, f"{o:.1f} ms",
                  f"<= {TARGET_MS:.0f} ms", baseline=f"{b:.1f} ms", ratio=f"{o / b:.2f}")
    checks.info("CPU per search keystroke, 1 key/s", slow[0] <= 4 * TARGET_MS,
                f"{slow[0]:.1f} ms", f"<= {4 * TARGET_MS:.0f} ms",
                baseline=f"{slow_base[0]:.1f} ms")
    checks.print()
    return 0  # a missed target is a FAIL line, not an exit status (bench/README.md)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
