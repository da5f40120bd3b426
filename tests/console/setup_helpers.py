"""Helpers of the set-up screens' tests: open a screen from the main screen, and save a
form, each waiting until what it started (the screen's reads, the save and the reload
after it) has run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.screen import ModalScreen, Screen

from console.widgets.form import FormScreen
from tests.console.conftest import handled, press

S = TypeVar("S", bound=Screen[Any])
F = TypeVar("F", bound=FormScreen)

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


async def open_screen(pilot: Pilot, key: str, kind: type[S]) -> S:
    """Press the key of a set-up screen and wait until it has read its rows."""
    async with handled(pilot.app, events.Key):
        await pilot.press(key)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, kind), f"{key!r} opened {type(screen).__name__}"
    return screen


@asynccontextmanager
async def on_screen(app: App[Any], key: str, kind: type[S],
                    size: tuple[int, int]) -> AsyncIterator[tuple[Pilot, S]]:
    """Run the console and open the set-up screen of `key` (S, w, P) once the main screen
    has loaded and the set-up screen has read its rows: how each of their tests starts."""
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        yield pilot, await open_screen(pilot, key, kind)


async def open_form(pilot: Pilot, key: str, kind: type[F]) -> F:
    """Press the key of a dialog (n, e, i) and wait until the dialog is the screen."""
    await press(pilot, key)
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, kind), f"{key!r} opened {type(form).__name__}"
    return form


async def save(pilot: Pilot) -> None:
    """ctrl+s in a form, then wait for the save and whatever it started."""
    await press(pilot, "ctrl+s")
    await settle(pilot)
