"""The private parts of Textual the console uses, in one place.

- `DataTable._require_update_dimensions`: `widths_pending` tells a paged table that
  the column widths are not measured yet (it repaints once they are).
- `Stylesheet._parse_cache` and `Stylesheet._variables`: `share_css_parses` gives an app's
  stylesheet a parse cache shared by the apps of the process that have the same CSS
  variables. Textual keeps a parse cache per stylesheet, so every app (every test,
  every SSH session) parsed the console's CSS and every widget's default CSS again
  (about 33 sources). Shared, an app parses only what no app of the process parsed
  before (a session forked from the zygote inherits its parses). A stylesheet whose
  variables change (a theme change calls `set_variables`, which clears the cache)
  leaves the shared one.

- `Tree._line_cache`: `grow_line_cache` does what Tree's own resize handler does
  except drawing every line again, for a resize that keeps the width (the site tree
  learns its size just after a session's first frame, console/widgets/chrome.py).

- `App._display`: `on_frame` calls back on each frame the app writes (the start
  probe's frame count, console/ssh/start_probe.py).

Nothing else in the code may reach into Textual's private names.

Textual is pinned in pyproject.toml to the version this was tested with (TESTED);
tests/test_private_apis.py runs `check()` and fails naming the installed version if
a release moves any of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import textual
from textual.app import App
from textual.css.stylesheet import Stylesheet
from textual.widgets import DataTable, Tree

__all__ = ["TESTED", "check", "grow_line_cache", "on_frame", "share_css_parses",
           "widths_pending"]

TESTED = "8.2.8"  # the Textual release this module was tested with (pinned in pyproject.toml)


def _broken(what: str) -> RuntimeError:
    return RuntimeError(f"textual {textual.__version__}: {what}; console/textual_compat.py "
                        f"was written for textual {TESTED} (pinned in pyproject.toml) and must "
                        "be updated")


def widths_pending(table: DataTable[object]) -> bool:
    """True while a table's column widths are still to be measured (on its next idle)."""
    return bool(table._require_update_dimensions)


def grow_line_cache(tree: Tree[Any], height: int) -> None:
    """Let a tree's cache of drawn lines hold `height` lines, keeping those it holds."""
    tree._line_cache.grow(height)


def on_frame(app: App[Any], callback: Callable[[], None]) -> None:
    """Call `callback` each time the app writes a frame to its terminal."""
    display = app._display

    def counted(screen: Any, renderable: Any) -> None:
        if renderable is not None:
            callback()
        display(screen, renderable)

    app._display = counted  # type: ignore[method-assign]


class _SharedParses:
    """A stylesheet's parse cache that reads and writes the process's shared one for its
    variables, until `clear()` (new variables) detaches it."""

    def __init__(self, shared: dict[tuple[Any, ...], Any]) -> None:
        self._own: dict[tuple[Any, ...], Any] = {}
        self._shared: dict[tuple[Any, ...], Any] | None = shared

    def __getitem__(self, key: tuple[Any, ...]) -> Any:
        try:
            return self._own[key]
        except KeyError:
            if self._shared is None:
                raise
            value = self._own[key] = self._shared[key]
            return value

    def __setitem__(self, key: tuple[Any, ...], value: Any) -> None:
        self._own[key] = value
        if self._shared is not None:
            self._shared[key] = value

    def clear(self) -> None:
        self._own.clear()
        self._shared = None


_PARSES: dict[tuple[tuple[str, str], ...], dict[tuple[Any, ...], Any]] = {}


def share_css_parses(app: App[Any]) -> None:
    """Give the app's stylesheet the process's parse cache for its CSS variables."""
    sheet = app.stylesheet
    variables = tuple(sorted(sheet._variables.items()))
    sheet._parse_cache = _SharedParses(_PARSES.setdefault(variables, {}))  # type: ignore[assignment]


def check() -> None:
    """Raise RuntimeError unless Textual still has what this module uses, as it was."""
    if not callable(getattr(App, "_display", None)):
        raise _broken("App._display is gone")
    if not callable(getattr(getattr(Tree("x"), "_line_cache", None), "grow", None)):
        raise _broken("Tree._line_cache.grow is gone")
    if not isinstance(getattr(DataTable(), "_require_update_dimensions", None), bool):
        raise _broken("DataTable()._require_update_dimensions is gone")
    sheet = Stylesheet(variables={"x": "1"})
    if getattr(sheet, "_variables", None) != {"x": "1"}:
        raise _broken("Stylesheet._variables is gone")
    cache = getattr(sheet, "_parse_cache", None)
    if not (hasattr(cache, "__getitem__") and hasattr(cache, "clear")):
        raise _broken("Stylesheet._parse_cache is gone")
