"""Helpers of the set-up screens' tests: open a screen from the main screen, and save a
form, each waiting until what it started (the screen's reads, the save and the reload
after it) has run."""

from __future__ import annotations

from textual import events
from textual.pilot import Pilot
from textual.screen import ModalScreen, Screen

from tests.console.conftest import handled, press

#: the worker groups that wait for a dialog to close
DIALOG_GROUPS = ("setup-form", "flat-form", "blocks-form", "flat")


async def settle(pilot: Pilot) -> None:
    """Until the app's workers (saves, reloads) are done and it has handled what they
    posted; a set-up worker waiting on the dialog it shows (its form) counts as done."""
    app = pilot.app
    while True:
        await pilot.pause()
        others = [w for w in app.workers if w.is_running and w.group not in DIALOG_GROUPS]
        if others:  # (an empty list would mean every worker)
            await app.workers.wait_for_complete(others)
        dialog = [w for w in app.workers if w.is_running and w.group in DIALOG_GROUPS]
        if not dialog or isinstance(app.screen, ModalScreen):
            return


async def open_screen(pilot: Pilot, key: str, kind: type[Screen]) -> Screen:
    """Press the key of a set-up screen and wait until it has read its rows."""
    async with handled(pilot.app, events.Key):
        await pilot.press(key)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, kind), f"{key!r} opened {type(screen).__name__}"
    return screen


async def save(pilot: Pilot) -> None:
    """ctrl+s in a form, then wait for the save and whatever it started."""
    await press(pilot, "ctrl+s")
    await settle(pilot)
