"""Every text field of the console has a maximum length: the project's TextInput."""

from __future__ import annotations

import re
from pathlib import Path

from textual.app import App, ComposeResult

from console.widgets.text_input import TEXT_MAX, TextInput

CONSOLE = Path(__file__).resolve().parents[2] / "console"


def test_no_bare_textual_input_is_built_in_the_console():
    bare = [f"{path.relative_to(CONSOLE)}:{n}"
            for path in CONSOLE.rglob("*.py") if path.name != "text_input.py"
            for n, line in enumerate(path.read_text().splitlines(), 1)
            if re.search(r"(?<![\w.])Input\(", line)]
    assert not bare, f"use console.widgets.text_input.TextInput: {bare}"


async def test_a_field_takes_at_most_its_maximum():
    class One(App):
        def compose(self) -> ComposeResult:
            yield TextInput(id="free")
            yield TextInput(max_length=10, id="date")

    app = One()
    async with app.run_test() as pilot:
        free, date = app.query_one("#free", TextInput), app.query_one("#date", TextInput)
        assert (free.max_length, date.max_length) == (TEXT_MAX, 10)
        free.focus()
        await pilot.press(*"a" * 10)
        free.insert_text_at_cursor("b" * 1000)
        assert free.value == "a" * 10 + "b" * (TEXT_MAX - 10)  # what fits, not nothing
        await pilot.pause()
        told = [n.message for n in app._notifications]
        assert told == [f"This field takes at most {TEXT_MAX} characters; the rest was cut."]
        date.focus()
        await pilot.pause()  # focusing selects the field's text: typing would replace it
        date.insert_text_at_cursor("2026-12-05 and more")
        await pilot.press("x", "y")  # a full field: each key refused, the notice not repeated
        assert date.value == "2026-12-05"
        await pilot.pause()
        assert [n.message for n in app._notifications][1:] == [
            "This field takes at most 10 characters; the rest was cut."]
