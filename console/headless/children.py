"""How Doorkeeper's processes start one another: the gateway (started by a console or by
`serve`) and the SSH workers (started by `serve`).

A child is the same interpreter run with ``-P``: its ``sys.path`` does not begin with
the current folder, so a folder that holds packages named like ours (a Django project's
``core/``, another checkout's ``console/``) can never stand in for the installed ones.
``-P`` rather than ``-I``: an install that relies on PYTHONPATH or the user's
site-packages (``pip install --user``) still finds itself. See docs/processes.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from console.headless.bus.client import BusClient
from core.bus import BusClosed, Kind
from core.config import SSHConfig, StoreConfig
from core.errors import DoorkeeperError

T = TypeVar("T")
log = logging.getLogger(__name__)
#: the module an SSH worker runs (bench/bench_ssh_sessions.py finds workers by it)
WORKER_MODULE = "console.ssh.server"


def python_command(module: str, *args: str) -> list[str]:
    """This interpreter running `module`, blind to the current folder (``-P``)."""
    return [sys.executable, "-P", "-m", module, *args]


def gateway_command(db: str, bus: str, config: str | None, simulate: bool,
                    rate: float | None = None) -> list[str]:
    """The command line of `doorkeeper gateway` over this store and bus."""
    args = ["gateway", "--db", db, "--bus", bus]
    if config:
        args += ["--config", config]
    if simulate:
        args.append("--simulate")
    if rate is not None:
        args += ["--rate", str(rate)]
    return python_command("console.cli", *args)


def start_gateway(db: str, bus: str, config: str | None, simulate: bool,
                  rate: float | None = None) -> subprocess.Popen:
    """Start `doorkeeper gateway` in the background; its log goes beside the database."""
    log_path = Path(db).with_suffix(".gateway.log")
    with open(log_path, "a", encoding="utf-8") as log_file:
        # Same process group: a closed terminal reaches it too, and it stops cleanly.
        return subprocess.Popen(gateway_command(db, bus, config, simulate, rate),
                                stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file)


def stop_gateway(proc: subprocess.Popen | None, timeout: float = 30) -> None:
    """SIGTERM and wait: the gateway flushes every event before it exits (its own
    shutdown is bounded, and what it cannot store goes to the spill journal). One
    still running after `timeout` seconds is killed: it is never left behind."""
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.error("the gateway (pid %d) did not stop within %.0f s; killing it",
                      proc.pid, timeout)
            proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)


async def wait_for_bus(bus: str, proc: subprocess.Popen | None,
                       connect: Callable[[str], Awaitable[T]], timeout: float = 60) -> T:
    """`connect(bus)` once the gateway listens (a stale socket may be there before).

    Args:
        bus: the bus socket's path.
        proc: the gateway just started, or None to try once (is one running?).
        connect: opens the connection; raises DoorkeeperError while nobody answers.
        timeout: seconds to wait for a started gateway.

    Raises:
        DoorkeeperError: the gateway stopped, or did not answer in time.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise DoorkeeperError("The gateway stopped at start; see its log.")
        if Path(bus).exists():
            with contextlib.suppress(DoorkeeperError):
                return await connect(bus)
        if proc is None or loop.time() > deadline:
            raise DoorkeeperError("The gateway did not open its bus in time.")
        await asyncio.sleep(0.1)


async def gateway_answers(bus: str) -> None:
    """Say hello on the bus and wait for the gateway's answer; DoorkeeperError if none."""
    client = await BusClient.connect(bus)
    try:
        await client.request({"type": Kind.HELLO})
    except (TimeoutError, BusClosed) as err:
        raise DoorkeeperError(f"The gateway on {bus} did not answer.") from err
    finally:
        await client.close()


@dataclass
class WorkerOptions:
    """What the supervisor hands each SSH worker (as JSON on its command line)."""

    db: str
    bus: str
    ssh: dict[str, Any] = field(default_factory=lambda: asdict(SSHConfig()))
    store: dict[str, Any] = field(default_factory=lambda: asdict(StoreConfig()))
    host_key: str = ""
    workers: int = 1
    log: str = ""
    ready_fd: int = -1
    throttle_fd: int = -1  # the supervisor's shared token bucket

    def command(self) -> list[str]:
        """The worker's command line."""
        return python_command(WORKER_MODULE, json.dumps(asdict(self)))

    @classmethod
    def from_command(cls, argv: list[str]) -> WorkerOptions:
        """The options a worker was started with (its arguments after the module)."""
        return cls(**json.loads(argv[0]))
