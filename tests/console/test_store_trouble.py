"""The console survives a store that cannot answer: a write lock held by another
connection (BEGIN IMMEDIATE on the same SQLite file), a damaged file, and answers that
come after their screen closed. Real SQLite files throughout; the only stand-in is the
short busy timeout, so a locked store gives up in 0.3 s rather than 5 s."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from console.app import DoorkeeperApp
from console.context import store_trouble
from console.screens.main import MainScreen
from console.screens.search import SearchScreen
from console.widgets.form import FormScreen
from core.config import StoreConfig
from store.database import Store
from tests.conftest import dump_database
from tests.console.conftest import context_for, press, settled, show_tab, type_into

SIZE = (100, 30)
ADMIN = "admin@test.example"


@pytest.fixture
async def quick_store(store, estate):
    """The test's store file, opened with a busy timeout of 0.3 s."""
    st = await Store.open(StoreConfig(busy_timeout_ms=300), path=store.where, migrate=False)
    yield st
    await st.close()


def hold_write_lock(path: str) -> sqlite3.Connection:
    """Another writer: a connection holding the store's write lock until closed."""
    con = sqlite3.connect(path, isolation_level=None, timeout=0)
    con.execute("BEGIN IMMEDIATE")
    return con


def notices(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_a_save_against_a_locked_store_keeps_the_dialog_and_saves_later(quick_store):
    ctx = await context_for(quick_store, ADMIN)
    app = DoorkeeperApp(ctx)
    path = quick_store.where
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await press(pilot, "n")  # Blocks tab: Add a block (its worker opens the dialog)
        for _ in range(200):
            if isinstance(app.screen, FormScreen):
                break
            await pilot.pause(0.02)
        form = app.screen
        assert isinstance(form, FormScreen)
        name = form.query_one("#f-name", Input)
        name.value = "Block Locked"
        before = dump_database(Path(path))
        lock = hold_write_lock(path)
        try:
            await press(pilot, "ctrl+s")
            await press(pilot, "ctrl+s")  # impatient: the second press changes nothing
        finally:
            lock.rollback()
            lock.close()
        assert app.is_running
        assert app.screen is form, "the dialog stays open"
        assert name.value == "Block Locked", "with what was typed"
        error = str(form.query_one(".form-error", Static).render())
        assert "busy" in error and "nothing was saved" in error
        assert dump_database(Path(path)) == before, "nothing half-saved"
        await press(pilot, "ctrl+s")  # the lock is gone: the same dialog saves
        await settled(pilot)
        assert isinstance(app.screen, MainScreen)
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT count(*) FROM blocks WHERE name = 'Block Locked'"
                           ).fetchone() == (1,)


async def test_a_delete_against_a_locked_store_says_so_and_the_console_goes_on(quick_store):
    ctx = await context_for(quick_store, ADMIN)
    app = DoorkeeperApp(ctx)
    path = quick_store.where
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        lock = hold_write_lock(path)
        try:
            await press(pilot, "d")  # Delete block Block C? (it has flats: refused anyway)
            await settled(pilot)
            await press(pilot, "y")
            for _ in range(50):
                if notices(app):
                    break
                await pilot.pause(0.05)
        finally:
            lock.rollback()
            lock.close()
        assert app.is_running
        assert isinstance(app.screen, MainScreen)


def damage_table(path: str, table: str) -> None:
    """Overwrite the root pages of a table and its indexes with garbage, as a bad disk
    would."""
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
        roots = [r for (r,) in con.execute(
            "SELECT rootpage FROM sqlite_master WHERE tbl_name = ? AND rootpage > 0",
            (table,))]
    with open(path, "r+b") as f:
        for root in roots:
            f.seek((root - 1) * page_size)
            f.write(b"\xa5" * page_size)


async def test_a_damaged_store_is_said_on_screen_and_the_console_keeps_running(quick_store):
    ctx = await context_for(quick_store, ADMIN)
    app = DoorkeeperApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await quick_store.engine.dispose()  # no connection keeps the good pages cached
        damage_table(quick_store.where, "events")
        await show_tab(pilot, "5")  # the Events tab reads the damaged table
        await settled(pilot)
        assert app.is_running
        assert any("damaged" in n for n in notices(app)), notices(app)
        await show_tab(pilot, "1")  # the rest of the store still answers
        assert app.is_running


async def test_a_search_answer_after_the_search_closed_is_dropped(quick_store, estate):
    """The search's read waits behind an exclusive lock; Escape closes the screen before
    it fails. The late answer must neither end the session nor show anywhere."""
    ctx = await context_for(quick_store, ADMIN)
    app = DoorkeeperApp(ctx)
    path = quick_store.where
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await quick_store.engine.dispose()
        blocker = sqlite3.connect(path, isolation_level=None, timeout=0)
        blocker.execute("PRAGMA locking_mode = EXCLUSIVE")
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            await press(pilot, "slash")
            search = app.screen
            assert isinstance(search, SearchScreen)
            await type_into(pilot, search.query_one("#search-keyword", Input), "Flat")
            await asyncio.sleep(0.15)  # the debounce has fired: the read is waiting
            await press(pilot, "escape")
            await asyncio.sleep(0.6)  # the read gives up (0.3 s busy timeout) meanwhile
            await settled(pilot)
        finally:
            blocker.rollback()
            blocker.close()
        assert app.is_running
        assert isinstance(app.screen, MainScreen)
        assert not [n for n in notices(app) if "busy" in n]


# (the error met, the words the console shows first): store_fault sorts, the console words
WORDS = [
    (sqlite3.OperationalError("database is locked"), "The store is busy"),
    (TimeoutError(), "The store is busy"),
    (OSError(28, "No space left on device"), "The disk that holds the store is full"),
    (sqlite3.DatabaseError("database disk image is malformed"), "The store's file is damaged"),
    (sqlite3.OperationalError("attempt to write a readonly database"),
     "The store is read-only"),
    (sqlite3.IntegrityError("UNIQUE constraint failed: flats.name"),
     "The store refused: UNIQUE constraint failed: flats.name"),
]


@pytest.mark.parametrize(("err", "said"), WORDS, ids=[w[1][:30] for w in WORDS])
def test_the_console_words_the_stores_own_faults(err, said):
    message = store_trouble(err, saving=True).message
    assert message.startswith(said) and message.endswith("nothing was saved; try again in a "
                                                         "moment.")
