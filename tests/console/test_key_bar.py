"""The key bar: the keys the screen in front offers, kept current as the focus moves, a key
that does not fit left out whole with the palette's key kept at the right, and a click on a
key pressing it."""

from __future__ import annotations

from console.widgets.form import FormScreen
from console.widgets.key_bar import KeyBar
from tests.console.conftest import press, until


def line(app) -> str:
    bar = app.screen.query_one(KeyBar)
    return str(bar.render())


def descriptions(app) -> list[str]:
    """The screen's keys in the bar's order, the pinned keys (?, palette) left out."""
    return [k.description for k in app.screen.query_one(KeyBar).shown
            if k.key not in ("ctrl+p", "question_mark")]


async def test_the_bar_follows_the_screen_and_a_click_presses_the_key(console_ctx, make_app):
    app = make_app(console_ctx)
    async with app.run_test(size=(100, 24)) as pilot:
        await until(pilot, lambda: "Add a block" in line(app), "the Blocks keys")
        text = line(app)
        assert len(text) == 100 and text.rstrip().endswith("palette")
        # one key per action, each as the screen's bindings say
        shown = descriptions(app)
        assert len(shown) == len(set(shown)) and "Modify block" in shown
        await press(pilot, "enter")  # into Block C's flats: the bar follows the focus
        await until(pilot, lambda: "Add flats" in line(app), "the flats keys")
        assert "Add a block" not in line(app)
        await press(pilot, "escape")
        await until(pilot, lambda: "Add a block" in line(app), "the Blocks keys again")
        start = line(app).index(" n Add a block")
        await pilot.click(KeyBar, offset=(start + 2, 0))
        await until(pilot, lambda: isinstance(app.screen, FormScreen), "the add-block form")
        assert "Save" in line(app) and "Add a block" not in line(app)


async def test_a_narrow_bar_words_each_key_by_its_first_word(console_ctx, make_app):
    """At 80 columns the Blocks tab's keys do not fit in full: each is drawn with the
    first word of its description and the palette's key alone, so Export and Search
    still show."""
    app = make_app(console_ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: " n Add " in line(app), "the Blocks keys")
        text = line(app)
        assert len(text) == 80 and text.endswith(" ? Keys ▏^p ")
        assert " e Modify " in text and " x Export " in text and "Add a block" not in text


async def test_a_narrow_screen_leaves_whole_keys_out_and_keeps_the_palette(console_ctx,
                                                                           make_app):
    app = make_app(console_ctx)
    async with app.run_test(size=(40, 24)) as pilot:
        await until(pilot, lambda: " n Add " in line(app), "the Blocks keys")
        text = line(app)
        # the way to every key (?) and the palette stay, whatever the width
        assert len(text) == 40 and text.endswith(" ? Keys ▏^p ")
        firsts = [d.split()[0] for d in descriptions(app) if d]
        drawn = [w for w in firsts if f" {w} " in text]
        # every key drawn is drawn whole; the first keys come first
        assert drawn == firsts[:len(drawn)] and drawn
        start = text.index(" ? Keys")  # a click on a pinned key presses it too
        await pilot.click(KeyBar, offset=(start + 1, 0))
        await until(pilot, lambda: app.screen.query("HelpPanel"), "the keys panel")


async def test_a_dialogs_ctrl_s_is_worded_as_its_button(console_ctx, make_app):
    from console.widgets.form import Field, FormScreen

    async def save(values):
        return values

    app = make_app(console_ctx)
    async with app.run_test(size=(100, 24)) as pilot:
        await until(pilot, lambda: "Add a block" in line(app), "the Blocks keys")
        await app.push_screen(FormScreen("Import holidays", [Field("lines", "Lines")], save,
                                         save_label="Import"))
        await until(pilot, lambda: "Import" in line(app), "the dialog's keys")
        assert " ^s Import " in line(app) and "Save" not in line(app)
        assert " esc Cancel " in line(app)


async def test_keys_whose_first_words_are_the_same_keep_their_last_word(console_ctx,
                                                                        make_app):
    """At 80 columns the Users screen read "n Add … k Add x Remove": two keys both "Add".
    Keys that share a first word keep their last word too; the others keep only the first."""
    from tests.console.test_users_screen import _open_users

    app = make_app(console_ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_users(app, pilot)
        await until(pilot, lambda: " k Add key " in line(app), "the Users keys")
        text = line(app)
        assert " n Add user " in text and " g Give " in text and "Add a user" not in text
