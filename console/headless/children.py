"""How Doorkeeper's processes start one another: the gateway (started by a console or by
`serve`) and the SSH workers (started by `serve`).

A child is the same interpreter run with ``-P``: its ``sys.path`` does not begin with
the current folder, so a folder that holds packages named like ours (a Django project's
``core/``, another checkout's ``console/``) can never stand in for the installed ones.
``-P`` rather than ``-I``: an install that relies on PYTHONPATH or the user's
site-packages (``pip install --user``) still finds itself. See docs/processes.md.

A child never outlives its parent, even one killed with SIGKILL: it is started with a
*lifeline*, the read end of a pipe whose write end only the parent holds. The child
(`hold_lifeline`, first thing in its main) asks Linux for SIGTERM when its parent dies
(PR_SET_PDEATHSIG), and on any system a thread waits on the pipe: the kernel closes
the parent's end when it dies, however it dies, and the child then stops as on SIGTERM
(a gateway flushes its events), or is ended after LIFELINE_GRACE_S if it hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from console.headless.bus.connect import connect as connect_bus
from console.headless.bus.connect import may_answer, shown
from core.bus import BusClosed, Kind
from core.config import SSHConfig, StoreConfig
from core.errors import DoorkeeperError

T = TypeVar("T")
log = logging.getLogger(__name__)
#: the environment variables that hand a child its lifeline (the pipe's fd, the parent)
LIFELINE_ENV, PARENT_ENV = "DOORKEEPER_LIFELINE_FD", "DOORKEEPER_PARENT_PID"
#: a child whose parent died and who has not stopped after SIGTERM this long is ended
LIFELINE_GRACE_S = 20.0
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
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


def spawn(command: list[str], *, pass_fds: tuple[int, ...] = (),
          **popen: Any) -> subprocess.Popen:
    """Start a child that dies with this process (see the module's docstring): it gets
    the read end of a lifeline pipe; this process keeps the write end, open until the
    child has been waited for (`release`)."""
    read_fd, write_fd = os.pipe()  # both close-on-exec; the child gets read_fd only
    env = {**(popen.pop("env", None) or os.environ), LIFELINE_ENV: str(read_fd),
           PARENT_ENV: str(os.getpid())}
    try:
        proc = subprocess.Popen(command, pass_fds=(*pass_fds, read_fd), env=env, **popen)
    except BaseException:
        os.close(write_fd)
        raise
    finally:
        os.close(read_fd)
    proc.lifeline = write_fd  # type: ignore[attr-defined]
    return proc


def release(proc: subprocess.Popen) -> None:
    """Close the lifeline of a child that has ended (its write end, held here)."""
    fd = getattr(proc, "lifeline", -1)
    if fd >= 0:
        proc.lifeline = -1  # type: ignore[attr-defined]
        with contextlib.suppress(OSError):
            os.close(fd)


def hold_lifeline() -> None:
    """In a child started by `spawn`: stop when the parent dies (a no-op otherwise)."""
    fd = take_lifeline()
    if fd is not None:
        threading.Thread(target=_wait_on_lifeline, args=(fd,), name="lifeline",
                         daemon=True).start()


def take_lifeline() -> int | None:
    """In a child started by `spawn`: ask for SIGTERM when the parent dies and return the
    lifeline's fd (it reads as closed once the parent is gone), for a child that watches
    it itself (the SSH zygote, which must stay single-threaded to fork); None otherwise."""
    fd_text, parent_text = os.environ.pop(LIFELINE_ENV, ""), os.environ.pop(PARENT_ENV, "")
    if not fd_text.isdigit():
        return None
    if not die_with_parent(signal.SIGTERM, int(parent_text or 0)):  # it died before we asked
        _parent_gone()
    return int(fd_text)


def die_with_parent(sig: int, parent: int) -> bool:
    """Ask Linux to send `sig` to this process when its parent dies (PR_SET_PDEATHSIG; a
    no-op elsewhere). False if the parent (pid `parent`; 0: not checked) is already gone."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)
    return not parent or os.getppid() == parent


def _wait_on_lifeline(fd: int) -> None:
    while True:
        try:
            if not os.read(fd, 64):
                break  # the parent's end closed: it died (or let us go)
        except InterruptedError:
            continue
        except OSError:
            break
    _parent_gone()


def _parent_gone() -> None:
    """Stop as on SIGTERM (a gateway flushes its events); end for sure after the grace."""
    log.warning("the parent process is gone; stopping")
    os.kill(os.getpid(), signal.SIGTERM)
    timer = threading.Timer(LIFELINE_GRACE_S, os._exit, args=(70,))
    timer.daemon = True
    timer.start()


def start_gateway(db: str, bus: str, config: str | None, simulate: bool,
                  rate: float | None = None) -> subprocess.Popen:
    """Start `doorkeeper gateway` in the background, tied to this process's life; its
    log goes beside the database."""
    log_path = Path(db).with_suffix(".gateway.log")
    with open(log_path, "a", encoding="utf-8") as log_file:
        # Same process group: a closed terminal reaches it too, and it stops cleanly.
        return spawn(gateway_command(db, bus, config, simulate, rate),
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
    if proc is not None and proc.poll() is not None:
        release(proc)


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
        if may_answer(bus):
            with contextlib.suppress(DoorkeeperError):
                return await connect(bus)
        if proc is None or loop.time() > deadline:
            raise DoorkeeperError("The gateway did not open its bus in time.")
        await asyncio.sleep(0.1)


async def gateway_answers(bus: str) -> None:
    """Ping the gateway on the bus and wait for its answer; DoorkeeperError if none."""
    client = await connect_bus(bus)
    try:
        await client.request({"type": Kind.PING})
    except (TimeoutError, BusClosed) as err:
        raise DoorkeeperError(f"The gateway on {shown(bus)} did not answer.") from err
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
    heartbeat_fd: int = -1  # the pipe the worker's loop beats on (console.headless.watchdog)

    def command(self) -> list[str]:
        """The worker's command line."""
        return python_command(WORKER_MODULE, json.dumps(asdict(self)))

    @classmethod
    def from_command(cls, argv: list[str]) -> WorkerOptions:
        """The options a worker was started with (its arguments after the module)."""
        return cls(**json.loads(argv[0]))
