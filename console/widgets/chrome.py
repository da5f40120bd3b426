"""The parts around the tabs: the site → block tree, the site header with its quotas,
and the alarm count that every screen shows."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static, Tree

from console.widgets.plain import plain
from store.queries import BlockRow, SiteHeader

#: the guide's header names, in its order
QUOTA_LABELS = (("panels", "panels", "panels"), ("flats", "flats", "flats"),
                ("foreign_numbers", "foreign numbers", "foreign"),
                ("panel_names", "names", "names"))


class SiteTree(Tree[tuple[int, int | None]]):
    """My sites, each with its blocks. Data: (site id, block id or None)."""

    def __init__(self, **kwargs) -> None:
        super().__init__("Sites", **kwargs)
        self.show_root = False
        self.guide_depth = 2

    def add_site(self, site_id: int, name: str, blocks: list[BlockRow]):
        node = self.root.add(plain(name, "bold"), data=(site_id, None), expand=True)
        for block in blocks:
            node.add_leaf(plain(block.name), data=(site_id, block.id))
        return node


class SiteHeaderBar(Static):
    """ "Demo Cases · Qty of panels 2 / 5, flats 11 / 100, foreign numbers 0 / 10"; the
    labels shorten below 100 columns so every quota stays in view."""

    _shown: tuple[SiteHeader, str | None] | None = None

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
        self.update(text)


class AlarmBadge(Static):
    """ "Alarms 12": always visible; flashes when a new alarm comes."""

    _shown: tuple[int, bool] | None = None

    def set_count(self, count: int, connected: bool = True) -> None:
        # unchanged: no update, since an update lays out the whole screen again (a cost
        # paid per session on every recount when fifty are served)
        if (count, connected) == self._shown:
            return
        self._shown = (count, connected)
        self.set_class(count > 0, "-alarms")
        label = Text(f" ⚠ Alarms {count} " if count else " Alarms 0 ")
        if not connected:
            label.append(" · gateway offline ", style="italic")
        self.update(label, layout=label.cell_len != self.content_size.width)

    def flash(self) -> None:
        self.add_class("-flash")
        self.set_timer(1.0, lambda: self.remove_class("-flash"))
