"""Snapshots of the commissioning screens and dialogs at 80x24 and 120x40, over the fixed
small estate of test_snapshots: Sites (S) and its form, go to Flat N° (Blocks list, g),
the device form (Devices tab, n) and Add APasses (a flat's APass(es) tab, n).

The device form and Add APasses are pushed by a worker once it has read the store (the
blocks and control units; the flat), so a key pressed at once could land before the
dialog or in its first field: those snapshots are taken once the app's workers are done
and the dialog is the screen (`settle`), not after a fixed key list. A focused field's
cursor blinks every 0.5 s, which a loaded machine could catch either way: the dialogs'
fields are given a steady cursor (Input.cursor_blink off) before the picture is taken.

Regenerate after a deliberate change of look: `pytest tests/console/
test_commission_snapshots.py --snapshot-update`, then look at the SVGs."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from console.screens.device_form import DeviceForm
from console.widgets.form import FormScreen
from tests.console.conftest import press, settled, show_tab
from tests.console.setup_helpers import settle
from tests.console.test_snapshots import SIZES, app_over, estate_db  # noqa: F401 (fixture)

KEYS = [["S"], ["S", "e"], ["1", "g"]]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("keys", KEYS, ids="-".join)
def test_commission_snapshot(snap_compare, estate_db, keys, size):  # noqa: F811
    assert snap_compare(app_over(estate_db), press=["_", *keys, "_"], terminal_size=size)


async def _loaded(pilot: Pilot, kind: type[FormScreen]) -> None:
    """Wait until the dialog a worker pushes is up, then steady its fields' cursors."""
    await settle(pilot)
    assert isinstance(pilot.app.screen, kind), type(pilot.app.screen).__name__
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await settled(pilot)


async def _device_form(pilot: Pilot) -> None:
    """Devices tab, n: the form of a new device (an OSDP reader's fields)."""
    await settle(pilot)
    await show_tab(pilot, "2")
    await settle(pilot)
    await press(pilot, "n")
    await _loaded(pilot, DeviceForm)


async def _add_passes(pilot: Pilot) -> None:
    """Go to flat 001 of the block (g), its APass(es) tab, n: Add APasses."""
    await settle(pilot)
    await press(pilot, "g")
    await settle(pilot)
    pilot.app.screen.query_one("#f-number", Input).value = "001"
    await press(pilot, "ctrl+s")
    await settle(pilot)
    pilot.app.screen.action_pane(3)
    await settle(pilot)
    await press(pilot, "n")
    await _loaded(pilot, FormScreen)
    assert pilot.app.screen.title_text.startswith("Add APasses")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("dialog", ["device-form", "add-apasses"])
def test_commission_dialog_snapshot(snap_compare, estate_db, dialog, size):  # noqa: F811
    steps = {"device-form": _device_form, "add-apasses": _add_passes}[dialog]
    assert snap_compare(app_over(estate_db), run_before=steps, terminal_size=size)
