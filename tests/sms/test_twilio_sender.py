"""The gateway's sender through the real `twilio` SDK doing real HTTP against the fake
Twilio API: errors, retries, delivery status, and a crash in the middle of a campaign."""

from __future__ import annotations

import asyncio

import pytest

from console.headless.sms_routes import SmsRoutes
from console.headless.sms_sender import SmsSender
from core.model import EventKind
from core.model_sms import SmsMessage
from core.services import sms
from core.services.sms import Selection
from core.sms import MessageStatus
from tests.conftest import eventually
from tests.sms.conftest import (
    MOBILE_1,
    MOBILE_2,
    MOBILE_3,
    store_locked,
    twilio_config,
)
from tests.sms.fake_twilio import TOKEN

TEXT = "Water off 10:00-12:00 on Monday"


class Running:
    """A sender over the store, as the gateway runs it (its alarms kept)."""

    def __init__(self, store, config, route=None) -> None:
        """`route`: this route for every site instead of the config's."""
        self.alarms: list[tuple[EventKind, str]] = []
        self.routes = SmsRoutes(config, [], None, environ={})
        route_for = self.routes.route_for if route is None else lambda site_id: route
        self.sender = SmsSender(store, config, route_for,
                                lambda kind, text: self.alarms.append((kind, text)))
        self.task = asyncio.create_task(self.sender.run())

    async def kill(self) -> None:
        """As a crash: the task ends where it is, nothing written on the way out."""
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.routes.close()


async def statuses(store) -> dict[str, tuple[MessageStatus, str]]:
    async with store.reader() as uow:
        return {m.number: (m.status, m.error) for m in await uow.find(SmsMessage)}


async def test_errors_retries_and_delivery_status(store, admin, sms_estate, fake_twilio):
    """400 21211 fails the message with Twilio's reason; 429 and a 500 are tried again
    until accepted; statuses are polled until final; the token is never in a message."""
    fake_twilio.fail[MOBILE_2] = [21211]
    fake_twilio.next_errors = [20429, 20500]  # the first two creates, whoever they are for
    await sms.send_sms(store.uow(), admin, Selection(sms_estate.site_id), TEXT)
    running = Running(store, twilio_config(fake_twilio))
    try:
        done = await eventually(lambda: len(fake_twilio.received) == 2 and fake_twilio.fetches
                                >= 4 and running, 10)
        final = await eventually_async(lambda: _all_final(store), 10)
    finally:
        await running.kill()
    assert final[MOBILE_2][0] is MessageStatus.FAILED
    assert "21211" in final[MOBILE_2][1] and "not a valid phone number" in final[MOBILE_2][1]
    assert final[MOBILE_1][0] is final[MOBILE_3][0] is MessageStatus.DELIVERED
    assert fake_twilio.count() == {(MOBILE_1, TEXT): 1, (MOBILE_3, TEXT): 1}
    assert fake_twilio.posts == 5  # 429, 500, then three answered (one of them 21211)
    assert done and not running.alarms
    assert TOKEN not in repr(running.routes.route_for(1)) and TOKEN not in repr(
        twilio_config(fake_twilio))


async def test_a_crash_mid_campaign_sends_each_message_exactly_once(store, admin, estate,
                                                                    fake_twilio):
    """The sender is killed while Twilio holds its answer to a message it has recorded
    (at 50/s a few sends are in flight at once); after the restart the messages Twilio
    has are found there (not sent again), the rest go."""
    from tests.sms.conftest import phones_estate

    site = await phones_estate(store, admin, estate)
    await sms.send_sms(store.uow(), admin, Selection(site.site_id), TEXT)
    config = twilio_config(fake_twilio, rate=50.0)
    fake_twilio.hold = release = asyncio.Event()  # the first create: recorded, answer held
    first = Running(store, config)
    await eventually(fake_twilio.held.is_set)
    await first.kill()  # the answer (its SID) never reached the store
    release.set()
    assert 1 <= len(fake_twilio.received) <= 3  # the held one, and any sent beside it
    second = Running(store, config)
    try:
        await eventually_async(lambda: _all_accepted(store), 10)
    finally:
        await second.kill()
    assert fake_twilio.count() == {(MOBILE_1, TEXT): 1, (MOBILE_2, TEXT): 1,
                                   (MOBILE_3, TEXT): 1}
    async with store.reader() as uow:
        refs = [m.provider_ref for m in await uow.find(SmsMessage)]
    assert len(set(refs)) == 3 and all(ref.startswith("SM") for ref in refs)



