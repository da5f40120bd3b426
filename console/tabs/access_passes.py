"""The Access Passes tab (placeholder until built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from console.tabs.base import SiteTab
from core.rights import Area


class AccessPassesTab(SiteTab):
    """The guide's Access Passes tab."""

    area = Area.APASS_MANAGEMENT
    title = "Access Passes"

    def compose(self) -> ComposeResult:
        yield Static("Access Passes")
