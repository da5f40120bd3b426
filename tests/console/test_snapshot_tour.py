"""Snapshots at 80x24, 100x30 and 120x40 of the screens a concierge walks through that
the per-screen snapshot tests do not take: Flat management and each of its tabs, the
search, the alarms, an event's detail. One app per size walks the round and takes each
screen on its way (an app per screenshot cost about 0.8 s each).

Regenerate after a deliberate change of look: `pytest tests/console/test_snapshot_tour.py
--snapshot-update`, then look at the SVGs under __snapshots__/test_snapshot_tour/."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from pytest_textual_snapshot import SVGImageExtension
from textual.pilot import Pilot

from console.screens.flat import FlatScreen
from tests.console.conftest import press, settled, until
from tests.console.estate_file import build_estate_file
from tests.console.test_snapshots import app_over

SIZES = [(80, 24), (100, 30), (120, 40)]


@pytest.fixture(scope="module")
def tour_db(tmp_path_factory) -> Path:
    """The snapshots' small estate, its flats' random temporary IDs made fixed (Flat
    management shows them)."""
    path = build_estate_file(tmp_path_factory.mktemp("tour") / "estate.db")
    with sqlite3.connect(path) as con:
        con.execute("UPDATE flats SET temporary_id = 'T' || substr('00000000' || id, -8)")
    return path


async def shot(pilot: Pilot) -> str:
    """The screen as it is once the app is idle (as snap_compare takes it)."""
    await settled(pilot)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    return pilot.app.export_screenshot(title=pilot.app.title, simplify=True)


async def _flat(pilot: Pilot) -> None:
    """Blocks → Block C → its first flat."""
    await press(pilot, "1")
    tab = pilot.app.main.tabs["pane-blockstab"]
    await until(pilot, lambda: tab.blocks_table.row_count > 0, "the blocks list")
    await press(pilot, "enter")
    await until(pilot, lambda: tab.flats_table.row_count > 0, "Block C's flats")
    await press(pilot, "enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, FlatScreen), "the flat")


async def _pane(pilot: Pilot, key: str) -> None:
    await press(pilot, key)


async def _close(pilot: Pilot) -> None:
    while pilot.app.screen is not pilot.app.main:
        await press(pilot, "escape")
    await settled(pilot)


async def _event_detail(pilot: Pilot) -> None:
    await press(pilot, "5")
    tab = pilot.app.main.tabs["pane-eventstab"]
    await until(pilot, lambda: tab.table.row_count > 0, "the events")
    await press(pilot, "enter")
    await until(pilot, lambda: pilot.app.screen is not pilot.app.main, "the event's detail")


Step = Callable[[Pilot], Awaitable[None]]
#: (name, what to do before the shot); None: no shot (a step on the way)
ROUND: list[tuple[str | None, Step]] = [
    ("flat-1-flat", _flat),
    ("flat-2-telephones", lambda p: _pane(p, "2")),
    ("flat-3-displays", lambda p: _pane(p, "3")),
    ("flat-4-apasses", lambda p: _pane(p, "4")),
    ("flat-5-history", lambda p: _pane(p, "5")),
    (None, _close),
    ("event-detail", _event_detail),
    (None, _close),
    ("search", lambda p: press(p, "slash")),
    (None, _close),
    ("alarms", lambda p: press(p, "a")),
]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_tour(snapshot, tour_db, size):
    svg = snapshot.use_extension(SVGImageExtension)
    shots: dict[str, str] = {}

    async def walk(pilot: Pilot) -> None:
        await settled(pilot)
        for name, step in ROUND:
            await step(pilot)
            if name is not None:
                shots[name] = await shot(pilot)

    async def run() -> None:
        app = app_over(tour_db)
        async with app.run_test(size=size) as pilot:
            await walk(pilot)

    asyncio.run(run())
    for name, taken in shots.items():
        assert svg(name=name) == taken, f"{name} at {size[0]}x{size[1]} changed"
