"""Snapshots of the Facilities screen's views and dialogs at 80x24 and 120x40, over the
small estate and the tests' facilities book (validity words and colours included).

Regenerate after a deliberate change of look: `pytest tests/console/test_facilities_snapshots.py
--snapshot-update`, then look at the SVGs before committing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.services.base import Actor
from core.services.operators import bootstrap_admin
from store.database import Store
from tests.conftest import build_small_estate, fixed_clock
from tests.console.facilities_book import build_book
from tests.console.test_snapshots import app_over

SIZES = [(80, 24), (100, 30), (120, 40)]
VIEWS = {"providers": ["F", "_"], "tasks": ["F", "2", "_"],
         "provider-form": ["F", "tab", "tab", "n", "_"], "task-form": ["F", "2", "n", "_"],
         "sharing": ["F", "s", "_"]}


async def _build(path: Path) -> None:
    store = await Store.open(path=path)
    try:
        op = await bootstrap_admin(store.uow(), "admin@test.example")
        admin = Actor(op, source="test", clock=fixed_clock)
        await build_book(store, admin, await build_small_estate(store, admin))
    finally:
        await store.close()


@pytest.fixture(scope="module")
def book_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fac-snap") / "book.db"
    asyncio.run(_build(path))
    return path


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("view", list(VIEWS))
def test_facilities_snapshot(snap_compare, book_db, view, size):
    assert snap_compare(app_over(book_db), press=VIEWS[view], terminal_size=size)
