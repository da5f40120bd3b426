"""The Displays tab (placeholder until built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from console.tabs.base import SiteTab
from core.rights import Area


class DisplaysTab(SiteTab):
    """The guide's Displays tab."""

    area = Area.RESIDENTS_DISPLAYS
    title = "Displays"

    def compose(self) -> ComposeResult:
        yield Static("Displays")
