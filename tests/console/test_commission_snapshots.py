"""Snapshots of the commissioning screens and dialogs at 80x24 and 120x40, over the fixed
small estate of test_snapshots: Sites (S) and its form, go to Flat N° (Blocks list, g).
The device form and Add APasses are read by their Pilot tests instead: their snapshots
were not the same from one run to the next (left for later).

Regenerate after a deliberate change of look: `pytest tests/console/
test_commission_snapshots.py --snapshot-update`, then look at the SVGs."""

from __future__ import annotations

import pytest

from tests.console.test_snapshots import SIZES, app_over, estate_db  # noqa: F401 (fixture)

KEYS = [["S"], ["S", "e"], ["1", "g"]]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("keys", KEYS, ids="-".join)
def test_commission_snapshot(snap_compare, estate_db, keys, size):  # noqa: F811
    assert snap_compare(app_over(estate_db), press=["_", *keys, "_"], terminal_size=size)
