"""SMS by the site's modem: AT+CMGS against the simulated modem on a pty (a slow "> "
prompt, +CMS ERROR), and the gateway's sender working through the outbox with it."""

from __future__ import annotations

import asyncio

import pytest

from console.headless.sms_routes import SmsRoutes
from console.headless.sms_sender import SmsSender
from core.config_sms import SmsConfig
from core.model_sms import SmsMessage
from core.services import sms
from core.services.sms import Selection
from core.sms import MessageStatus
from core.sms_port import PermanentSmsError, TransientSmsError
from drivers.modem.sms import ModemRoute
from store.snapshot import load_snapshot
from tests.modem.conftest import Line, dial_estate
from tests.sms.conftest import MOBILE_1, MOBILE_2, MOBILE_3, phones_estate
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
