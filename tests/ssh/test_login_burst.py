"""A shift logging in at once (bench/bench_ssh_sessions.py opens fifty sessions): a
store busy past its timeout does not turn proved logins into refusals, and the
worker's session watchdog never reads /proc on the event loop.

The gatekeeper runs here with a stand-in for its worker (the real store, the real
login service, the worker's login slots): the server's other parts play no role in
how a login meets a busy store.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from types import SimpleNamespace

import asyncssh

from console.ssh import watchdog
from console.ssh.gatekeeper import Gatekeeper
from console.ssh.server import LOGINS_AT_ONCE
from core.config import StoreConfig
from core.model import AuditEntry
from core.services import operator_keys
from store.database import Store


async def test_twenty_key_logins_held_past_the_busy_timeout_all_get_in(store, admin):
    key = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    await operator_keys.add_key(store.uow(), admin, admin.operator.id, key)
    line = " ".join(key.split()[:2])
    impatient = await Store.open(StoreConfig(busy_timeout_ms=300), path=store.where,
                                 migrate=False)
    worker = SimpleNamespace(store=impatient, login_slots=asyncio.Semaphore(LOGINS_AT_ONCE))
    holder = sqlite3.connect(store.where, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer, for three busy timeouts
        asyncio.get_running_loop().call_later(0.9, holder.execute, "COMMIT")
        gates = [Gatekeeper(worker) for _ in range(20)]  # type: ignore[arg-type]
        for gate in gates:
            gate.address = "127.0.0.41"  # one desk behind one address
        logged_in = await asyncio.gather(
            *(gate._login(admin.operator.email, public_key=line) for gate in gates))
    finally:
        holder.close()
        await impatient.close()
    assert [op.email for op in logged_in] == [admin.operator.email] * 20
    async with store.reader() as uow:
        assert len(await uow.find(AuditEntry, action="session.login")) == 20
        assert await uow.find(AuditEntry, action="session.refused") == []


async def test_the_watchdog_reads_proc_off_the_loop(monkeypatch):
    """A read of /proc/PID/smaps_rollup can wait seconds for a busy process's memory map
    lock: here it waits until the loop has run meanwhile (never, were it on the loop)."""
    called, loop_ran = threading.Event(), threading.Event()
    seen: list[bool] = []

    def slow_pss(pid: int) -> int:
        called.set()
        seen.append(loop_ran.wait(5))
        return 1

    monkeypatch.setattr(watchdog, "pss_kb", slow_pss)
    dog = watchdog.Watchdog(lambda: [("me", os.getpid())], lambda key, why: None,
                            every=0.01)
    dog.start()
    try:
        for _ in range(500):
            if called.is_set():
                break
            await asyncio.sleep(0.01)
        loop_ran.set()
        for _ in range(500):
            if seen:
                break
            await asyncio.sleep(0.01)
    finally:
        dog.stop()
    assert seen[:1] == [True]
