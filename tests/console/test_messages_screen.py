"""The Messages screen (the guide's Messages & Communication) with Pilot: the recipient
list marks duplicates and non-mobiles, the message box refuses a 161st character, a
campaign larger than the balance is refused, then a campaign to picked flats is confirmed
and listed with its status counts, and its messages open with their statuses. One app
start walks the screen."""

from __future__ import annotations

import re

import pytest
from textual.widgets import DataTable, Input, Static

from console.screens.messages import NUMBER_WIDTH, MessagesScreen, mark_text, number_text
from console.screens.sms_campaign import CampaignScreen
from console.widgets.form import ConfirmScreen
from core.model_sms import SmsCampaign, SmsMessage
from core.phones import shown_phone
from core.sms import Mark
from tests.console.conftest import press, settled, type_into, until
from tests.console.test_facilities_providers import cells
from tests.sms.conftest import MOBILE_1, MOBILE_2, phones_estate

SIZE = (120, 40)


async def test_new_sms_marks_refuses_and_sends(store, admin, estate, console_ctx, make_app):
    await phones_estate(store, admin, estate, credits=2)
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await press(pilot, "M")
        screen = app.screen
        assert isinstance(screen, MessagesScreen)
        await settled(pilot)
        rows = cells(screen.query_one("#sms-recipients", DataTable))
        assert [r[2] for r in rows] == ["", "", "duplicate: sent once", "✗ not a mobile", "",
                                        "✗ an email"]
        # numbers as every list shows them: national form and country
        assert rows[2][:2] == ["Block C/Appt. 002", shown_phone(MOBILE_1)]
        summary = screen.query_one("#sms-summary", Static)
        assert str(summary.render()) == (
            "3 SMS will be sent; 2 SMS currently available · 1 duplicate · 2 skipped · "
            "not enough credits")
        assert summary.has_class("short")

        text = screen.query_one("#sms-text", Input)
        await type_into(pilot, text, "x" * 161)
        assert text.value == "x" * 160  # the 161st is refused
        assert str(screen.query_one("#sms-counter", Static).render()) == "160/160 GSM-7"
        await press(pilot, "ctrl+s")  # 3 to send, 2 available: refused before anything
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("only 2 SMS currently available" in n.message
                   for n in app._notifications)

        text.value = "Lift repaired. Merci"
        await settled(pilot)
        screen.query_one("#sms-flats", Input).value = "1"  # Appt. 001 only: two mobiles
        await until(pilot, lambda: screen.listed is not None and screen.listed.count == 2,
                    "the picked flat's recipients")
        await settled(pilot)
        assert str(summary.render()) == "2 SMS will be sent; 2 SMS currently available"
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "y")
        await settled(pilot)
        campaigns = screen.query_one("#sms-campaigns", DataTable)
        assert [r[2:4] for r in cells(campaigns)] == [["2", "2 queued"]]
        # dated as every other list of the console dates (ISO), in the site's time
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", cells(campaigns)[0][0])
        assert str(summary.render()).startswith("2 SMS will be sent; 0 SMS currently")
        campaigns.focus()
        await press(pilot, "enter")  # the campaign's messages, each with its status
        assert isinstance(app.screen, CampaignScreen)
        await settled(pilot)
        assert [r[1:3] for r in cells(app.screen.query_one(DataTable))] == [
            [shown_phone(MOBILE_1), "queued"], [shown_phone(MOBILE_2), "queued"]]
    async with store.reader() as uow:
        assert await uow.count(SmsCampaign) == 1
        assert sorted(m.number for m in await uow.find(SmsMessage)) == sorted(
            [MOBILE_1, MOBILE_2])


@pytest.mark.parametrize(("mark", "reason", "said"), [
    (Mark.SEND, "", ""),
    (Mark.DUPLICATE, "", "duplicate: sent once"),
    (Mark.SKIPPED, "not a mobile number", "✗ not a mobile"),
    (Mark.SKIPPED, "an email address, not a mobile", "✗ an email"),
    (Mark.SKIPPED, "no number", "✗ no number"),
])
def test_a_line_says_why_in_a_few_words(mark, reason, said):
    assert mark_text(mark, reason) == said


def test_a_long_number_or_email_is_cut_to_fit():
    assert number_text("rhys.green6@mail.doorkeeper.example") == "rhys.green6@mail.doorke…"
    assert len(number_text("x" * 100)) == NUMBER_WIDTH
    assert number_text("+442079460018") == "02079460018 GB"
