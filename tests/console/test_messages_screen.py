"""The Messages screen (the guide's Messages & Communication) with Pilot: the recipient
list marks duplicates and non-mobiles, the message box refuses a 161st character, a
campaign larger than the balance is refused, then a campaign to picked flats is confirmed
and listed with its status counts, and its messages open with their statuses. One app
start walks the screen."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from console.screens.messages import MessagesScreen
from console.screens.sms_campaign import CampaignScreen
from console.widgets.form import ConfirmScreen
from core.model_sms import SmsCampaign, SmsMessage
from core.phones import shown_phone
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
        assert [r[2] for r in rows] == ["", "", "duplicate: sent once",
                                        "skipped: not a mobile number", "",
                                        "skipped: an email address, not a mobile"]
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
