"""The one private Rich API the console uses: `Console(_environ=...)`.

Why: Rich reads the colour depth (TERM, COLORTERM), NO_COLOR, FORCE_COLOR, COLUMNS
and the like from the environment. An SSH worker serves many clients, each with its
own TERM, and its own environment must not leak into theirs (a NO_COLOR set for the
worker would strip every client's colours). Rich takes a mapping in place of
`os.environ` only through its private `_environ` argument.

Rich is pinned in pyproject.toml to the versions this was tested with (TESTED);
tests/test_private_apis.py runs `check()` and fails naming the installed version if a
release moves it.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Mapping
from importlib.metadata import version
from typing import Any

from rich.console import Console

TESTED = "15.0"  # the Rich releases this module was tested with (pinned in pyproject.toml)


def _broken(what: str) -> RuntimeError:
    return RuntimeError(f"rich {version('rich')}: {what}; console/rich_compat.py was "
                        f"written for rich {TESTED}.x (pinned in pyproject.toml) and must be "
                        "updated")


def environ_console(environ: Mapping[str, str], **options: Any) -> Console:
    """A Rich console that reads `environ` instead of the process's environment
    (`options` are Console's own keyword arguments)."""
    return Console(_environ=environ, **options)


def check() -> None:
    """Raise RuntimeError unless `Console(_environ=)` still sets the colour depth."""
    if "_environ" not in inspect.signature(Console).parameters:
        raise _broken("Console() no longer takes _environ")
    for environ, depth in (({"TERM": "xterm"}, "standard"),
                           ({"TERM": "xterm-256color"}, "256"),
                           ({"TERM": "xterm", "COLORTERM": "truecolor"}, "truecolor")):
        console = environ_console(environ, file=io.StringIO(), force_terminal=True,
                                  color_system="auto")
        if console.color_system != depth:
            raise _broken(f"Console(_environ={environ}) gives colour system "
                          f"{console.color_system!r}, not {depth!r}")
