"""New SMS through the service: the recipient list, credits, the outbox rows, the audit."""

from __future__ import annotations

import pytest

from core.errors import PermissionDenied, QuotaExceeded, ValidationError
from core.model import AuditEntry
from core.model_sms import SmsCampaign, SmsMessage
from core.services import sms
from core.services.sms import Selection
from core.sms import Mark
from tests.conftest import dump_database
from tests.sms.conftest import LANDLINE, MOBILE_1, MOBILE_2, MOBILE_3


async def test_the_recipient_list_marks_duplicates_and_non_mobiles(store, admin, sms_estate):
    listed, balance = await sms.recipient_list(store.uow(), admin,
                                               Selection(sms_estate.site_id))
    lines = [(r.flat.split("/")[1], r.number, r.mark) for r in listed.lines]
    assert lines == [
        ("Appt. 001", MOBILE_1, Mark.SEND), ("Appt. 001", MOBILE_2, Mark.SEND),
        ("Appt. 002", MOBILE_1, Mark.DUPLICATE), ("Appt. 002", LANDLINE, Mark.SKIPPED),
        ("Appt. 003", MOBILE_3, Mark.SEND), ("Appt. 003", "flat3@example.org", Mark.SKIPPED)]
    assert (listed.count, listed.duplicates, listed.skipped, balance) == (3, 1, 2, 10)
    primary, _ = await sms.recipient_list(store.uow(), admin, Selection(
        sms_estate.site_id, flat_ids=tuple(sms_estate.flat_ids[:2]), primary_only=True))
    assert [(r.number, r.mark) for r in primary.lines] == [(MOBILE_1, Mark.SEND),
                                                          (MOBILE_1, Mark.DUPLICATE)]


async def test_sending_writes_the_outbox_spends_credits_and_audits(store, admin, sms_estate):
    campaign = await sms.send_sms(store.uow(), admin, Selection(sms_estate.site_id),
                                  "Lift out of order on Monday")
    async with store.reader() as uow:
        messages = await uow.find(SmsMessage, campaign_id=campaign.id)
        audit = (await uow.find(AuditEntry, action="sms.send"))[-1]
    assert sorted(m.number for m in messages) == sorted([MOBILE_1, MOBILE_2, MOBILE_3])
    assert {m.status.value for m in messages} == {"queued"}
    assert await sms.balance(store.uow(), admin, sms_estate.site_id) == 7
    assert audit.after["recipients"] == 3 and audit.after["duplicates"] == 1
    rows = await sms.campaigns(store.uow(), admin, sms_estate.site_id)
    assert rows[0].campaign.recipients == 3 and sms.summary(rows[0].counts) == "3 queued"


@pytest.mark.parametrize("text, why", [
    ("   ", "empty"),
    ("x" * 161, "at most 160"),
    ("Привет" * 12, "at most 70 in UCS-2"),
    ("[" * 81, "at most 160"),  # extension characters take two places
    ("a\x1b[31mb", "control characters"),
], ids=["empty", "161", "ucs2-72", "extension-162", "escape"])
async def test_a_bad_message_is_refused_and_changes_nothing(store, admin, sms_estate, text,
                                                            why):
    before = dump_database(store.where)
    with pytest.raises(ValidationError, match=why):
        await sms.send_sms(store.uow(), admin, Selection(sms_estate.site_id), text)
    assert dump_database(store.where) == before


async def test_a_campaign_larger_than_the_balance_is_refused_before_anything(store, admin,
                                                                            estate):
    from tests.sms.conftest import phones_estate

    small = await phones_estate(store, admin, estate, credits=2)
    before = dump_database(store.where)
    with pytest.raises(QuotaExceeded, match="3 SMS would be sent; only 2 SMS currently"):
        await sms.send_sms(store.uow(), admin, Selection(small.site_id), "Hello")
    assert dump_database(store.where) == before
    async with store.reader() as uow:
        assert await uow.count(SmsCampaign) == 0


async def test_credits_are_added_by_administrators_only_and_audited(store, admin, sms_estate):
    from tests.conftest import make_operator

    manager = await make_operator(store, admin, "m@test.example", sms_estate.site_id,
                                  "Management")
    with pytest.raises(PermissionDenied):
        await sms.add_credits(store.uow(), manager, sms_estate.site_id, 100)
    with pytest.raises(ValidationError, match="whole number"):
        await sms.add_credits(store.uow(), admin, sms_estate.site_id, 0)
    assert await sms.add_credits(store.uow(), admin, sms_estate.site_id, 990) == 1000
    async with store.reader() as uow:
        entry = (await uow.find(AuditEntry, action="sms_credit.add"))[-1]
    assert (entry.before["balance"], entry.after["balance"]) == (10, 1000)
