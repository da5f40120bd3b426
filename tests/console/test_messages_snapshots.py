"""Snapshots of the Messages screen at 80x24 and 120x40: the small estate's flats with
telephones (a duplicate, a landline, an email), 1,000 credits and one campaign sent.

Regenerate after a deliberate change of look: `pytest tests/console/test_messages_snapshots.py
--snapshot-update`, then look at the SVGs before committing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.services import sms
from core.services.base import Actor
from core.services.operators import bootstrap_admin
from core.services.sms import Selection
from store.database import Store
from tests.conftest import build_small_estate, fixed_clock
from tests.console.conftest import press, settled, until
from tests.console.test_snapshots import app_over
from tests.sms.conftest import phones_estate

SIZES = [(80, 24), (100, 30), (120, 40)]


async def _build(path: Path) -> None:
    store = await Store.open(path=path)
    try:
        op = await bootstrap_admin(store.uow(), "admin@test.example")
        admin = Actor(op, source="test", clock=fixed_clock)
        estate = await build_small_estate(store, admin)
        site = await phones_estate(store, admin, estate, credits=1000)
        await sms.send_sms(store.uow(), admin, Selection(site.site_id),
                           "The lift is repaired. Thank you for your patience.")
    finally:
        await store.close()


@pytest.fixture(scope="module")
def sms_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sms-snap") / "sms.db"
    asyncio.run(_build(path))
    return path


async def _opened(pilot) -> None:
    """Messages opened, its recipients and campaigns read (the message box has the focus:
    no key is pressed after M)."""
    await settled(pilot)
    await press(pilot, "M")
    await until(pilot, lambda: getattr(pilot.app.screen, "campaigns", None), "campaigns read")
    await settled(pilot)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_messages_snapshot(snap_compare, sms_db, size):
    assert snap_compare(app_over(sms_db), run_before=_opened, terminal_size=size)
