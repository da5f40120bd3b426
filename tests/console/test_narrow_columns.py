"""Columns that give way on a narrow terminal (console/widgets/columns.py): the rule, and
the Events list, a block's flats and the Displays tab at 80, 100 and 120 columns."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.widgets.columns import Col, fit
from core.model import EventKind, EventResult
from tests.console.conftest import settled, show_tab
from tests.console.test_displays_tab import add_display, open_tab, tab_of
from tests.console.test_events_tab import ev, open_events, write

LONG = "Resident : Jordan, Kimberley-Anne (Appt. 041) opened by proximity fob at the main door"


def test_the_least_needed_column_goes_first_and_a_long_one_is_cut_to_its_minimum():
    cols = [Col("a"), Col("b", 2), Col("c", 1, 10), Col("d", 3)]
    assert fit([10, 10, 50, 5], cols, 200) == [10, 10, 50, 5]  # all fit
    # 80: d (3) does not fit once c is at its minimum with a and b; c takes what is left
    assert fit([10, 10, 50, 5], cols, 40) == [10, 10, 14, None]
    assert fit([10, 10, 50, 5], cols, 30) == [10, None, 16, None]  # b goes before c
    # priority 0 stays whatever the width; a narrower, less needed column never jumps in
    assert fit([10, 10, 50, 5], cols, 5) == [10, None, None, None]
    assert fit([10, 30, 10, 1], [Col("a"), Col("b", 1), Col("c", 2), Col("d", 2)], 30) == \
        [10, None, None, None]


@pytest.mark.parametrize(("size", "labels"), [
    ((80, 24), ["Date & time", "Result", "Description"]),
    ((100, 30), ["Date & time", "Result", "Description"]),
    ((120, 40), ["Date & time", "Event type", "Result", "Description"]),  # beside the tree
    ((160, 40), ["Date & time", "Device", "Event type", "Result", "Description"]),
], ids=["80x24", "100x30", "120x40", "160x40"])
async def test_events_keep_the_description_in_view(console_ctx, make_app, store, estate, size,
                                                   labels):
    await write(store, ev(estate, timedelta(hours=1), EventKind.OPEN_BY_PROXIMITY_FOB,
                          EventResult.OPENING, LONG))
    app = make_app(console_ctx)
    async with app.run_test(size=size) as pilot:
        tab = await open_events(app, pilot)
        await settled(pilot)
        table = tab.table
        assert table.shown_labels == labels
        assert table.virtual_size.width <= table.size.width  # nothing off to the right
        line = "".join(seg.text for seg in table.render_line(1))
        assert "Resident : Jordan" in line and "…" in line  # cut, whole in the detail
        assert table.get_row_at(0)[4].plain == LONG


async def test_a_blocks_flats_at_80_columns_show_the_telephone_whole(console_ctx, make_app,
                                                                     estate):
    app = make_app(console_ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await show_tab(pilot, "1")
        await pilot.press("enter")
        await settled(pilot)
        table = app.main.tabs["pane-blockstab"].flats_table
        assert "Telephone N° / Email" in table.shown_labels
        assert "Notes" not in table.shown_labels
        assert table.virtual_size.width <= table.size.width
        await pilot.resize_terminal(160, 40)
        await settled(pilot)
        assert "Notes" in table.shown_labels  # wider: the columns come back


@pytest.mark.parametrize(("size", "labels"), [
    ((80, 24), ["Display name", "Call code", "Flat N°", "Call chain", "Auto-opening"]),
    ((120, 40), ["Display name", "Call code", "Flat N°", "Call chain", "Auto-opening",
                 "Block"]),
], ids=["80x24", "120x40"])
async def test_a_long_call_chain_is_cut_not_dropped_with_the_columns_after_it(
        console_ctx, make_app, store, admin, estate, size, labels):
    """A name called on three telephones has a chain wider than the tab: it is cut with
    "…" (whole in the cell), and the call code, auto-opening and block stay in view."""
    phones = [("020 7946 0123", 20), ("07546 277360", 35), ("07546 288399", 30)]
    await add_display(store, admin, estate.flats[0].id, "Jolly, Michael", "101", phones)
    app = make_app(console_ctx)
    async with app.run_test(size=size) as pilot:
        await settled(pilot)
        await open_tab(pilot)
        await settled(pilot)
        table = tab_of(app).table
        assert table.shown_labels == labels
        assert table.virtual_size.width <= table.size.width  # nothing off to the right
        chain = table.all_cells(0)[3].plain
        assert chain.count("→") == 2  # whole in the cell
        line = "".join(seg.text for seg in table.render_line(1))
        assert "Jolly, Michael" in line and "02079460123" in line and "…" in line
