"""A dialog's focused field shows whole, its label above it, at 80x24 too.

Textual centres a newly focused widget in the scrolling body of a dialog; at 80x24,
where a dialog's fields do not all fit, that scrolled the body on opening so the
label of the first field ("Block name", a device's "Name") was hidden, and the
telephone form (which starts on its second field) showed its first field cut in half,
with no label and no top. Tabbing back up to a field hid its label the same way. And
a label longer than the dialog is wide (the site's country) was cut, not wrapped. Each
case reaches a dialog by the keys a concierge presses and reads whether the labels
can be seen in the body as it is scrolled.
"""

from __future__ import annotations

import pytest
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Region
from textual.widgets import Label

from console.screens.facilities_perimeter import PerimeterGrid
from console.screens.user_forms import RightsMatrix
from console.widgets.form import FormScreen
from tests.console.conftest import press, settled, show_tab, until
from tests.console.test_facilities_tasks import book, open_form, open_tasks  # noqa: F401
from tests.console.test_flat_management import open_flat, to_pane


async def _open(pilot, key: str) -> FormScreen:
    screen = pilot.app.screen
    await press(pilot, key)
    await until(pilot, lambda: pilot.app.screen is not screen, f"the dialog of {key!r}")
    await settled(pilot)
    assert isinstance(pilot.app.screen, FormScreen)
    return pilot.app.screen


async def _block_form(pilot) -> FormScreen:
    await settled(pilot)
    return await _open(pilot, "n")  # Blocks: add a block


async def _device_form(pilot) -> FormScreen:
    await settled(pilot)
    await show_tab(pilot, "2")
    return await _open(pilot, "n")  # Devices: add a device


async def _site_form(pilot) -> FormScreen:
    await settled(pilot)
    screen = pilot.app.screen
    await press(pilot, "S")  # Sites
    await until(pilot, lambda: pilot.app.screen is not screen, "the sites")
    await settled(pilot)
    return await _open(pilot, "e")  # modify the site


async def _telephone_form(pilot) -> FormScreen:
    await settled(pilot)
    await open_flat(pilot)
    await to_pane(pilot, 1)
    return await _open(pilot, "n")  # the flat's telephones: add one


DIALOGS = {"block": _block_form, "device": _device_form, "telephone": _telephone_form,
           "site": _site_form}


def hidden_labels(form: FormScreen, up_to: str) -> list[str]:
    """The labels of the visible fields, up to and with the field `up_to`, that cannot be
    seen whole in the dialog's body as it is scrolled."""
    body = form.query_one(".dialog-body", VerticalScroll)
    hidden = []
    for field in form.query(".field"):
        if field.display:
            label = field.query_one(Label)
            if not body.can_view_entire(label):
                hidden.append(str(label.render()))
        if field.id == f"field-{up_to}":
            break
    return hidden


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("which", list(DIALOGS))
async def test_a_dialog_opens_with_its_first_fields_labelled(console_ctx, make_app, which,
                                                             size):
    app = make_app(console_ctx)
    async with app.run_test(size=size) as pilot:
        form = await DIALOGS[which](pilot)
        await pilot.pause()
        focused = form.focused
        assert focused is not None and focused.id and focused.id.startswith("f-")
        assert hidden_labels(form, focused.id.removeprefix("f-")) == []


async def test_tabbing_back_to_the_first_field_shows_its_label(console_ctx, make_app):
    app = make_app(console_ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await _block_form(pilot)
        await pilot.press("tab", "tab")  # the profile, then the notes at the foot
        await pilot.pause()
        assert form.focused is not None and form.focused.id == "f-notes"
        await pilot.press("shift+tab", "shift+tab")
        await pilot.pause()
        assert form.focused is not None and form.focused.id == "f-name"
        assert hidden_labels(form, "name") == []


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_a_long_label_wraps_in_full(console_ctx, make_app, size):
    app = make_app(console_ctx)
    async with app.run_test(size=size) as pilot:
        form = await _site_form(pilot)
        field = form.query_one("#field-default_country", Vertical)
        label = field.query_one(Label)
        assert label.outer_size.width <= field.content_size.width  # not cut at the edge
        drawn = " ".join(line.text.strip() for line in label.render_lines(
            Region(0, 0, *label.outer_size)))
        assert drawn == ("Country (ISO code: its numbering plan; other countries' numbers "
                         "are foreign)")


async def _user_form(pilot) -> FormScreen:
    await settled(pilot)
    screen = pilot.app.screen
    await press(pilot, "u")  # Users
    await until(pilot, lambda: pilot.app.screen is not screen, "the users")
    await settled(pilot)
    return await _open(pilot, "n")  # add a user


async def test_a_focused_grid_shows_the_label_that_says_its_keys(console_ctx, make_app):
    """The user's rights matrix (and a task's perimeter) is not a field: its label above it,
    "Rights · Custom profile: arrows move, space switches", was scrolled away when it
    took the focus at 80x24."""
    app = make_app(console_ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await _user_form(pilot)
        matrix = form.query_one(RightsMatrix)
        while form.focused is not matrix:
            await pilot.press("tab")
            await pilot.pause()
        await pilot.pause()
        body = form.query_one(".dialog-body", VerticalScroll)
        label = next(w for w in body.query(Label) if "Rights" in str(w.render()))
        assert body.can_view_entire(label)


async def test_a_focused_perimeter_shows_with_its_label(console_ctx, make_app, book):  # noqa: F811
    """The task form's perimeter, focused by Tab at 80x24, comes into view with its label
    (once the label's scroll undid the grid's: the grid stayed under the fold)."""
    app = make_app(console_ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tasks(app, pilot)
        form = await open_form(app, pilot, "n")
        grid = form.query_one(PerimeterGrid)
        while form.focused is not grid:
            await pilot.press("tab")
            await pilot.pause()
        await pilot.pause()
        body = form.query_one(".dialog-body", VerticalScroll)
        label = next(w for w in body.query(Label) if "Access authorised" in str(w.render()))
        assert body.can_view_entire(grid) and body.can_view_entire(label)
