"""The SMS tests' setup: the small estate's flats with telephones, credits, a store-backed
sender, and the fake Twilio API (tests/sms/fake_twilio.py)."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass

import pytest

from core.config_sms import SmsConfig
from core.errors import Conflict
from core.model import TelephoneKind
from core.model_sms import SmsMessage
from core.services import residents, sms
from core.services.base import Actor
from tests.sms.fake_twilio import ACCOUNT, TOKEN, FakeTwilio

MOBILE_1 = "+447546277360"  # flat 1, and again flat 2 (a duplicate)
MOBILE_2 = "+447400123456"  # flat 1's second number
LANDLINE = "+442079460000"  # flat 2: not a mobile, skipped
MOBILE_3 = "+447911123456"  # flat 3's first number


@dataclass
class SmsEstate:
    site_id: int
    block_id: int
    flat_ids: list[int]


async def phones_estate(store, admin: Actor, estate, credits: int = 10) -> SmsEstate:
    """Flat 1: two mobiles; flat 2: flat 1's first mobile again and a landline; flat 3: a
    mobile and an email. The site holds `credits` SMS."""
    f1, f2, f3 = (f.id for f in estate.flats)
    for flat_id, value, kind in (
            (f1, "07546277360", TelephoneKind.TELEPHONE),
            (f1, "07400 123456", TelephoneKind.TELEPHONE),
            (f2, "+44 7546 277360", TelephoneKind.TELEPHONE),
            (f2, "020 7946 0000", TelephoneKind.TELEPHONE),
            (f3, "07911 123456", TelephoneKind.TELEPHONE),
            (f3, "flat3@example.org", TelephoneKind.EMAIL)):
        with contextlib.suppress(Conflict):  # the modem tests' estate has flat 1's first
            await residents.add_telephone(store.uow(), admin, flat_id, value, kind)
    if credits:
        await sms.add_credits(store.uow(), admin, estate.site.id, credits)
    return SmsEstate(estate.site.id, estate.block.id, [f1, f2, f3])


@pytest.fixture
async def sms_estate(store, admin, estate) -> SmsEstate:
    return await phones_estate(store, admin, estate)


@pytest.fixture
async def fake_twilio():
    fake = FakeTwilio()
    await fake.start()
    yield fake
    await fake.stop()


def twilio_config(fake: FakeTwilio, **kw) -> SmsConfig:
    """[sms] for the fake API: fast retries and polls."""
    kw.setdefault("rate", 100.0)
    kw.setdefault("poll_s", 0.05)
    kw.setdefault("retry_first_s", 0.05)
    kw.setdefault("retry_max_s", 0.2)
    return SmsConfig(route="twilio", sender="+447700900999", account_sid=ACCOUNT,
                     auth_token=TOKEN, api_url=fake.url, **kw)


@contextlib.contextmanager
def store_locked(path: str):
    """The store's SQLite file locked for writing by another process's connection (a real
    fault: every write is "locked too long" once the busy timeout passes; reads go on)."""
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


async def all_handed(store) -> bool:
    """Every message of the outbox marked as being handed to the route (its batch)."""
    async with store.reader() as uow:
        found = await uow.find(SmsMessage)
    return bool(found) and all(m.attempt_at is not None or m.provider_ref for m in found)
