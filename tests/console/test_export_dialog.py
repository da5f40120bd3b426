"""The export dialog's keys say what they do, and it is as tall as what it shows.

Once the file was written the key bar still offered "^s Export", which did nothing (the
button is greyed), and "esc Cancel", which closes (the button says "Close"); and the
format's row took every spare line, so at 80x24 the dialog filled the screen with
eleven blank lines between the format and the progress bar.
"""

from __future__ import annotations

import pytest

from console.screens.export_progress import ExportScreen
from console.widgets.key_bar import KeyBar
from tests.console.conftest import press, settled, until


def keys(dialog: ExportScreen) -> dict[str, tuple[str, bool]]:
    return {k.display: (k.description, k.enabled) for k in dialog.query_one(KeyBar).shown}


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_the_keys_follow_the_export_and_the_dialog_fits_it(console_ctx, make_app,
                                                                  size):
    app = make_app(console_ctx)
    async with app.run_test(size=size) as pilot:
        await settled(pilot)
        await press(pilot, "x")  # Blocks: the flats of the block
        await settled(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ExportScreen)
        assert dialog.query_one("#export-choice").outer_size.height == 1
        assert keys(dialog)["esc"] == ("Cancel", True)
        assert keys(dialog)["^s"] == ("Export", True)
        await press(pilot, "ctrl+s")
        await until(pilot, lambda: dialog.written is not None, "the export")
        await settled(pilot)
        assert keys(dialog)["esc"] == ("Close", True)
        assert keys(dialog)["^s"] == ("Export", False)  # dim, as the button is
