"""The Audit screen (A, or ctrl+p -> Audit): the trail with the chain's integrity, its
filters in a dialog, each entry's changes, the export with a progress bar (done and
cancelled), the Events tab's export key, and who may open it. Snapshots at 80x24 and
120x40."""

from __future__ import annotations

import asyncio
import sqlite3

import openpyxl
import pytest
from textual.widgets import Select, Static

from console.export.folder import operator_folder
from console.screens.audit import AuditScreen
from console.screens.export_progress import ExportScreen
from console.widgets.form import FormScreen
from core.rights import Profile
from core.services import flats
from store.audit_queries import checkpoint_path
from tests.conftest import make_operator
from tests.console.conftest import context_for, press, settled, show_tab, type_into, until
from tests.console.test_snapshots import SIZES, app_over, estate_db  # noqa: F401 (fixture)

SIZE = (120, 40)


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def whats(screen: AuditScreen) -> list[str]:
    table = screen.table
    return [str(table.get_row_at(i)[3]) for i in range(table.row_count)]


async def open_audit(pilot) -> AuditScreen:
    await settled(pilot)
    await press(pilot, "A")
    await settled(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AuditScreen)
    await until(pilot, lambda: "checking" not in text(screen, "#audit-chain"), "the chain")
    return screen


async def test_trail_filters_detail_and_export(console_ctx, make_app, store, admin, estate):
    await flats.update_flat(store.uow(), admin, estate.flats[1].id, name="Martin")
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_audit(pilot)
        assert text(screen, "#audit-chain").startswith("Chain: intact (")
        assert "Site: Demo Cases" in text(screen, "#audit-filters")
        assert whats(screen)[0] == "Flat modified: 002 (Block C)"
        detail = text(screen, "#audit-detail")
        assert "Flat modified: 002 (Block C) · admin@test.example · test" in detail
        assert "Name: Appt. 002 → Martin" in detail

        # filters: the flat of a block, by the dialog; a bad APass number is refused there
        await press(pilot, "f")
        form = pilot.app.screen
        assert isinstance(form, FormScreen)
        form.query_one("#f-apass").focus()
        await type_into(pilot, form.query_one("#f-apass"), "12ab")
        await press(pilot, "ctrl+s")
        assert "digits only" in text(form, "#e-apass")
        form.query_one("#f-apass").value = ""
        form.query_one("#f-block").value = "Block C"
        form.query_one("#f-flat").value = "2"
        await press(pilot, "ctrl+s")
        await settled(pilot)
        assert pilot.app.screen is screen
        assert whats(screen) == ["Flat modified: 002 (Block C)"]
        assert "Block: Block C" in text(screen, "#audit-filters")

        # export: a progress line, then the file's name; the file holds the list shown
        await press(pilot, "e")
        await settled(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ExportScreen) and dialog.total == 1
        await press(pilot, "ctrl+s")
        await until(pilot, lambda: dialog.written is not None, "the export")
        name = dialog.written.path.name
        assert name.startswith("audit-") and name.endswith(".xlsx")
        assert f"Wrote 1 row to {name}" in text(dialog, "#export-status")
        folder = operator_folder(store, "admin@test.example", create=False)
        assert [p.name for p in folder.iterdir()] == [name]
        sheet = openpyxl.load_workbook(folder / name)["Audit trail"]
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == ("Date & time", "Operator", "From", "What", "Changes")
        assert rows[1][1:4] == ("admin@test.example", "test", "Flat modified: 002 (Block C)")
        await press(pilot, "escape")
        assert pilot.app.screen is screen


async def test_a_broken_chain_is_shown_where_it_breaks(console_ctx, make_app, store, estate):
    con = sqlite3.connect(store.where)
    con.execute("UPDATE audit_entries SET actor = 'someone@else.example' WHERE id = 3")
    con.commit()
    con.close()
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_audit(pilot)
        assert text(screen, "#audit-chain").startswith(
            "Chain: BROKEN at entry 3: the entry was altered after it was written")


