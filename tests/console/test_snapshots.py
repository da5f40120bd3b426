"""Snapshots of each tab at 80x24, 100x30 and 120x40, over a fixed small estate.

Regenerate after a deliberate change of look: `pytest tests/console/test_snapshots.py
--snapshot-update`, then look at the SVGs (snapshot_report.html) before committing."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.app import DoorkeeperApp
from console.context import Commander, load_context
from console.live import LiveBuffer
from store.database import Store
from tests.conftest import fixed_clock
from tests.console.estate_file import build_estate_file

TABS = ["1", "2", "3", "4", "5"]
SIZES = [(80, 24), (100, 30), (120, 40)]


@pytest.fixture(scope="module")
def estate_db(tmp_path_factory) -> Path:
    return build_estate_file(tmp_path_factory.mktemp("snap") / "estate.db")


def app_over(path: Path) -> DoorkeeperApp:
    """The admin's console over the file, its store opened in the app's own loop."""

    async def make_ctx():
        store = await Store.open(path=path)
        ctx = await load_context(store, "admin@test.example", source="test", clock=fixed_clock)
        ctx.commander = Commander()
        ctx.live = LiveBuffer()
        return ctx

    return DoorkeeperApp(make_ctx=make_ctx)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("tab", TABS)
def test_tab_snapshot(snap_compare, estate_db, tab, size):
    assert snap_compare(app_over(estate_db), press=[tab, "_"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_block_flats_snapshot(snap_compare, estate_db, size):
    assert snap_compare(app_over(estate_db), press=["1", "enter", "_"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("keys", [["w"], ["w", "n"], ["w", "h"], ["w", "h", "i"], ["P"],
                                  ["P", "n"]], ids="-".join)
def test_setup_screen_snapshot(snap_compare, estate_db, keys, size):
    assert snap_compare(app_over(estate_db), press=["_", *keys, "_"], terminal_size=size)
