"""Sharing a management company with another operator (the guide's Provider Access): the
company its creator shares becomes visible to the other, both see who manages it, the
share is audited, and once withdrawn the other no longer sees the company."""

from __future__ import annotations

from textual.widgets import Input, Static

from console.screens.facilities_sharing import SharingScreen
from core.model import AuditEntry, ManagementCompany
from core.rights import Profile
from core.services.facilities import save_company
from core.views.facilities import company_rows, company_shares
from tests.conftest import dump_database, make_operator
from tests.console.conftest import context_for, press, settled
from tests.console.test_facilities_providers import cells, open_facilities

SIZE = (120, 40)


async def test_share_a_company_then_withdraw_it(store, admin, estate, make_app):
    ann = await make_operator(store, admin, "ann@test.example", estate.site.id,
                              Profile.MANAGEMENT)
    await make_operator(store, admin, "bob@test.example", estate.site.id, Profile.MANAGEMENT)
    company = await save_company(store.uow(), ann, ManagementCompany("Ann's Cleaning"))
    await save_company(store.uow(), admin, ManagementCompany("Admin's Lifts"))
    ann_ctx = await context_for(store, "ann@test.example")
    bob_ctx = await context_for(store, "bob@test.example")
    assert [c.name for c in await ann_ctx.view(company_rows)] == ["Ann's Cleaning"]
    assert await bob_ctx.view(company_rows) == []
    app = make_app(ann_ctx)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_facilities(app, pilot)
        pane.company_table.focus()
        await press(pilot, "s")
        sharing = app.screen
        assert isinstance(sharing, SharingScreen)
        await settled(pilot)
        assert cells(sharing.table) == [["", "ann@test.example", "Creator"]]
        await press(pilot, "n")
        form = app.screen
        form.query_one("#f-email", Input).value = "nobody@test.example"
        before = dump_database(store.where)
        await press(pilot, "ctrl+s")
        assert "No operator" in str(form.query_one("#e-email", Static).render())
        assert dump_database(store.where) == before
        form.query_one("#f-email", Input).value = "bob@test.example"
        await press(pilot, "ctrl+s")
        assert app.screen is sharing
        await settled(pilot)
        assert cells(sharing.table)[1] == ["", "bob@test.example",
                                           "Shared by ann@test.example on 2026-11-27"]
        # Bob sees the company now, and who manages it
        assert [c.name for c in await bob_ctx.view(company_rows)] == ["Ann's Cleaning"]
        assert [s.email for s in await bob_ctx.view(company_shares, company.id)] == [
            "ann@test.example", "bob@test.example"]
        sharing.table.move_cursor(row=1)
        await press(pilot, "d", "y")
        await app.workers.wait_for_complete()
        assert len(cells(sharing.table)) == 1
        sharing.table.move_cursor(row=0)
        await settled(pilot)
        assert sharing.check_action("withdraw", ()) is None  # the creator's line stays
    assert await bob_ctx.view(company_rows) == []
    async with store.reader() as uow:
        entries = [(e.actor, e.action) for e in await uow.find(AuditEntry)
                   if e.entity == "company_access"]
    assert entries == [("ann@test.example", "company_access.create"),
                       ("ann@test.example", "company_access.delete")]