async def test_a_second_open_checks_only_the_new_entries_and_v_checks_all(
        console_ctx, make_app, store, admin, estate):
    """The first open checks the whole chain (in a process of its own) and leaves a
    checkpoint; the next checks the entries since and says when all were; v checks all."""
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_audit(pilot)
        first = text(screen, "#audit-chain")
        assert first.startswith("Chain: intact (") and "in full" not in first
        await press(pilot, "escape")
        await flats.update_flat(store.uow(), admin, estate.flats[1].id, name="Martin")
        screen = await open_audit(pilot)
        line = text(screen, "#audit-chain")
        assert "the 1 newest checked now, the rest in full on 2026-" in line, line
        await press(pilot, "v")
        await until(pilot, lambda: "checking" not in text(screen, "#audit-chain")
                    and "in full" not in text(screen, "#audit-chain"), "the whole chain")
        assert text(screen, "#audit-chain").startswith("Chain: intact (")


async def test_events_export_runs_and_a_cancel_leaves_no_file(console_ctx, make_app, store,
                                                              estate):
    """The store's reads are real; the first page is held back (an asyncio.Event around
    the real read: nothing here can make a real export slow on purpose) so that Escape
    comes while the export is under way."""
    reads, gate = console_ctx.reads, asyncio.Event()

    def hold(real):
        async def held(*args, **kwargs):
            await gate.wait()
            return await real(*args, **kwargs)
        return held

    # the CSV reads ready lines (event_lines); the other formats rows (event_rows)
    reads.event_rows, reads.event_lines = hold(reads.event_rows), hold(reads.event_lines)
    folder = operator_folder(store, "admin@test.example", create=False)
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await show_tab(pilot, "5")
        await press(pilot, "e")
        await settled(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ExportScreen)
        dialog.query_one("#export-format", Select).value = "csv"
        await press(pilot, "ctrl+s")
        await until(pilot, lambda: any(folder.glob(".events-*.part")), "the export started")
        await press(pilot, "escape")
        assert not isinstance(pilot.app.screen, ExportScreen)
        assert list(folder.iterdir()) == []  # no file, no temporary file

        gate.set()  # now an export that runs to its end
        await press(pilot, "e")
        await settled(pilot)
        dialog = pilot.app.screen
        await press(pilot, "ctrl+s")
        await until(pilot, lambda: dialog.written is not None, "the export")
        assert dialog.written.rows == dialog.total
        status = text(dialog, "#export-status")
        assert "rows/s" not in status and dialog.written.path.name in status
        assert [p.name for p in folder.iterdir()] == [dialog.written.path.name]


RIGHTS = [
    # profile (custom rights), opens the trail, may export it
    (Profile.CONCIERGE, None, True, False),
    (Profile.TECHNICAL_MAINTENANCE, None, True, True),
    (Profile.CUSTOM, ["flats:consult", "blocks:consult", "export:consult"], False, False),
]


@pytest.mark.parametrize("profile,custom,opens,exports", RIGHTS)
async def test_who_may_open_and_export(store, admin, estate, make_app, profile, custom, opens,
                                       exports):
    who = f"{profile.value.split()[0].lower()}@test.example"
    await make_operator(store, admin, who, estate.site.id, profile, custom=custom)
    ctx = await context_for(store, who)
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert bool(app.main.check_action("audit", ())) is opens
        if opens:
            screen = await open_audit(pilot)
            assert bool(screen.check_action("export", ())) is exports


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_audit_snapshot(snap_compare, estate_db, size):  # noqa: F811 (the fixture)
    async def opened(pilot) -> None:
        await pilot.press("A")
        await until(pilot, lambda: "checking" not in text(pilot.app.screen, "#audit-chain"),
                    "the chain")

    # no checkpoint from another test's open: the whole chain, "intact (N entries)"
    checkpoint_path(str(estate_db)).unlink(missing_ok=True)
    assert snap_compare(app_over(estate_db), run_before=opened, terminal_size=size)
