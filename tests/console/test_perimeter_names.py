"""The task form's perimeter grid names each device so its lines can be told apart.

Its name column is 22 cells wide and once cut "block · device" at the end: the devices
of a block with a long name ("Block B - MINI PLUS hands free") all read "Block B - MINI
PLUS h", so a concierge could not tell which line ticks the panel and which the reader.
The block is now shortened first and the device's own name kept whole.
"""

from __future__ import annotations

import dataclasses

import pytest
from textual.geometry import Region

from console.screens.facilities_perimeter import PerimeterGrid
from tests.console.test_facilities_tasks import book, open_form, open_tasks  # noqa: F401

BLOCK = "Block B - MINI PLUS hands free"
NAMES = ["Panel Block B", "Centrale Block B", "MK2 Reader Block B", "Lift", "Radio receiver"]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_each_device_of_a_long_named_block_reads_differently(console_ctx, make_app,
                                                                    book, size):  # noqa: F811
    app = make_app(console_ctx)
    async with app.run_test(size=size) as pilot:
        await open_tasks(app, pilot)
        form = await open_form(app, pilot, "n")
        grid = form.query_one(PerimeterGrid)
        [panel] = grid.devices
        grid.show([dataclasses.replace(panel, name=name, block=BLOCK) for name in NAMES])
        await pilot.pause()
        lines = [line.text for line in grid.render_lines(Region(0, 0, *grid.outer_size))]
        labels = [line[1:grid.NAME + 1].rstrip() for line in lines[1:1 + len(NAMES)]]
        for name, label in zip(NAMES, labels, strict=True):
            assert label.endswith(name), labels  # the device's own name, whole
        assert labels[3] == "Block B - MIN… · Lift"  # as much of the block as fits
