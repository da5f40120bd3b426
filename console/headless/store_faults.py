"""What the gateway raises when its event writer meets a store fault, and when it ends.

SQLite: "Store fault: <name>", with the way to `doorkeeper doctor`. PostgreSQL that
cannot be reached: "Centre unreachable": the gateway keeps deciding from its snapshot
and keeps its events in its local spill journal; the alarm is itself journaled and
stored, in order, once the centre answers, so every console sees it then, and
"Store recovered" clears it (core.model.SITE_CLEARS).
"""

from __future__ import annotations

from core.model import EventKind
from store.database import Store
from store.spill import UNREACHABLE


def fault_event(store: Store, fault: str | None, was: str | None) -> tuple[EventKind, str]:
    """The system event for a fault that began (`fault`), or for the end of `was`."""
    if fault == UNREACHABLE:
        return EventKind.STORE_FAULT, (
            f"Centre unreachable: the store {store.where} does not answer. Doors keep "
            "deciding from memory; events wait in this gateway's spill journal "
            f"{store.spill_file} and are stored in order once it is back.")
    if fault is not None:
        return EventKind.STORE_FAULT, (
            f"Store fault: {fault}. Events are kept in the spill journal beside the store; "
            f"run `doorkeeper doctor --db {store.where}`.")
    if was == UNREACHABLE:
        return EventKind.STORE_RECOVERED, (
            "Centre reachable again: the events kept in this gateway's spill journal "
            "meanwhile are stored, in order, each once.")
    return EventKind.STORE_RECOVERED, ("Store recovered: it takes writes again; the events "
                                       "kept in the spill journal are stored.")
