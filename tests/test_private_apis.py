"""Every private API of a third-party library the code touches, checked against the installed
version: a release that moves one fails here, naming the version, before it fails in use.

Each private use sits in one compat module (store/aiosqlite_compat.py,
console/textual_compat.py) and its library is pinned
in pyproject.toml to the versions tested.
"""

from __future__ import annotations

import sqlite3
import threading
from importlib.metadata import version

import aiosqlite
import pytest
import textual
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from console import textual_compat
from store import aiosqlite_compat

# --- aiosqlite: run a function in the connection's thread -------------------------------


def test_aiosqlite_still_has_execute_and_conn():
    aiosqlite_compat.check()


def test_aiosqlite_version_is_the_pinned_one():
    assert version("aiosqlite").startswith(aiosqlite_compat.TESTED + "."), (
        f"aiosqlite {version('aiosqlite')} is installed; store/aiosqlite_compat.py was tested "
        f"with {aiosqlite_compat.TESTED}.x: run this file, then move TESTED and the pin")


async def test_aiosqlite_runs_the_function_in_its_own_thread(tmp_path):
    async with aiosqlite.connect(tmp_path / "t.db") as conn:
        await conn.execute("CREATE TABLE t (x)")
        await conn.execute("INSERT INTO t VALUES (42)")

        def work(con: sqlite3.Connection) -> tuple[int, str]:
            return con.execute("SELECT x FROM t").fetchone()[0], threading.current_thread().name

        value, thread = await aiosqlite_compat.run_in_thread(conn, work)
    assert value == 42  # the same connection: it sees the uncommitted row
    assert thread != threading.current_thread().name


def test_a_missing_private_api_is_reported_with_the_version(monkeypatch):
    monkeypatch.delattr(aiosqlite.Connection, "_execute")
    with pytest.raises(RuntimeError, match=rf"aiosqlite {version('aiosqlite')}: "
                                           r"Connection\._execute is gone"):
        aiosqlite_compat.check()


# --- Textual: a DataTable's pending column widths --------------------------------------


def test_textual_still_has_what_the_console_uses():
    textual_compat.check()


def test_textual_version_is_the_pinned_one():
    assert textual.__version__ == textual_compat.TESTED, (
        f"textual {textual.__version__} is installed; console/textual_compat.py was "
        f"tested with {textual_compat.TESTED}: run this file, then move TESTED and the pin")


async def test_a_table_knows_when_its_column_widths_are_still_to_measure():
    class OneTable(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

    async with OneTable().run_test() as pilot:
        table = pilot.app.query_one(DataTable)
        await pilot.pause()
        assert not textual_compat.widths_pending(table)
        table.add_column("name")
        table.add_row("a long enough cell")
        assert textual_compat.widths_pending(table)
        await pilot.pause()
        assert not textual_compat.widths_pending(table)


def test_a_changed_textual_is_reported_with_the_version(monkeypatch):
    monkeypatch.delattr(DataTable, "_require_update_dimensions", raising=False)
    monkeypatch.setattr(DataTable, "__init__", lambda self: None)  # no attribute set
    with pytest.raises(RuntimeError, match=rf"textual {textual.__version__}: DataTable"):
        textual_compat.check()


# --- Textual: CSS parses shared by the apps of a process ---------------------------------


class _Styled(App[None]):
    CSS = "DataTable { height: 5; }"

    def __init__(self) -> None:
        super().__init__()
        textual_compat.share_css_parses(self)

    def compose(self) -> ComposeResult:
        yield DataTable()


async def _parses_of_one_app(monkeypatch) -> int:
    """How many CSS sources one app parsed itself (the rest came from the cache)."""
    from textual.css import stylesheet

    parsed: list[object] = []
    real = stylesheet.parse

    def counting(*args, **kwargs):
        parsed.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(stylesheet, "parse", counting)
    async with _Styled().run_test() as pilot:
        await pilot.pause()
        assert pilot.app.query_one(DataTable).styles.height.value == 5  # the CSS applied
    monkeypatch.setattr(stylesheet, "parse", real)
    return len(parsed)


async def test_a_second_app_parses_no_css_the_first_one_parsed(monkeypatch):
    first = await _parses_of_one_app(monkeypatch)
    second = await _parses_of_one_app(monkeypatch)
    assert first > 0 and second == 0


def test_a_stylesheet_given_new_variables_leaves_the_shared_parses():
    app = _Styled()
    sheet = app.stylesheet
    sheet.add_source("DataTable { height: 7; }", read_from=("x.tcss", ""))
    sheet.parse()
    shared = textual_compat._PARSES[tuple(sorted(sheet._variables.items()))]
    kept = len(shared)
    sheet.set_variables({**sheet._variables, "primary": "#ff0000"})  # a theme change
    sheet.add_source("DataTable { height: 9; }", read_from=("y.tcss", ""))
    sheet.parse()
    assert len(shared) == kept  # the new variables' parses stay with this stylesheet
