"""The private parts of Textual the SSH driver uses, in one place.

- `textual._xterm_parser.XTermParser`: Textual's own parser of terminal input (keys,
  mouse, bracketed paste, focus, the replies to mode queries). Textual's drivers use
  it and there is no public one; writing our own would mean a second reading of
  every escape sequence. `escape_pending` reads its `_timeout_time` (from
  `textual._parser.Parser`): a lone Esc is only known as such after the escape delay.
- `Strip.render_style`: replaced by `colours_per_client()`, see there.
- `Driver`'s protected `_app`, `_loop`, `_size` and `_mouse`: what a driver subclass
  works with (Textual's own drivers do the same).
- `DataTable._require_update_dimensions`: `widths_pending` tells a paged table that
  the column widths are not measured yet (it repaints once they are).

Nothing else in the code may reach into Textual's private names.

Textual is pinned in pyproject.toml to the version this was tested with (TESTED);
tests/test_private_apis.py runs `check()` and fails naming the installed version if
a release moves any of it.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

import textual
from textual._xterm_parser import XTermParser
from textual.driver import Driver
from textual.strip import Strip
from textual.widgets import DataTable

if TYPE_CHECKING:
    from rich.color import ColorSystem
    from rich.style import Style

__all__ = ["TESTED", "XTermParser", "check", "colours_per_client", "escape_pending",
           "widths_pending"]

TESTED = "8.2.8"  # the Textual release this module was tested with (pinned in pyproject.toml)


def _broken(what: str) -> RuntimeError:
    return RuntimeError(f"textual {textual.__version__}: {what}; console/textual_compat.py "
                        f"was written for textual {TESTED} (pinned in pyproject.toml) and must "
                        "be updated")


def escape_pending(parser: XTermParser) -> bool:
    """True while the parser holds input (a lone Esc) until the escape delay has passed."""
    return parser._timeout_time is not None


def widths_pending(table: DataTable[object]) -> bool:
    """True while a table's column widths are still to be measured (on its next idle)."""
    return bool(table._require_update_dimensions)


def _render_style(cls: type[Strip], style: Style, text: str, color_system: ColorSystem) -> str:
    """Strip.render_style without Rich's one-per-style `_ansi` cache (see below)."""
    ansi = cls.render_ansi(style, color_system)
    output = f"\x1b[{ansi}m{text}\x1b[0m" if ansi else text
    if style.link:
        output = f"\x1b]8;id={style.link_id};{style.link}\x1b\\{output}\x1b]8;;\x1b\\"
    return output


def colours_per_client() -> None:
    """Let each app in the process render in its own client's colour depth.

    Rich caches a style's escape codes on the (shared, interned) Style object for the
    first colour system that renders it, and Textual's Strip.render_style reuses that
    cache: a 16-colour client would get the 256-colour codes another session rendered
    first. Textual's own `Strip.render_ansi` is cached per (style, colour system), so
    going through it alone costs nothing more. tests/ssh/test_session.py checks mixed
    depths in one process.
    """
    # replacing Textual's method is the point (mypy forbids assigning to a method)
    Strip.render_style = classmethod(_render_style)  # type: ignore[method-assign,assignment]


def check() -> None:
    """Raise RuntimeError unless Textual still has what this module uses, as it was."""
    parser = XTermParser()
    if getattr(parser, "_timeout_time", False) is not None:
        raise _broken("XTermParser()._timeout_time is gone (or not None when idle)")
    list(parser.feed("\x1b"))
    if getattr(parser, "_timeout_time", None) is None:
        raise _broken("XTermParser no longer holds a lone Esc in _timeout_time")
    if not hasattr(parser, "terminal_size") or not callable(getattr(parser, "tick", None)):
        raise _broken("XTermParser.terminal_size or XTermParser.tick is gone")
    source = inspect.getsource(Driver.__init__)
    for name in ("_app", "_loop", "_size", "_mouse"):
        if f"self.{name} =" not in source:
            raise _broken(f"Driver.__init__ no longer sets self.{name}")
    if not isinstance(getattr(DataTable(), "_require_update_dimensions", None), bool):
        raise _broken("DataTable()._require_update_dimensions is gone")
    for name, params in (("render_style", ["style", "text", "color_system"]),
                         ("render_ansi", ["style", "color_system"])):
        method = getattr(Strip, name, None)
        if method is None or list(inspect.signature(method).parameters) != params:
            raise _broken(f"Strip.{name} is gone or no longer takes ({', '.join(params)})")
