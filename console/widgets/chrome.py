"""The parts around the tabs: the site → block tree, the site header with its quotas,
and the alarm count that every screen shows."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.strip import Strip
from textual.widgets import Static, Tree

from console.textual_compat import grow_line_cache
from console.widgets.plain import plain
from core.views.rows import BlockRow, SiteHeader

#: the guide's header names, in its order
QUOTA_LABELS = (("panels", "panels", "panels"), ("flats", "flats", "flats"),
                ("foreign_numbers", "foreign numbers", "foreign"),
                ("panel_names", "names", "names"))


class SiteTree(Tree[tuple[int, int | None]]):
    """My sites, each with its blocks. Data: (site id, block id or None).

    Tree drops every line it drew when its size changes; the tree learns its size just
    after the first frame, at the width it was drawn at, and drew it all again (part of
    the 10-15 ms after a session's first frame). A resize that keeps the width keeps
    the lines (a line's width is in its cache key; its height only grows the cache)."""

    _drawn_width = -1

    def __init__(self, **kwargs) -> None:
        super().__init__("Sites", **kwargs)
        self.show_root = False
        self.guide_depth = 2

    def render_line(self, y: int) -> Strip:
        self._drawn_width = self.size.width
        return super().render_line(y)

    def on_resize(self, event: events.Resize) -> None:
        if self.size.width == self._drawn_width:  # the event's size is the outer one
            grow_line_cache(self, event.size.height)
            event.prevent_default()  # Tree's own handler would draw every line again

    def add_site(self, site_id: int, name: str, blocks: list[BlockRow]):
        node = self.root.add(plain(name, "bold"), data=(site_id, None), expand=True)
        for block in blocks:
            node.add_leaf(plain(block.name), data=(site_id, block.id))
        return node

    def set_blocks(self, site_id: int, blocks: list[BlockRow]) -> None:
        """A site's blocks as they are now (another console may have changed them)."""
        for node in self.root.children:
            if node.data != (site_id, None):
                continue
            now = [(plain(b.name), (site_id, b.id)) for b in blocks]
            if [(str(c.label), c.data) for c in node.children] != [
                    (str(label), data) for label, data in now]:
                node.remove_children()
                for label, data in now:
                    node.add_leaf(label, data=data)


class SiteHeaderBar(Static):
    """ "Demo Cases · Qty of panels 2 / 5, flats 11 / 100, foreign numbers 0 / 10"; the
    labels shorten below 100 columns so every quota stays in view."""

    _shown: tuple[SiteHeader, str | None] | None = None
    #: what it shows: when it learns its size (just after the first frame) or the same
    #: header comes again, nothing is drawn again
    _painted: Text | None = None

    def show_header(self, header: SiteHeader, block: str | None = None) -> None:
        self._shown = (header, block)
        self._paint()

    def on_resize(self) -> None:
        self._paint()

    def _paint(self) -> None:
        if self._shown is None:
            return
        header, block = self._shown
        narrow = self.size.width < 100
        text = plain(header.name, "bold")
        if block and not narrow:
            text.append(" › ")
            text.append(plain(block))
        parts = []
        for key, label, short in QUOTA_LABELS:
            used, quota = header.usage.get(key, 0), header.quotas.get(key, 0)
            style = "bold red" if quota and used >= quota else ""
            parts.append(Text(f"{short if narrow else label} {used}/{quota}", style=style))
        text.append("  " if narrow else "  Qty of ")
        text.append(Text(" · " if narrow else ", ").join(parts))
        if text != self._painted:
            self._painted = text
            self.update(text)


class AlarmBadge(Static):
    """ "Alarms 12": always visible; flashes when a new alarm comes.

    Served over SSH, every session of a worker repaints its badge for every alarm, so
    the badge changes as little as it can: nothing when the count is the same, no
    layout unless its width changes, and the flash is a reversed label rather than a
    CSS class (a class change restyles the node: about 2.5 ms a session an alarm)."""

    _shown: tuple[int, bool] | None = None
    _flashing = False

    def set_count(self, count: int, connected: bool = True) -> None:
        if (count, connected) == self._shown:
            return
        self._shown = (count, connected)
        self.set_class(count > 0, "-alarms")
        self._paint()

    def flash(self) -> None:
        """Reverse the badge for a second (a new alarm while flashing changes nothing)."""
        if not self._flashing:
            self._flashing = True
            self._paint()
            self.set_timer(1.0, self._unflash)

    def _unflash(self) -> None:
        self._flashing = False
        self._paint()

    def _paint(self) -> None:
        count, connected = self._shown or (0, True)
        label = Text(f" ⚠ Alarms {count} " if count else " Alarms 0 ")
        if not connected:
            label.append(" · gateway offline ", style="italic")
        if self._flashing:
            label.stylize("bold reverse")
        self.update(label, layout=label.cell_len != self.content_size.width)