async def test_stopped_while_the_store_is_away_twilio_is_asked_and_nothing_goes_twice(
        store, admin, estate, fake_twilio):
    """The store is locked (its writes refused) once the batch is marked as handed:
    Twilio takes all three, their SIDs stay in memory. The gateway is stopped then (the
    SIDs are lost, as in a crash); on the next start Twilio is asked for each and has
    it: nothing is sent again."""
    from core.config import StoreConfig
    from store.database import Store
    from tests.sms.conftest import phones_estate

    site = await phones_estate(store, admin, estate)
    await sms.send_sms(store.uow(), admin, Selection(site.site_id), TEXT)
    quick = await Store.open(StoreConfig(path=str(store.where), busy_timeout_ms=200),
                             migrate=False)  # a refused write is told in 0.2 s
    config = twilio_config(fake_twilio, rate=5.0)
    fake_twilio.hold = release = asyncio.Event()  # the first answer waits for the lock
    first = Running(quick, config)
    try:
        await eventually(fake_twilio.held.is_set)
        with store_locked(str(store.where)):
            release.set()
            await eventually(lambda: first.sender.unwritten == 3, timeout=10)
            await first.kill()  # the gateway stopped, the three SIDs in memory only
        second = Running(quick, config)
        try:
            await eventually_async(lambda: _all_accepted(quick), 10)
        finally:
            await second.kill()
    finally:
        await quick.close()
    assert fake_twilio.count() == {(MOBILE_1, TEXT): 1, (MOBILE_2, TEXT): 1,
                                   (MOBILE_3, TEXT): 1}
    async with store.reader() as uow:
        refs = [m.provider_ref for m in await uow.find(SmsMessage)]
    assert len(set(refs)) == 3 and all(ref.startswith("SM") for ref in refs)


async def test_refused_credentials_are_an_alarm_and_the_messages_wait(store, admin, sms_estate,
                                                                      fake_twilio):
    await sms.send_sms(store.uow(), admin, Selection(sms_estate.site_id), TEXT)
    config = twilio_config(fake_twilio)
    config.auth_token = "wrong"
    running = Running(store, config)
    try:
        await eventually(lambda: running.alarms)
    finally:
        await running.kill()
    kind, text = running.alarms[0]
    assert kind is EventKind.SMS_ROUTE_FAULT and "authentication failed" in text
    assert "wrong" not in text and len(running.alarms) == 1
    assert {s for s, _ in (await statuses(store)).values()} == {MessageStatus.QUEUED}


async def _all_final(store):
    found = await statuses(store)
    return found if all(s.final for s, _ in found.values()) else None


async def _all_accepted(store):
    async with store.reader() as uow:
        messages = await uow.find(SmsMessage)
    return all(m.provider_ref for m in messages)


