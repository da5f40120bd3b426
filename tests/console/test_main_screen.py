"""The main screen: tree, site header with quotas, tabs by rights, alarm count."""

from __future__ import annotations

from textual.widgets import TabbedContent

from console.widgets.chrome import AlarmBadge, SiteHeaderBar, SiteTree
from tests.console.conftest import settled


async def test_opens_on_the_first_site_with_its_quotas(console_ctx, make_app):
    app = make_app(console_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        header = str(app.screen.query_one(SiteHeaderBar).render())
        assert "Demo Cases" in header
        assert "flats 3/5" in header and "panels 1/2" in header
        tree = app.screen.query_one(SiteTree)
        labels = [str(n.label) for n in tree.root.children[0].children]
        assert labels == ["Block C"]
        assert "Alarms 0" in str(app.screen.query_one(AlarmBadge).render())
        assert app.screen.query_one(TabbedContent).active == "pane-blockstab"
