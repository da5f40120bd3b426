"""bench_gsm's campaign part: an SMS campaign through the fake Twilio API at a rate limit.

A temporary store holds one site and a campaign of N messages, written straight into
the outbox (the New SMS service is tested elsewhere; here the sender is measured). The
gateway's SmsSender, with the real TwilioRoute (the `twilio` SDK's async client doing
real HTTP), works through it against tests/sms/fake_twilio.py running in a thread of
its own (its own event loop, as a remote API would be). Figures: messages accepted a
second from the first send to the last acceptance, against the configured limit
(target >= 0.9 of it), and the process's resident memory at a quarter of the campaign
and at its end (flat: the sender holds a batch, not the campaign).
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from console.headless.sms_routes import SmsRoutes
from console.headless.sms_sender import SmsSender
from core.config_sms import SmsConfig
from core.model import Site
from core.services import operators, sites
from core.services.base import Actor
from store import tables as t
from store.database import Store
from tests.sms.fake_twilio import ACCOUNT, TOKEN, FakeTwilio


def rss_mb() -> float:
    """This process's resident memory (Linux /proc)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


class ServerThread:
    """The fake Twilio API in a thread with its own event loop."""

    def __init__(self) -> None:
        self.fake: FakeTwilio | None = None
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="fake twilio")

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.fake = FakeTwilio()
        self.loop.run_until_complete(self.fake.start())
        self.ready.set()
        self.loop.run_forever()

    def __enter__(self) -> FakeTwilio:
        self.thread.start()
        self.ready.wait(10)
        assert self.fake is not None
        return self.fake

    def __exit__(self, *exc: object) -> None:
        assert self.fake is not None
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


async def _outbox(path: Path, size: int) -> None:
    store = await Store.open(path=path)
    try:
        op = await operators.bootstrap_admin(store.uow(), "admin@bench.example", source="bench")
        site = await sites.create_site(store.uow(), Actor(op, source="bench"), Site("Bench"))
        now = datetime.now(UTC)
        async with store.uow() as uow:
            assert uow.conn is not None
            campaign = (await uow.conn.execute(insert(t.sms_campaigns).values(
                site_id=site.id, created_at=now, created_by="admin@bench.example",
                text="Bench campaign: the lift is repaired.", encoding="GSM-7", route="",
                recipients=size))).inserted_primary_key[0]
            await uow.conn.execute(insert(t.sms_messages), [
                {"campaign_id": campaign, "site_id": site.id, "number": f"+4479{i:08d}",
                 "flat": f"Bench/{i}", "status": "queued", "attempts": 0, "error": ""}
                for i in range(size)])
            await uow.commit()
    finally:
        await store.close()


async def _send(path: Path, fake: FakeTwilio, size: int, rate: float
                ) -> tuple[float, float, float, int]:
    store = await Store.open(path=path)
    config = SmsConfig(route="twilio", sender="+447700900999", rate=rate, account_sid=ACCOUNT,
                       auth_token=TOKEN, api_url=fake.url, poll_s=3600.0)
    routes = SmsRoutes(config, [], None, environ={})  # type: ignore[arg-type]
    sender = SmsSender(store, config, routes.route_for, lambda kind, text: None)
    task = asyncio.create_task(sender.run())
    try:
        quarter = 0.0
        while sender.sent < size:
            if not quarter and sender.sent >= size // 4:
                quarter = rss_mb()
            await asyncio.sleep(0.01)
        # as the API saw them: from the first message received to the last
        at = list(fake.received_at)
        per_s = (len(at) - 1) / (at[-1] - at[0]) if len(at) > 1 else 0.0
        return per_s, quarter, rss_mb(), len(fake.received)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await routes.close()
        await store.close()


def campaign(folder: Path, size: int, rate: float) -> tuple[float, float, float, int]:
    """(messages/s, RSS MB at a quarter, RSS MB at the end, messages the API received)."""
    path = folder / f"sms-{int(rate)}.db"
    asyncio.run(_outbox(path, size))
    with ServerThread() as fake:
        return asyncio.run(_send(path, fake, size, rate))
