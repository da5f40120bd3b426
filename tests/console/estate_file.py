"""A small estate written to a database file, for tests that run the app in its own
event loop (snapshots): the same services, with a few residents, passes and events."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from core.model import (
    CallStep,
    Event,
    EventKind,
    EventResult,
    PanelDisplay,
)
from core.services import access_passes, flats, residents
from core.services.base import Actor
from core.services.operators import bootstrap_admin
from store.database import Store
from tests.conftest import NOW, build_small_estate, fixed_clock


async def _build(path: Path, flat_names: list[str] | None) -> None:
    store = await Store.open(path=path)
    try:
        op = await bootstrap_admin(store.uow(), "admin@test.example")
        admin = Actor(op, source="test", clock=fixed_clock)
        small = await build_small_estate(store, admin)
        site, block, made, panel = small.site, small.block, small.flats, small.panel
        for flat, name in zip(made, flat_names or [], strict=False):
            await flats.update_flat(store.uow(), admin, flat.id, name=name)
        phone = await residents.add_telephone(store.uow(), admin, made[0].id, "020 7946 0123")
        await residents.add_panel_display(store.uow(), admin, PanelDisplay(
            made[0].id, (flat_names or ["Jolly, Michael"])[0], "101",
            call_chain=[CallStep(phone.id, 20)]))
        await access_passes.create_access_passes(store.uow(), admin, site.id, "1111100007", 2,
                                                 flat_id=made[0].id, resident="Michael Jolly")
        await access_passes.create_access_passes(store.uow(), admin, site.id, "1111100100", 3)
        writer = await store.event_writer()
        for i in range(30):
            writer.append(Event(
                at=NOW - timedelta(minutes=7 * i), site_id=site.id,
                kind=EventKind.OPEN_BY_PROXIMITY_FOB if i % 3 else EventKind.CALL_TO_RESIDENT,
                result=EventResult.OPENING if i % 4 else EventResult.OPENING_DENIED,
                device_id=panel.id, block_id=block.id, flat_id=made[0].id,
                credential="1111100007", name=(flat_names or ["Michael Jolly"])[0],
                description=f"APass number : 1111100007 Info : Block C/Flat 00{i % 3 + 1}"))
        await writer.flush()
    finally:
        await store.close()


def build_estate_file(path: Path, flat_names: list[str] | None = None) -> Path:
    """Write the estate to `path` (run outside any event loop)."""
    asyncio.run(_build(path, flat_names))
    return path
