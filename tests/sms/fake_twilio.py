"""A local HTTP server speaking the part of Twilio's REST API the SMS route uses (aiohttp).

Twilio cannot be reached from here, so the real `twilio` SDK does real HTTP against
this instead: POST Messages.json (create), GET Messages/{Sid}.json (fetch), GET
Messages.json?To= (list). It checks the basic auth, answers errors as Twilio does
(`{"code": 21211, "message": ..., "status": 400}`), and counts what it received.
A test scripts it: `fail[number]` (the errors one number gets, in turn), `next_errors`
(the next creates' errors, whatever the number), `hold` (the next create is recorded,
then its answer waits until released: a crash in the middle of a send), `garble`
(the next creates are recorded, then answered 201 with these bodies instead of the
message: an answer that cannot be read), `words` (Twilio's message for an error code).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web

ACCOUNT = "AC" + "0" * 31 + "1"
TOKEN = "not-a-real-token-5f1c"
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT}/Messages"
ERRORS = {
    21211: (400, "The 'To' number {to} is not a valid phone number."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20003: (401, "Authenticate"),
}


@dataclass
class FakeTwilio:
    """The server's state: what it received, and what a test told it to answer."""

    final: str = "delivered"  # where a message's status ends after two fetches
    fail: dict[str, list[int]] = field(default_factory=dict)
    next_errors: list[int] = field(default_factory=list)
    hold: asyncio.Event | None = None  # set: the next create waits for it (once recorded)
    garble: list[str] = field(default_factory=list)  # the next creates' 201 bodies
    words: dict[int, str] = field(default_factory=dict)  # an error code's message, if not ours
    held: asyncio.Event = field(default_factory=asyncio.Event)  # a create is being held
    received: list[tuple[str, str]] = field(default_factory=list)  # (To, Body) accepted
    received_at: list[float] = field(default_factory=list)  # time.monotonic() of each
    posts: int = 0
    fetches: int = 0
    messages: dict[str, dict] = field(default_factory=dict)
    _sids: itertools.count = field(default_factory=lambda: itertools.count(1))
    runner: web.AppRunner | None = None
    url: str = ""

    def count(self) -> Counter[tuple[str, str]]:
        """How many times each (To, Body) was accepted."""
        return Counter(self.received)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post(MESSAGES + ".json", self._create)
        app.router.add_get(MESSAGES + ".json", self._list)
        app.router.add_get(MESSAGES + "/{sid}.json", self._fetch)
        app.router.add_get("/_stats", self._stats)  # not Twilio's: what bench_gsm reads
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    # --- the API ---------------------------------------------------------------------
    def _authorised(self, request: web.Request) -> bool:
        auth = request.headers.get("Authorization", "")
        expected = base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
        return auth == f"Basic {expected}"

    def _error(self, code: int, to: str = "") -> web.Response:
        status, text = ERRORS[code]
        text = self.words.get(code, text)
        return web.json_response({"code": code, "message": text.format(to=to),
                                  "more_info": f"https://www.twilio.com/docs/errors/{code}",
                                  "status": status}, status=status)

    async def _create(self, request: web.Request) -> web.Response:
        self.posts += 1
        if not self._authorised(request):
            return self._error(20003)
        form = await request.post()
        to, body = str(form.get("To", "")), str(form.get("Body", ""))
        if self.next_errors:
            return self._error(self.next_errors.pop(0), to)
        if self.fail.get(to):
            return self._error(self.fail[to].pop(0), to)
        sid = f"SM{next(self._sids):032x}"
        message = {"sid": sid, "account_sid": ACCOUNT, "to": to, "from": form.get("From"),
                   "body": body, "status": "queued", "num_segments": "1",
                   "date_created": "Thu, 03 Dec 2026 18:00:00 +0000", "date_sent": None,
                   "error_code": None, "error_message": None, "fetched": 0,
                   "uri": f"{MESSAGES}/{sid}.json"}
        self.messages[sid] = message
        self.received.append((to, body))
        self.received_at.append(time.monotonic())
        hold, self.hold = self.hold, None
        if hold is not None:  # recorded, but the answer waits: the client may die meanwhile
            self.held.set()
            await hold.wait()
        if self.garble:
            return web.Response(status=201, text=self.garble.pop(0),
                                content_type="application/json")
        return web.json_response(_public(message), status=201)

    async def _fetch(self, request: web.Request) -> web.Response:
        self.fetches += 1
        if not self._authorised(request):
            return self._error(20003)
        message = self.messages.get(request.match_info["sid"])
        if message is None:
            return web.json_response({"code": 20404, "message": "Not found", "status": 404},
                                     status=404)
        message["fetched"] += 1
        message["status"] = "sent" if message["fetched"] == 1 else self.final
        if message["status"] in ("failed", "undelivered"):
            message["error_code"] = 30003
            message["error_message"] = self.words.get(30003, "Unreachable handset")
        return web.json_response(_public(message))

    async def _list(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error(20003)
        to = request.query.get("To")
        found = [_public(m) for m in self.messages.values() if to is None or m["to"] == to]
        return web.json_response({"messages": found, "end": len(found), "page": 0,
                                  "page_size": 50, "start": 0, "first_page_uri": MESSAGES,
                                  "next_page_uri": None, "previous_page_uri": None,
                                  "uri": MESSAGES + ".json"})


    async def _stats(self, request: web.Request) -> web.Response:
        counts = self.count()
        return web.json_response({"received": len(self.received), "at": self.received_at,
                                  "most_of_one": max(counts.values(), default=0)})


def _public(message: dict) -> dict:
    return {k: v for k, v in message.items() if k != "fetched"}


async def _serve() -> None:
    """Serve until killed; print the URL (bench_gsm runs the API in its own process, as a
    remote API would be, so its CPU is not the sender's)."""
    fake = FakeTwilio()
    print(await fake.start(), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_serve())
