"""The zygote's rehearsal: one console run headless before the first fork.

Importing Textual and the app (console.ssh.zygote.warm) is only part of a session's
start. The first run of a screen also parses the app's CSS, fills Textual's and
Rich's caches (styles, segments, cell widths) and compiles the lazy parts of the
widgets. Done once in the zygote, all of that is in the pages every session shares,
so each session starts with it: measured here, a session's CPU time to its first
frame went from about 0.43 to 0.34 s. The rehearsal only reads the store, as the
operator who sees the most sites, and leaves nothing running: its event loop is
closed and its store's threads joined before the zygote forks.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

from core.config import StoreConfig
from core.errors import DoorkeeperError
from core.model_people import Operator
from core.views.viewer import Viewer, load_viewer
from store.database import Store

log = logging.getLogger(__name__)

#: how long the store's connection threads may take to end after it is closed
THREADS_END_S = 5.0

#: the size a rehearsal draws at (the sessions' own sizes reuse most of what it fills)
SIZE = (100, 30)


def rehearse(db: str, store: dict[str, object]) -> float | None:
    """Run one console headless on the store; seconds taken, None when it could not."""
    started = time.monotonic()
    try:
        ran = asyncio.run(_rehearse(db, store))
    except Exception:  # a rehearsal is an optimisation: the zygote serves without it
        log.warning("the zygote could not rehearse a console; sessions start colder",
                    exc_info=True)
        return None
    deadline = time.monotonic() + THREADS_END_S
    for thread in threading.enumerate():  # the store's connection threads, ending
        if thread is not threading.main_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
    if threading.active_count() > 1:  # a fork would copy a half-alive thread's state
        log.warning("threads still running after the rehearsal: %s",
                    [t.name for t in threading.enumerate()])
    return time.monotonic() - started if ran else None


async def _rehearse(db: str, options: dict[str, object]) -> bool:
    from console.app import DoorkeeperApp
    from console.context import ConsoleContext

    store = await Store.open(StoreConfig(**options),  # type: ignore[arg-type]
                             path=db, migrate=False)
    try:
        viewer = await _widest_viewer(store)
        if viewer is None:
            return False
        app = DoorkeeperApp(ConsoleContext(store, viewer))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()  # the first frame: visiting the other tabs too cost 3 s
        return True
    finally:
        await store.close()


async def _widest_viewer(store: Store) -> Viewer | None:
    """The viewer of the operator who may log in and sees the most sites."""
    best: Viewer | None = None
    async with store.uow() as uow:
        for operator in await uow.find(Operator):
            try:
                viewer = await load_viewer(uow, operator.email, "rehearsal")
            except DoorkeeperError:
                continue
            if best is None or len(viewer.sites) > len(best.sites):
                best = viewer
    return best
