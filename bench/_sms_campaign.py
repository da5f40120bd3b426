"""bench_gsm's campaign part: an SMS campaign through the fake Twilio API at a rate limit.

A temporary store holds one site and a campaign of N messages, written straight into
the outbox (the New SMS service is tested elsewhere; here the sender is measured). The
gateway's SmsSender, with the real TwilioRoute (the `twilio` SDK's async client doing
real HTTP), works through it against tests/sms/fake_twilio.py running in a process of
its own (as a remote API would be: its CPU is not the sender's). Figures: messages accepted a
second from the first send to the last acceptance, against the configured limit
(target >= 0.9 of it), and the process's resident memory at a quarter of the campaign
and at its end (flat: the sender holds a batch, not the campaign).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, insert, update

from console.headless.sms_routes import SmsRoutes
from console.headless.sms_sender import SmsSender
from core.config_sms import SmsConfig
from core.model import Site
from core.services import operators, sites
from core.services.base import Actor
from store import tables as t
from store.database import Store
from tests.sms.fake_twilio import ACCOUNT, TOKEN


def rss_mb() -> float:
    """This process's resident memory (Linux /proc)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


class ServerProcess:
    """The fake Twilio API in a process of its own, as a remote API would be."""

    def __enter__(self) -> ServerProcess:
        root = Path(__file__).resolve().parent.parent
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.sms.fake_twilio"],
                                     cwd=root, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        self.skip = 0  # messages received by earlier runs
        return self

    def stats(self) -> dict:
        with urllib.request.urlopen(self.url + "/_stats", timeout=10) as answer:
            found: dict = json.load(answer)
            return found

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)


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


async def _send(path: Path, server: ServerProcess, size: int, rate: float
                ) -> tuple[float, float, float, int]:
    store = await Store.open(path=path)
    config = SmsConfig(route="twilio", sender="+447700900999", rate=rate, account_sid=ACCOUNT,
                       auth_token=TOKEN, api_url=server.url, poll_s=3600.0)
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
        stats = server.stats()
        at = stats["at"][server.skip + 1:]  # the first waits for the connection
        per_s = (len(at) - 1) / (at[-1] - at[0]) if len(at) > 1 else 0.0
        received = stats["received"] - server.skip
        once = received if stats["most_of_one"] == 1 else -stats["most_of_one"]
        return per_s, quarter, rss_mb(), once
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await routes.close()
        await store.close()


def campaigns(folder: Path, runs: list[tuple[int, float]]
              ) -> list[tuple[float, float, float, int]]:
    """Each (size, rate): (messages/s, RSS MB at a quarter, RSS MB at the end, messages
    the API received: negative, the most times one message was received, if one came
    twice). One API process and one store built once, copied for each run."""
    template = folder / "sms.db"
    asyncio.run(_outbox(template, max(size for size, _ in runs)))
    out = []
    with ServerProcess() as server:
        for n, (size, rate) in enumerate(runs):
            path = folder / f"sms-{n}.db"
            shutil.copy(template, path)
            asyncio.run(_trim(path, size, n))
            server.skip = server.stats()["received"]
            out.append(asyncio.run(_send(path, server, size, rate)))
    return out


async def _trim(path: Path, size: int, run: int) -> None:
    """The campaign cut to `size` messages, its text its own (the API counts each message
    by number and text)."""
    store = await Store.open(path=path)
    try:
        async with store.uow() as uow:
            assert uow.conn is not None
            await uow.conn.execute(delete(t.sms_messages).where(t.sms_messages.c.id > size))
            await uow.conn.execute(update(t.sms_campaigns).values(
                text=f"Bench campaign {run}: the lift is repaired."))
            await uow.commit()
    finally:
        await store.close()
