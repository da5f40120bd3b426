"""`doorkeeper serve`'s watchdog with real processes (console/headless/watchdog.py): a
worker and the gateway, alive but stuck (stopped with SIGSTOP: the pid exists, the loop
does nothing), are killed and started again within `stuck_after`, the supervisor says
why in the serve log, and the consoles get an alarm."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
from collections.abc import Callable

from console.headless.supervisor import Supervisor, ensure_host_key, host_key_path
from core.config import Config
from tests.ssh.conftest import free_port


async def until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out: {what}"
        await asyncio.sleep(0.1)


def stuck_alarms(db: str) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return [d for (d,) in con.execute(
            "SELECT description FROM events WHERE kind = 'Process stuck'")]
    finally:
        con.close()


async def test_a_stuck_worker_and_gateway_are_restarted_and_the_serve_log_says_why(
        store, estate, tmp_path):
    config = Config()
    config.bus.path = str(tmp_path / "dk.sock")
    config.ssh.listen = f"127.0.0.1:{free_port()}"
    config.ssh.stuck_after = 2
    ensure_host_key(host_key_path(config, store.where))
    serve_log = tmp_path / "dk.serve.log"
    supervisor = Supervisor(config, db=store.where, config_path=None, simulate=False,
                            rate=None, workers=1, log_path=str(serve_log))
    running = asyncio.create_task(supervisor.run())
    stopped: list[int] = []
    try:
        await until(lambda: bool(supervisor.workers), "serve started")
        worker, gateway = supervisor.workers[0].proc, supervisor.gateway
        assert gateway is not None
        for pid in (worker.pid, gateway.pid):
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)
        await until(lambda: supervisor.gateway is not None
                    and supervisor.gateway.pid != gateway.pid and supervisor.workers
                    and supervisor.workers[0].proc.pid != worker.pid, "both restarted")
        log = serve_log.read_text()
        assert f"SSH worker 0 (pid {worker.pid}) is stuck: no heartbeat for" in log
        assert "SSH worker 0 stopped (exit -9)" in log
        assert f"the gateway (pid {gateway.pid}) is stuck: no answer on the bus" in log
        # a person should know: the new gateway records it as an alarm on every site
        await until(lambda: len(stuck_alarms(store.where)) >= 2, "the alarms")
        assert any("SSH worker 0" in d for d in stuck_alarms(store.where))
    finally:
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        supervisor.stopping.set()
        await running
