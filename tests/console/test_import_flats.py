"""The Blocks tab's Import flats (key i): the file named, its plan shown as a diff on the
preview screen (refused lines with the rule's words, nothing can be applied then), and a
good file applied once confirmed, the tab reloaded and the gateway told. A snapshot of
the preview at 80x24."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from console.screens.import_flats import ImportPreview
from console.widgets.form import ConfirmScreen, FormScreen
from core.model import Flat
from tests.conftest import dump_database
from tests.console.conftest import press, until
from tests.console.setup_helpers import open_form, save, settle
from tests.console.test_snapshots import SIZES, app_over, estate_db  # noqa: F401 (fixture)

HEADER = "Flat N°,Flat,Floor,Main door code,Telephone / Email 1\n"
BROKEN = HEADER + ("001,Appt. 001,,,\n002,Smith,3,,\n004,Jones,1,5555,jones@example.org\n"
                   "005,Brown,,12ab,\n006,=HYPERLINK(\"x\"),,,\n")
GOOD = HEADER + "002,Smith,3,,\n004,Jones,1,5555,jones@example.org\n"


def _rows(screen: ImportPreview) -> list[tuple[str, str]]:
    table = screen.query_one("#import-plan", DataTable)
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def _plan(pilot: Pilot, source: Path) -> ImportPreview:
    """i on the block, the file's path, Plan: the preview."""
    form = await open_form(pilot, "i", FormScreen)
    assert form.title_text == "Import flats into Block C"
    form.query_one("#f-file", Input).value = str(source)
    await save(pilot)
    assert isinstance(pilot.app.screen, ImportPreview), type(pilot.app.screen).__name__
    return pilot.app.screen


async def test_preview_shows_the_plan_then_applies_it(console_ctx, make_app, store, estate,
                                                      tmp_path):
    broken, good = tmp_path / "broken.csv", tmp_path / "good.csv"
    broken.write_text(BROKEN, encoding="utf-8")
    good.write_text(GOOD, encoding="utf-8")
    app = make_app(console_ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        form = await open_form(pilot, "i", FormScreen)  # a file that is not there
        form.query_one("#f-file", Input).value = str(tmp_path / "missing.csv")
        await save(pilot)
        assert app.screen is form
        assert "Cannot read" in str(form.query_one("#e-file", Static).render())
        await press(pilot, "escape")

        preview = await _plan(pilot, broken)
        assert _rows(preview) == [
            ("~", "line 3: Flat N° 002 'Smith'  Flat: Appt. 002 → Smith; Floor: (none) → 3"),
            ("+", "line 4: Flat N° 004 'Jones'  Flat: Jones; Floor: 1; Main door code: 5555; "
                  "Telephones / Emails: jones@example.org"),
            ("!", "line 5, Flat N° 005: Main door code must be digits only."),
            ("!", 'line 6, Flat N° 006: Flat is a formula (it begins with "="); formulas '
                  "are not imported: write the value itself."),
        ]
        assert "1 to add, 1 to change, 1 unchanged, 2 refused" in str(
            preview.query_one("#import-summary", Static).render())
        before = dump_database(store.where)
        await press(pilot, "ctrl+s")  # refused lines: nothing to apply
        assert app.screen is preview and not preview.check_action("apply", ())
        assert dump_database(store.where) == before
        await press(pilot, "escape")
        await settle(pilot)

        preview = await _plan(pilot, good)
        assert [mark for mark, _ in _rows(preview)] == ["~", "+"]
        await press(pilot, "ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await press(pilot, "y")
        await settle(pilot)
        assert not isinstance(app.screen, ImportPreview | ConfirmScreen)
        status = str(app.main.query_one("#blocks-status", Static).render())
        assert status == "Imported good.csv into Block C: 1 added, 1 changed, 0 removed."
    assert {"type": "change"} in console_ctx.commander.notices
    async with store.reader() as uow:
        numbers = {f.number: f.name for f in await uow.find(Flat, block_id=estate.block.id)}
    assert numbers == {"001": "Appt. 001", "002": "Smith", "003": "Appt. 003", "004": "Jones"}


async def _preview(pilot: Pilot) -> None:
    """The preview of a file with one change, one new flat and one refused line."""
    source = Path(pilot.app.ctx.store.where).with_name("snapshot-flats.csv")
    source.write_text(BROKEN, encoding="utf-8")
    await settle(pilot)
    await _plan(pilot, source)
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_import_preview_snapshot(snap_compare, estate_db, size):  # noqa: F811
    assert snap_compare(app_over(estate_db), run_before=_preview, terminal_size=size)
