"""`doorkeeper serve`'s supervisor: the gateway process, then N SSH worker processes
sharing one port (SO_REUSEPORT). A worker that dies is started again; a gateway that
dies is started again (the workers' sessions say it is away, then find it again).
Every child holds a lifeline to this process (console.headless.children): killed, even
with SIGKILL, it takes its gateway and workers with it. SIGTERM/SIGINT/SIGHUP stop the workers (each session gets a line), then the
gateway (every event durable). A gateway already answering on the bus is used as it
is (neither watched nor stopped). A worker or gateway that is alive but stuck (no
heartbeat, no answer on the bus: console.headless.watchdog) is killed and started again.
The supervisor renders nothing and decides nothing; its log lines go to the serve log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import asyncssh

from console.headless.bus.connect import shown
from console.headless.children import (
    WorkerOptions,
    gateway_answers,
    release,
    spawn,
    start_gateway,
    stop_gateway,
    wait_for_bus,
)
from console.headless.systemd import Notifier
from console.headless.throttle import TokenBucket, serve_bucket
from console.headless.watchdog import Watchdog, serve_log
from core.config import Config
from core.errors import ConfigError, DoorkeeperError

log = logging.getLogger(__name__)

#: a worker that dies sooner than this after its start is restarted with a pause
QUICK_DEATH = 5.0
#: this many quick deaths in a row and serve gives up (a broken config, a taken port)
MAX_QUICK_DEATHS = 5


def status_path(db: str) -> Path:
    """serve's status beside the store, rewritten at every watch pass (`doorkeeper status`)."""
    return Path(db).with_suffix(".serve.status")


def host_key_path(config: Config, db: str) -> Path:
    """The host key: as the config says, else beside the database."""
    return Path(config.ssh.host_key or Path(db).with_suffix(".ssh_host_ed25519_key"))


#: an ed25519 private key file is under 1 KB; RSA's a few
HOST_KEY_MAX = 64 * 1024


def ensure_host_key(path: Path) -> str:
    """Generate an ed25519 host key on first start (mode 0600) and keep it; its fingerprint."""
    if path.exists():
        try:
            with open(path, "rb") as f:  # a bounded read: /dev/zero never ends
                data = f.read(HOST_KEY_MAX + 1)
            if len(data) > HOST_KEY_MAX:
                raise asyncssh.KeyImportError("larger than a private key file")
            key = asyncssh.import_private_key(data)
        except (OSError, asyncssh.KeyImportError) as err:
            why = err.strerror if isinstance(err, OSError) and err.strerror else err
            raise ConfigError(f"The host key {path} cannot be read: {why}.") from err
        return key.get_fingerprint()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = asyncssh.generate_private_key("ssh-ed25519", comment="doorkeeper host key")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key.export_private_key())
    path.with_name(path.name + ".pub").write_bytes(key.export_public_key())
    log.info("generated the host key %s", path)
    return key.get_fingerprint()


@dataclass
class WorkerProc:
    """One worker process and when it started."""

    number: int
    proc: subprocess.Popen
    started: float = field(default_factory=time.monotonic)


