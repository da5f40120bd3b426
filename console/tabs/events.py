"""The Events tab (placeholder until built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from console.tabs.base import SiteTab
from core.rights import Area


class EventsTab(SiteTab):
    """The guide's Events tab."""

    area = Area.EVENTS
    title = "Events"

    def compose(self) -> ComposeResult:
        yield Static("Events")
