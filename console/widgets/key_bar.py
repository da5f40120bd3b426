"""The key bar at the foot of every screen: the keys the operator may press there.

One widget drawing one line, instead of Textual's Footer, which composes a widget
per key and composes them all again at every focus change: that was about a third
of the CPU of opening a screen or a dialog (0.84 s against 0.59 s to open the main
screen, 0.55 s against 0.34 s to open and close a dialog), paid by every SSH
session at every screen. It reads the same public state the Footer reads (the
screen's active bindings, its `bindings_updated_signal`), draws a key the way the
Footer does (the key in bold, its description, dim when disabled), keeps the
command palette's key and `?` (every key of the screen, in a panel) at the right,
so that a narrow terminal cuts the screen's own keys but never the way to see them
all, and a click on a key presses it. Under 100 columns, keys that do not all fit are
worded by their first word ("e Modify", not "e Modify block"; by their first and last
when two keys would read the same: "n Add user", "k Add key") and the palette's key
stands alone, so that more of them show (at 80 columns every tab's own keys do). A screen with a
`key_description(binding)` method words its keys itself (a dialog's ctrl+s says what
its button says: "Add flats", "Import", not "Save").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

#: the key that lists every key of the screen (console.app's action_keys)
HELP_KEY = "question_mark"
HELP_BINDING = Binding(HELP_KEY, "app.keys", "Keys")
#: below this width the keys are worded by their first word when they do not all fit
#: (the width below which the site tree starts hidden, too)
COMPACT_BELOW = 100


@dataclass(frozen=True)
class Shown:
    """One key as drawn."""

    key: str  # what a click presses
    display: str  # how the key is written ("^q")
    description: str
    enabled: bool  # drawn dim when not


def _first(description: str) -> str:
    return description.split(maxsplit=1)[0] if description.strip() else ""


class KeyBar(Widget, can_focus=False):
    """One line of key hints, at the bottom of a screen."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._keys: tuple[Shown, ...] = ()
        self._palette: Shown | None = None
        self._help: Shown | None = None  # "?": pinned at the right, before the palette
        self._spans: list[tuple[int, int, Shown]] = []  # start, end, key: for clicks

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._read(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen:
            self._read(screen)

    def _read(self, screen: Screen[object]) -> None:
        """Take the screen's active bindings; redraw only when what is shown changed."""
        app = self.app
        palette_key = app.COMMAND_PALETTE_BINDING if app.ENABLE_COMMAND_PALETTE else None
        keys: list[Shown] = []
        palette: Shown | None = None
        help_key: Shown | None = None
        actions: set[str] = set()
        describe = getattr(screen, "key_description", None)
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if key == palette_key:
                palette = Shown(binding.key, app.get_key_display(binding),
                                binding.description, active.enabled)
                continue
            if key == HELP_KEY:
                help_key = Shown(binding.key, app.get_key_display(binding),
                                 binding.description, active.enabled)
                continue
            if not binding.show or binding.action in actions:
                continue  # one key per action, as the Footer shows them
            actions.add(binding.action)
            description = describe(binding) if describe else binding.description
            keys.append(Shown(binding.key, app.get_key_display(binding), description,
                              active.enabled))
        if help_key is None and hasattr(app, "action_keys"):
            # the app's "?" is a priority binding, which a dialog's own list leaves out
            help_key = Shown(HELP_KEY, app.get_key_display(HELP_BINDING), "Keys", True)
        if (tuple(keys), palette, help_key) != (self._keys, self._palette, self._help):
            self._keys, self._palette, self._help = tuple(keys), palette, help_key
            self.refresh()

    @property
    def shown(self) -> tuple[Shown, ...]:
        """The keys drawn, left to right (`?` and the palette's key last)."""
        return self._keys + tuple(k for k in (self._help, self._palette) if k is not None)

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        text_style = self.get_component_rich_style("key-bar--description")
        width = self.size.width
        # narrow (under COMPACT_BELOW columns, when the keys do not fit): each key with the
        # first word of its description ("e Modify", "c New") and the palette's key
        # alone, so that more of the screen's keys show
        compact = width < COMPACT_BELOW and self._full_width(key_style, text_style) > width
        right = Text(end="")
        pinned: list[tuple[int, Shown]] = []  # where each pinned key starts in `right`
        if self._help is not None:
            pinned.append((0, self._help))
            right.append_text(self._segment(self._help, key_style, text_style))
        if self._palette is not None:  # "▏^p palette ", as the Footer draws it
            right.append("▏")
            pinned.append((right.cell_len, self._palette))
            right.append(self._palette.display, key_style)
            right.append(" " if compact else f" {self._palette.description} ", text_style)
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, Shown]] = []
        room = max(0, width - right.cell_len)
        same = Counter(_first(k.description) for k in self._keys)
        for shown in self._keys:
            part = self._segment(shown, key_style, text_style, compact,
                                 same[_first(shown.description)] > 1)
            if line.cell_len + part.cell_len > room:
                break
            spans.append((line.cell_len, line.cell_len + part.cell_len, shown))
            line.append_text(part)
        if right.cell_len and width >= right.cell_len:
            line.append(" " * (width - line.cell_len - right.cell_len))
            at = line.cell_len
            for (start, shown), end in zip(pinned, [p for p, _ in pinned[1:]] + [right.cell_len],
                                           strict=True):
                spans.append((at + start, at + end, shown))
            line.append_text(right)
        self._spans = spans
        return line

    def _full_width(self, key_style: Style, text_style: Style) -> int:
        """Cells every key takes in full, the pinned ones included."""
        width = sum(self._segment(k, key_style, text_style).cell_len for k in self.shown)
        return width + (1 if self._palette is not None else 0)  # the "▏"

    @staticmethod
    def _segment(shown: Shown, key_style: Style, text_style: Style,
                 compact: bool = False, shared: bool = False) -> Text:
        """A key and its description; `compact`: its first word, and its last too when
        the first is `shared` with another key."""
        dim = Style(dim=True) if not shown.enabled else Style()
        part = Text(end="")
        part.append(f" {shown.display} ", key_style + dim)
        if shown.description:
            words = shown.description.split()
            said = shown.description
            if compact:
                said = f"{words[0]} {words[-1]}" if shared and len(words) > 1 else words[0]
            part.append(f"{said} ", text_style + dim)
        return part

    def on_click(self, event: events.Click) -> None:
        for start, end, shown in self._spans:
            if start <= event.x < end:
                event.stop()
                if shown.enabled:
                    self.app.simulate_key(shown.key)
                else:
                    self.app.bell()
                return
