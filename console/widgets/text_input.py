"""The console's one-line text field: Textual's Input with a maximum length by default.

Every text field of the console takes at most `TEXT_MAX` characters unless it asks for
fewer (a date, an APass number): what is typed or pasted past that is cut at the field,
with a notice saying so (Textual's Input refused a whole paste that did not fit, in
silence), so a flood of characters costs the session nothing past that (the SSH edge
cuts floods before they get here, console/ssh/limits.py).

The cursor does not blink: a blinking cursor redraws the field twice a second in every
session that has a field focused, a frame sent over SSH each time for nothing, and a
screen's picture (a snapshot, a screenshot) would depend on the moment it was taken.
"""

from __future__ import annotations

import time
from typing import Any

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input

#: the longest text any field takes (notes and SMS are 160 in core's rules)
TEXT_MAX = 256
#: a field says it is full at most this often (each key typed into a full field would)
TOLD_EVERY_S = 5.0


class TextInput(Input):
    """An Input whose `max_length` is `TEXT_MAX` unless given.

    Input sets its `virtual_size` (how wide its text is, for scrolling) on every
    keystroke, and Widget declares it with `layout=True`: each key asked the whole
    screen for a layout and a full redraw. A one-line field's size is its own (an
    auto-sized one still asks for a layout: Input does that itself), so here it only
    repaints the field (bench/bench_search_keys.py).
    """

    virtual_size: Reactive[Size] = Reactive(Size(0, 0))

    def __init__(self, value: str | None = None, placeholder: str = "", *,
                 max_length: int = 0, **kwargs: Any) -> None:
        super().__init__(value, placeholder, max_length=min(max_length or TEXT_MAX, TEXT_MAX),
                         **kwargs)
        self.set_reactive(Input.cursor_blink, False)
        self._told_at = -TOLD_EVERY_S

    def replace(self, text: str, start: int, end: int) -> None:
        """Insert what fits of `text` (the rest is cut, and the operator told)."""
        value = self.value
        start, end = sorted((max(0, start), min(len(value), end)))
        room = (self.max_length or 0) - (len(value) - (end - start))
        if self.max_length and len(text) > room:
            now = time.monotonic()
            if now - self._told_at >= TOLD_EVERY_S:
                self._told_at = now
                self.notify(f"This field takes at most {self.max_length} characters; "
                            "the rest was cut.", severity="warning", markup=False)
            text = text[:max(room, 0)]
            if not text:
                return
        super().replace(text, start, end)
