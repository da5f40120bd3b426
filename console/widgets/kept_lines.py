"""Lines kept between frames until the widget is refreshed.

Textual's compositor asks every widget whose container overlaps a changed region for
all its lines: a key typed in a field draws the field beside it, and the table below,
again, although neither changed (bench/bench_search_keys.py). A widget with KeptLines
gives back the lines it drew last until something refreshes it (its own changes, a
style or focus change, a resize, a scroll), which is when Textual would draw it anew.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

# a plain mixin at run time: Textual follows a widget's first DOMNode base for its CSS
# type names and component classes, which must stay the widget's own
if TYPE_CHECKING:
    _Base = Widget
else:
    _Base = object


class KeptLines(_Base):
    """Mix in before the widget class: `class Field(KeptLines, Input)`."""

    _kept: tuple[object, list[Strip]] | None = None

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Self:
        self._kept = None
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def notify_style_update(self) -> None:
        self._kept = None
        super().notify_style_update()

    def render_lines(self, crop: Region) -> list[Strip]:
        # the theme too: a new theme may change only component styles (a cursor's
        # colours), which refreshes nothing
        key = (crop, self.size, self.scroll_offset, self.has_focus, self.app.theme)
        if self._kept is not None and self._kept[0] == key:
            return self._kept[1]
        lines = self.fresh_lines(crop)
        self._kept = (key, lines)
        return lines

    def fresh_lines(self, crop: Region) -> list[Strip]:
        """The lines drawn anew (the widget's own render_lines, unless overridden)."""
        return super().render_lines(crop)