class Supervisor:
    """Starts and watches the gateway and the workers."""

    def __init__(self, config: Config, *, db: str, config_path: str | None,
                 simulate: bool, rate: float | None, workers: int, log_path: str) -> None:
        self.config = config
        self.db = db
        self.config_path = config_path
        self.simulate = simulate
        self.rate = rate
        self.count = workers
        self.log_path = log_path
        self.gateway: subprocess.Popen | None = None
        self.own_gateway = True
        self.workers: list[WorkerProc] = []
        self.quick_deaths = 0
        self.stopping = asyncio.Event()
        #: one bucket per client address for all workers (they ask over a socket pair)
        self.bucket = TokenBucket(config.ssh.rate_burst, config.ssh.rate_per_minute)
        self._bucket_tasks: set[asyncio.Task] = set()
        self.watchdog = Watchdog(config.ssh.stuck_after, config.bus.path)
        #: systemd's notify socket: READY once serving, WATCHDOG=1 after each watch pass
        self.notifier = Notifier()

    def options(self) -> WorkerOptions:
        return WorkerOptions(
            db=self.db, bus=self.config.bus.path, ssh=asdict(self.config.ssh),
            store=asdict(self.config.store),
            host_key=str(host_key_path(self.config, self.db)), workers=self.count,
            log=self.log_path)

    async def start_gateway(self) -> None:
        """Start the gateway, unless one already answers on the bus (then use that one)."""
        if self.gateway is None:
            try:
                await wait_for_bus(self.config.bus.path, None, gateway_answers)
            except DoorkeeperError:
                pass
            else:
                self.own_gateway = False
                log.warning("using the gateway already running on %s",
                            shown(self.config.bus.path))
                return
        self.own_gateway = True
        self.gateway = start_gateway(self.db, self.config.bus.path, self.config_path,
                                     self.simulate, self.rate)
        await wait_for_bus(self.config.bus.path, self.gateway, gateway_answers)
        self.watchdog.gateway_started()

    async def start_worker(self, number: int) -> WorkerProc:
        """Start one worker and wait until it listens."""
        read_fd, write_fd = os.pipe()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        options = self.options()
        options.ready_fd, options.throttle_fd = write_fd, theirs.fileno()
        options.heartbeat_fd = self.watchdog.pipe(number)
        with open(self.log_path, "a", encoding="utf-8") as log_file:
            proc = spawn(options.command(), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=log_file,
                         pass_fds=(write_fd, theirs.fileno(), options.heartbeat_fd))
        os.close(write_fd)
        os.close(options.heartbeat_fd)
        theirs.close()
        task = asyncio.get_running_loop().create_task(serve_bucket(self.bucket, ours))
        self._bucket_tasks.add(task)
        task.add_done_callback(self._bucket_tasks.discard)
        try:
            loop = asyncio.get_running_loop()
            async with asyncio.timeout(60):
                answer = await loop.run_in_executor(None, os.read, read_fd, 16)
        except TimeoutError:
            answer = b""
        finally:
            os.close(read_fd)
        if not answer.startswith(b"ready"):
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait()
            release(proc)
            raise DoorkeeperError(f"An SSH worker could not start; see {self.log_path}.")
        self.watchdog.worker_started(number)
        return WorkerProc(number, proc)

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(sig, self.stopping.set)
        handler = serve_log(self.log_path)
        try:
            await self.start_gateway()
            self.workers = list(await asyncio.gather(
                *(self.start_worker(n) for n in range(self.count))))
            host = self.config.ssh.listen
            print(f"Serving the console over SSH on {host} ({self.count} worker"
                  f"{'s' * (self.count != 1)}); log: {self.log_path}", flush=True)
            self.notifier.ready(f"serving on {host} with {self.count} workers")
            while not self.stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.5):
                        await self.stopping.wait()
                if not self.stopping.is_set():
                    await self.watch()
                    self.write_status()
                    self.notifier.alive()
        finally:
            self.notifier.stopping()
            status_path(self.db).unlink(missing_ok=True)
            try:
                await self.stop()
            finally:
                self.watchdog.close()
                logging.getLogger().removeHandler(handler)
                handler.close()
        print("Stopped: every session closed, every event in the store.", flush=True)
        return 0

    async def watch(self) -> None:
        """Start again what died or is stuck: the gateway first, then the workers."""
        await self.kill_stuck()
        if self.gateway is not None and self.gateway.poll() is not None:
            log.error("the gateway stopped (exit %s); starting it again",
                      self.gateway.returncode)
            release(self.gateway)
            await self.start_gateway()
        for n, worker in enumerate(self.workers):
            if worker.proc.poll() is None or self.stopping.is_set():
                continue
            lived = time.monotonic() - worker.started
            log.error("SSH worker %d stopped (exit %s) after %.0f s; starting it again",
                      worker.number, worker.proc.returncode, lived)
            release(worker.proc)
            if lived < QUICK_DEATH:
                self.quick_deaths += 1
                if self.quick_deaths >= MAX_QUICK_DEATHS:
                    raise DoorkeeperError(f"SSH workers keep stopping; see {self.log_path}.")
                await asyncio.sleep(min(5.0, 0.5 * 2 ** self.quick_deaths))
            else:
                self.quick_deaths = 0
            self.workers[n] = await self.start_worker(worker.number)
        await self.watchdog.send_reports()

    def write_status(self) -> None:
        """What `doorkeeper status` reads: this process, its workers, when it last looked."""
        path = status_path(self.db)
        status = {"pid": os.getpid(), "at": time.time(), "workers": self.count,
                  "alive": sum(1 for w in self.workers if w.proc.poll() is None),
                  "listen": self.config.ssh.listen}
        try:
            path.with_suffix(".tmp").write_text(json.dumps(status), encoding="utf-8")
            os.replace(path.with_suffix(".tmp"), path)
        except OSError as err:
            log.warning("could not write %s: %s", path, err.strerror)

    async def kill_stuck(self) -> None:
        """Kill a gateway or worker that is alive but stuck; `watch` starts it again."""
        loop = asyncio.get_running_loop()
        silent = self.watchdog.gateway_silence()
        if self.gateway is not None and self.gateway.poll() is None and silent is not None:
            log.error("the gateway (pid %d) is stuck: no answer on the bus for %.1f s; "
                      "killing it", self.gateway.pid, silent)
            self.watchdog.report(f"The gateway was stuck (no answer for {silent:.0f} s) and "
                                 f"was restarted; see {self.log_path}.")
            await loop.run_in_executor(None, stop_gateway, self.gateway, 2.0)
        for worker in self.workers:
            silent = self.watchdog.worker_silence(worker.number)
            if worker.proc.poll() is None and silent is not None:
                log.error("SSH worker %d (pid %d) is stuck: no heartbeat for %.1f s; "
                          "killing it (its sessions end)", worker.number, worker.proc.pid,
                          silent)
                self.watchdog.report(f"SSH worker {worker.number} was stuck (no heartbeat for "
                                     f"{silent:.0f} s) and was restarted; its sessions ended. "
                                     f"See {self.log_path}.")
                worker.proc.kill()
                await loop.run_in_executor(None, worker.proc.wait)

    async def stop(self) -> None:
        """Workers first (sessions are told), then the gateway (events flushed)."""
        for worker in self.workers:
            with contextlib.suppress(ProcessLookupError):
                worker.proc.send_signal(signal.SIGTERM)
        loop = asyncio.get_running_loop()
        for worker in self.workers:
            try:
                await loop.run_in_executor(None, worker.proc.wait, 10)
            except subprocess.TimeoutExpired:
                worker.proc.kill()
                worker.proc.wait()
            release(worker.proc)
        self.workers = []
        await loop.run_in_executor(None, stop_gateway, self.gateway)
        self.gateway = None
