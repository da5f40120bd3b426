"""`doorkeeper demo`: build the demo estate and its history into a store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from console.demo.estate import build_estate
from console.demo.facilities_book import add_book
from console.demo.history import generate_history
from core.errors import DoorkeeperError
from core.model import AuditEntry, Operator, Site, id_of
from core.services import sms
from core.services.base import Actor, record
from store.alarms import acknowledge_all_but_newest
from store.database import Store

OPEN_ALARMS = 12
SMS_CREDITS = 500  # each site's, so Messages can send from the first minute
COMPLETE = "demo.complete"  # the last audit entry of a finished build


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
    """True when the store holds a finished demo estate, False when it holds nothing; a
    store with operators or sites of its own (one `doorkeeper init` made, an interrupted
    build) is an error: the demo's sites and its known administrator never go into it."""
    async with store.reader() as uow:
        if await uow.count(Site) == 0:
            if await uow.count(Operator) == 0:
                return False
        elif await uow.count(AuditEntry, action=COMPLETE):
            return True
    raise DoorkeeperError(f"{store.where} holds operators or sites that are not a finished "
                          "demo (a store 'doorkeeper init' made, or an interrupted build?); "
                          "the demo is built in a new store: use another --db.")


#: the history goes to the writer in chunks this large, each flushed (progress is counted)
HISTORY_CHUNK = 20_000


async def build_demo(store: Store, seed: int = 1, events: int = 200_000,
                     days: int = 90, step: Callable[[str], None] | None = None,
                     stored: Callable[[int], None] | None = None) -> BuildReport:
    """Build the estate, then its event history through the event writer; `step` is told
    what is being built, `stored` how many past events more are stored (a progress bar
    for a person waiting)."""
    started = datetime.now(UTC)
    estate = await build_estate(store, seed, step=step)
    if step is not None:
        step("the facilities book")
    await add_book(store, estate, seed)
    for site in estate.sites:
        await sms.add_credits(store.uow(), Actor(estate.admin, source="demo"), id_of(site),
                              SMS_CREDITS)
    writer = await store.event_writer()
    if step is not None:
        step("the history")
    history = generate_history(estate, events, days, seed)
    for start in range(0, len(history), HISTORY_CHUNK):
        chunk = history[start:start + HISTORY_CHUNK]
        writer.append_many(chunk)
        await writer.flush()
        if stored is not None:
            stored(len(chunk))
    concierge = next(o for o in estate.operators if o.login == "concierge")
    async with store.uow() as uow:
        # The desk dealt with all but the newest alarms, left for the demo to show.
        await acknowledge_all_but_newest(uow, OPEN_ALARMS, id_of(concierge), "Checked on site")
        await record(uow, Actor(estate.admin, source="demo"), COMPLETE,
                     {"seed": seed, "events": len(history)})
        await uow.commit()
    return BuildReport(len(estate.sites), len(estate.blocks), len(estate.flats),
                       len(estate.telephones), len(estate.displays), len(estate.passes),
                       len(estate.devices), len(history),
                       (datetime.now(UTC) - started).total_seconds())
