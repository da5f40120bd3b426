"""Every private API of a third-party library the code touches, checked against the installed
version: a release that moves one fails here, naming the version, before it fails in use.

Each private use sits in one compat module (store/aiosqlite_compat.py,
console/textual_compat.py, console/rich_compat.py) and its library is pinned
in pyproject.toml to the versions tested.
"""

from __future__ import annotations

import io
import sqlite3
import threading
from importlib.metadata import version

import aiosqlite
import pytest
import textual
from rich.color import ColorSystem
from rich.console import Console
from rich.style import Style
from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widgets import DataTable

from console import rich_compat, textual_compat
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


# --- Textual: the xterm parser, its escape timeout, Strip.render_style ------------------


def test_textual_still_has_the_parser_and_strip_methods():
    textual_compat.check()


def test_textual_version_is_the_pinned_one():
    assert textual.__version__ == textual_compat.TESTED, (
        f"textual {textual.__version__} is installed; console/textual_compat.py was "
        f"tested with {textual_compat.TESTED}: run this file, then move TESTED and the pin")


def test_a_lone_escape_is_pending_until_the_delay_passes():
    parser = textual_compat.XTermParser()
    assert not textual_compat.escape_pending(parser)
    assert list(parser.feed("\x1b")) == []
    assert textual_compat.escape_pending(parser)


def test_render_style_ignores_richs_per_style_cache():
    textual_compat.colours_per_client()
    style = Style(color="red", link="https://example.org")
    style._ansi = "cached-by-another-client"  # what Rich's own cache would hold
    out = Strip.render_style(style, "x", ColorSystem.STANDARD)
    assert out.startswith("\x1b]8;id=") and "https://example.org" in out
    assert "\x1b[31mx\x1b[0m" in out and "cached" not in out


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
    monkeypatch.setattr(Strip, "render_ansi", lambda style: "")
    with pytest.raises(RuntimeError, match=rf"textual {textual.__version__}: Strip\.render_ansi"):
        textual_compat.check()


# --- Rich: Console(_environ=) ------------------------------------------------------------


def test_rich_console_still_takes_an_environment():
    rich_compat.check()


def test_rich_version_is_the_pinned_one():
    assert version("rich").startswith(rich_compat.TESTED + "."), (
        f"rich {version('rich')} is installed; console/rich_compat.py was tested with "
        f"{rich_compat.TESTED}.x: run this file, then move TESTED and the pin")


def test_the_client_environment_wins_over_the_process_one(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")
    console = rich_compat.environ_console({"TERM": "xterm-256color"}, file=io.StringIO(),
                                          force_terminal=True)
    assert console.color_system == "256" and not console.no_color


def test_a_changed_rich_is_reported_with_the_version(monkeypatch):
    class OlderConsole(Console):  # a Rich whose Console takes no environment
        def __init__(self, *, file=None, force_terminal=None, color_system="auto") -> None:
            super().__init__(file=file, force_terminal=force_terminal, color_system=color_system)

    monkeypatch.setattr(rich_compat, "Console", OlderConsole)
    with pytest.raises(RuntimeError, match=rf"rich {version('rich')}: Console\(\) no longer"):
        rich_compat.check()
