"""The Devices tab (placeholder until built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from console.tabs.base import SiteTab
from core.rights import Area


class DevicesTab(SiteTab):
    """The guide's Devices tab."""

    area = Area.DEVICES
    title = "Devices"

    def compose(self) -> ComposeResult:
        yield Static("Devices")
