"""The one private aiosqlite API the store uses: run a function in the connection's thread.

Why: aiosqlite runs each sqlite3 call in the connection's own worker thread and
costs a hop (~0.5-2 ms) per call. A search or a re-index wants a few dozen
sqlite3 calls; hopping once and running them all there is what makes them
fast. aiosqlite has no public "run this in your thread"; `Connection._execute`
(queue a callable on the worker) and `Connection._conn` (the sqlite3
connection) are what every one of its own methods uses, and have been since
its first release.

aiosqlite is pinned in pyproject.toml to the versions this was tested with;
tests/test_private_apis.py checks the attribute and its behaviour and fails
naming the installed version if a release moves them. `check()` is that check.
"""

from __future__ import annotations

import inspect
import sqlite3
from collections.abc import Callable
from importlib.metadata import version
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")
TESTED = "0.22"  # the aiosqlite releases this module was tested with (see pyproject.toml)


def _broken(what: str) -> RuntimeError:
    return RuntimeError(
        f"aiosqlite {version('aiosqlite')}: {what}; store/aiosqlite_compat.py was written "
        f"for aiosqlite {TESTED}.x (pinned in pyproject.toml) and must be updated")


def check() -> None:
    """Raise RuntimeError unless aiosqlite still has `_execute(fn, *args)` and `_conn`."""
    execute = getattr(aiosqlite.Connection, "_execute", None)
    if execute is None or not inspect.iscoroutinefunction(execute):
        raise _broken("Connection._execute is gone or no longer a coroutine function")
    params = list(inspect.signature(execute).parameters.values())
    if (len(params) < 3 or params[1].kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD
            or params[2].kind is not inspect.Parameter.VAR_POSITIONAL):
        raise _broken(f"Connection._execute{inspect.signature(execute)} no longer takes "
                      "(fn, *args)")
    if not isinstance(getattr(aiosqlite.Connection, "_conn", None), property):
        raise _broken("Connection._conn (the sqlite3 connection) is gone")


async def run_in_thread(connection: aiosqlite.Connection,
                        fn: Callable[[sqlite3.Connection], T]) -> T:
    """`fn(the sqlite3 connection)` in the aiosqlite connection's worker thread: one hop."""
    try:
        execute: Callable[..., Any] = connection._execute
        raw: sqlite3.Connection = connection._conn
    except AttributeError as err:
        raise _broken(str(err)) from err
    result: T = await execute(fn, raw)
    return result
