"""`doorkeeper demo`: build the demo estate and its history into a store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from console.demo.estate import build_estate
from console.demo.history import generate_history
from core.model import Site
from store.alarms import acknowledge_before
from store.database import Store


@dataclass
class BuildReport:
    """What was built, for the one-line summary."""

    sites: int
    blocks: int
    flats: int
    telephones: int
    displays: int
    passes: int
    devices: int
    events: int
    seconds: float


async def is_built(store: Store) -> bool:
    """True when the store already holds an estate."""
    async with store.reader() as uow:
        return await uow.count(Site) > 0


async def build_demo(store: Store, seed: int = 1, events: int = 200_000,
                     days: int = 90) -> BuildReport:
    """Build the estate, then its event history through the event writer."""
    started = datetime.now(UTC)
    estate = await build_estate(store, seed)
    writer = await store.event_writer()
    history = generate_history(estate, events, days, seed)
    writer.append_many(history)
    await writer.flush()
    concierge = next(o for o in estate.operators if o.login == "concierge")
    async with store.uow() as uow:
        # The desk dealt with all but the last few hours' alarms.
        await acknowledge_before(uow, history[-1].at - timedelta(hours=6), concierge.id,
                                 "Checked on site")
        await uow.commit()
    return BuildReport(len(estate.sites), len(estate.blocks), len(estate.flats),
                       len(estate.telephones), len(estate.displays), len(estate.passes),
                       len(estate.devices), len(history),
                       (datetime.now(UTC) - started).total_seconds())
