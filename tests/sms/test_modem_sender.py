"""SMS by the site's modem: AT+CMGS against the simulated modem on a pty (a slow "> "
prompt, +CMS ERROR), and the gateway's sender working through the outbox with it."""

from __future__ import annotations

import asyncio
import collections

import pytest

from console.headless.sms_routes import SmsRoutes
from console.headless.sms_sender import SmsSender
from core.config import StoreConfig
from core.config_sms import SmsConfig
from core.model_sms import SmsMessage
from core.services import sms
from core.services.sms import Selection
from core.sms import MessageStatus
from core.sms_port import PermanentSmsError, TransientSmsError
from drivers.modem.sms import ModemRoute
from store.database import Store
from store.snapshot import load_snapshot
from tests.conftest import eventually
from tests.modem.conftest import Line, dial_estate
from tests.sms.conftest import (
    MOBILE_1,
    MOBILE_2,
    MOBILE_3,
    all_handed,
    phones_estate,
    store_locked,
)
from tests.sms.test_twilio_sender import eventually_async


@pytest.fixture
async def modem_line(store, admin, estate):
    modem = await dial_estate(store, admin, estate)
    setup = Line(await load_snapshot(store), modem.id, estate.panel.id)
    await setup.start()
    await setup.online()
    yield setup
    await setup.close()


async def test_cmgs_waits_for_a_slow_prompt_and_names_errors(modem_line):
    sim, route = modem_line.sim, ModemRoute(modem_line.driver)
    sim.prompt_delay = 0.3  # the "> " comes late: the text must wait for it
    ref, status = await route.send("+447546277360", "Lift out of order")
    assert (ref, status) == ("1", MessageStatus.SENT)
    assert sim.sent == [("+447546277360", "Lift out of order")]
    sim.prompt_delay = 0.0
    sim.send_error = 500  # unknown error: may pass
    with pytest.raises(TransientSmsError, match="CMS ERROR 500"):
        await route.send("+447546277360", "again")
    sim.send_error = 305  # invalid text mode parameter: never will
    with pytest.raises(PermanentSmsError, match="CMS ERROR 305"):
        await route.send("+447546277360", "again")
    with pytest.raises(PermanentSmsError, match="GSM-7 text only"):
        await route.send("+447546277360", "Привет")
    assert sim.sent == [("+447546277360", "Lift out of order")]
    assert modem_line.driver.state.counters["SMS sent"] == 1


async def test_the_sender_works_through_the_outbox_by_the_modem(store, admin, estate,
                                                               modem_line):
    site = await phones_estate(store, admin, estate)
    await sms.send_sms(store.uow(), admin, Selection(site.site_id), "Boiler service today")
    modem_line.sim.send_error = 500  # the first message meets a transient error
    config = SmsConfig(route="modem", rate=50.0, retry_first_s=0.05, poll_s=0.05)
    routes = SmsRoutes(config, [modem_line.driver], modem_line.runtime.snapshot)
    sender = SmsSender(store, config, routes.route_for, lambda kind, text: None)
    task = asyncio.create_task(sender.run())
    try:
        async def sent():
            async with store.reader() as uow:
                found = await uow.find(SmsMessage)
            return found if all(m.status is MessageStatus.SENT for m in found) else None
        messages = await eventually_async(sent, 10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert sorted(n for n, _ in modem_line.sim.sent) == sorted([MOBILE_1, MOBILE_2, MOBILE_3])
    assert all(m.provider_ref for m in messages)
    assert max(m.attempts for m in messages) == 2  # the one that met +CMS ERROR 500


async def test_stopped_while_the_store_is_away_the_modem_sends_one_message_twice_at_most(
        store, admin, estate, modem_line):
    """A batch of three is marked as handed; the store is locked (its writes refused)
    while the modem sends the first: its reference stays in memory and the other two
    are not handed. The gateway is stopped then (the reference is lost, as in a crash);
    on the next start the modem cannot be asked, so that one message goes again, the
    others once."""
    site = await phones_estate(store, admin, estate)
    await sms.send_sms(store.uow(), admin, Selection(site.site_id), "Boiler service today")
    quick = await Store.open(StoreConfig(path=str(store.where), busy_timeout_ms=200),
                             migrate=False)  # a refused write is told in 0.2 s
    config = SmsConfig(route="modem", rate=50.0, retry_first_s=0.05, poll_s=0.05)
    routes = SmsRoutes(config, [modem_line.driver], modem_line.runtime.snapshot)
    modem_line.sim.prompt_delay = 0.5  # the first message is in flight for a while
    first = SmsSender(quick, config, routes.route_for, lambda kind, text: None)
    task = asyncio.create_task(first.run())
    try:
        await eventually_async(lambda: all_handed(quick), 10)
        with store_locked(str(store.where)):
            await eventually(lambda: first.unwritten == 1, timeout=10)
            await asyncio.sleep(1.5)  # away: the sender waits; nothing more is handed
            sent_while_away = list(modem_line.sim.sent)
            task.cancel()  # the gateway stopped, its reference in memory only
            await asyncio.gather(task, return_exceptions=True)
        modem_line.sim.prompt_delay = 0.0
        second = SmsSender(quick, config, routes.route_for, lambda kind, text: None)
        task = asyncio.create_task(second.run())

        async def sent():
            async with quick.reader() as uow:
                found = await uow.find(SmsMessage)
            return found if all(m.status is MessageStatus.SENT for m in found) else None
        await eventually_async(sent, 10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await quick.close()
    assert len(sent_while_away) == 1
    counts = collections.Counter(n for n, _ in modem_line.sim.sent)
    assert counts == {MOBILE_1: 1, MOBILE_2: 1, MOBILE_3: 1,
                      sent_while_away[0][0]: 2}
