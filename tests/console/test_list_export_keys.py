"""`x` on the Access Passes, Displays and Blocks tabs: the list as the tab shows it, to a
file in the operator's export folder (the export dialog of the Events tab), read back
with openpyxl; hidden without the Export right."""

from __future__ import annotations

import openpyxl

from console.export.folder import operator_folder
from console.screens.export_progress import ExportScreen
from core.services import access_passes
from tests.conftest import make_operator
from tests.console.conftest import context_for, press, settled, show_tab, until


async def export_shown(pilot, store, key: str) -> list[tuple]:
    """Press the tab's export key, save as XLSX, and read the file's rows."""
    await press(pilot, key)
    await settled(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, ExportScreen)
    await press(pilot, "ctrl+s")
    await until(pilot, lambda: dialog.written is not None, "the export")
    path = dialog.written.path
    assert path.parent == operator_folder(store, "admin@test.example", create=False)
    await press(pilot, "escape")
    await settled(pilot)
    book = openpyxl.load_workbook(path, read_only=True)
    rows = [tuple(c or "" for c in r) for r in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return rows


async def test_the_lists_export_as_shown(console_ctx, make_app, store, admin, estate):
    await access_passes.create_access_passes(store.uow(), admin, estate.site.id, "2222200001",
                                             quantity=2, flat_id=estate.flats[0].id)
    app = make_app(console_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        rows = await export_shown(pilot, store, "x")  # Blocks: Block C's flats
        assert rows[0][:2] == ("Flat N°", "Flat")
        assert [r[0] for r in rows[1:]] == [f.number for f in estate.flats]
        await show_tab(pilot, "4")
        rows = await export_shown(pilot, store, "x")  # Access Passes: assigned
        assert [r[0] for r in rows[1:]] == ["2222200001", "2222200002"]


async def test_no_export_key_without_the_export_right(store, admin, estate, make_app):
    await make_operator(store, admin, "desk@test.example", estate.site.id, "Concierge")
    app = make_app(await context_for(store, "desk@test.example"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        for tab in ("1", "3", "4"):
            await show_tab(pilot, tab)
            assert "x" not in app.screen.active_bindings or not \
                app.screen.active_bindings["x"].enabled, tab