async def eventually_async(check, timeout: float = 3.0):
    """eventually() for a check that reads the store."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if value := await check():
            return value
        await asyncio.sleep(0.02)
    raise AssertionError(f"not within {timeout} s")


async def test_an_api_that_never_answers_is_given_up_within_the_timeout(fake_twilio):
    """The connection is accepted and the answer never comes: before, the SDK's async
    client was handed no timeout and the send waited for ever."""
    from core.sms_port import TransientSmsError
    from drivers.twilio_sms import TwilioRoute
    from tests.sms.fake_twilio import ACCOUNT

    fake_twilio.hold = asyncio.Event()  # never set
    route = TwilioRoute(ACCOUNT, TOKEN, "+447700900999", api_url=fake_twilio.url,
                        timeout=0.3)
    try:
        async with asyncio.timeout(5):
            with pytest.raises(TransientSmsError, match="Twilio"):
                await route.send(MOBILE_1, TEXT)
    finally:
        await route.close()


async def test_an_answer_lost_to_the_timeout_is_looked_up_not_sent_again(
        store, admin, sms_estate, fake_twilio):
    """Twilio took the first message and its answer came too late: before, the timeout
    was a transient error and the message went again (twice on the telephone)."""
    from drivers.twilio_sms import TwilioRoute
    from tests.sms.fake_twilio import ACCOUNT

    await sms.send_sms(store.uow(), admin, Selection(sms_estate.site_id), TEXT)
    config = twilio_config(fake_twilio, rate=5.0)
    fake_twilio.hold = release = asyncio.Event()  # recorded; answered only at the end
    route = TwilioRoute(ACCOUNT, TOKEN, config.sender, api_url=fake_twilio.url,
                        timeout=0.3)
    running = Running(store, config, route)
    try:
        await eventually_async(lambda: _all_accepted(store), 10)
        assert not running.task.done()
    finally:
        release.set()
        await running.kill()
        await route.close()
    assert fake_twilio.count() == {(MOBILE_1, TEXT): 1, (MOBILE_2, TEXT): 1,
                                   (MOBILE_3, TEXT): 1}
    assert not running.alarms


@pytest.mark.parametrize("body", ["<html>Service busy</html>", "[1, 2]", '{"status": "queued"}'],
                         ids=["not-json", "a-list", "no-sid"])
async def test_an_answer_that_cannot_be_read_is_looked_up_not_sent_again(
        store, admin, sms_estate, fake_twilio, body):
    """201 with a body that is not the message: before, the SDK's JSON error (or
    AttributeError) ended the sender task, or the SID "None" was stored as the message's
    reference and polled for ever."""
    await sms.send_sms(store.uow(), admin, Selection(sms_estate.site_id), TEXT)
    fake_twilio.garble = [body]  # the first create: taken, its answer unreadable
    running = Running(store, twilio_config(fake_twilio, rate=5.0))
    try:
        await eventually_async(lambda: _all_accepted(store), 10)
        assert not running.task.done()
    finally:
        await running.kill()
    assert fake_twilio.count() == {(MOBILE_1, TEXT): 1, (MOBILE_2, TEXT): 1,
                                   (MOBILE_3, TEXT): 1}
    async with store.reader() as uow:
        refs = [m.provider_ref for m in await uow.find(SmsMessage)]
    assert len(set(refs)) == 3 and all(ref.startswith("SM") for ref in refs)


async def test_twilios_words_are_stored_as_plain_text(store, admin, sms_estate, fake_twilio):
    """Twilio's reasons (a refusal, an undelivered status) with escape sequences in them:
    before, they were stored (and logged) as they came."""
    fake_twilio.words = {21211: "The \x1b[2J\x1b]0;pwned\x07number\x9b31m is not valid",
                         30003: "Unreachable\x1b[5m handset\r\nOK"}
    fake_twilio.fail[MOBILE_2] = [21211]
    fake_twilio.final = "undelivered"
    await sms.send_sms(store.uow(), admin, Selection(sms_estate.site_id), TEXT)
    running = Running(store, twilio_config(fake_twilio))
    try:
        final = await eventually_async(lambda: _all_final(store), 10)
    finally:
        await running.kill()
    assert final[MOBILE_2] == (MessageStatus.FAILED, "Twilio: 21211 The number is not valid")
    assert final[MOBILE_1] == (MessageStatus.UNDELIVERED, "30003 Unreachable handset  OK")


async def test_a_message_twilio_no_longer_knows_holds_back_no_other_status(
        store, admin, sms_estate, fake_twilio):
    """Its status asked, Twilio answers 404 (the message deleted from the account):
    before, the polls stopped at it, and as the oldest it came first every time, so no
    other message's status was ever asked again. Now it says why and goes last."""
    fake_twilio.final = "sent"  # not final until the test says so
    await sms.send_sms(store.uow(), admin, Selection(sms_estate.site_id), TEXT)
    running = Running(store, twilio_config(fake_twilio))
    try:
        await eventually(lambda: len(fake_twilio.messages) == 3 and fake_twilio.fetches >= 3)
        first = min(fake_twilio.messages)
        del fake_twilio.messages[first]  # 404 from now on
        fake_twilio.final = "delivered"
        found = await eventually_async(lambda: _delivered_but_one(store), 10)
    finally:
        await running.kill()
    (status, error), = [v for v in found.values() if v[0] is not MessageStatus.DELIVERED]
    assert status is MessageStatus.SENT and error.startswith("delivery status not known: ")
    assert "no such message (Not found)" in error and not running.alarms


async def _delivered_but_one(store):
    found = await statuses(store)
    delivered = [s for s, _ in found.values() if s is MessageStatus.DELIVERED]
    unknown = [e for _, e in found.values() if e]
    return found if len(delivered) == 2 and unknown else None
