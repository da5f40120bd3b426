"""The Blocks tab (placeholder until built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from console.tabs.base import SiteTab
from core.rights import Area


class BlocksTab(SiteTab):
    """The guide's Blocks tab."""

    area = Area.BLOCKS
    title = "Blocks"

    def compose(self) -> ComposeResult:
        yield Static("Blocks")
