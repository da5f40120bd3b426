"""The worker's side of its zygote (console.ssh.zygote): start it, ask it for session
processes, signal them, hear how they ended.

The zygote is the worker's child (started with a lifeline, console.headless.children),
so it never outlives the worker; one that dies is started again for the next session
(the sessions it held end with it: their processes get SIGHUP).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import pickle
import socket
import subprocess
from collections.abc import Callable
from dataclasses import asdict

from console.headless.children import WorkerOptions, python_command, release, spawn
from console.ssh.zygote import (
    CONTROL_ENV,
    MESSAGE_MAX,
    STOP_GRACE,
    ZYGOTE_MODULE,
    SessionRequest,
    send,
)
from core.errors import DoorkeeperError

log = logging.getLogger(__name__)

#: how long the zygote may take to import everything and say it is ready
READY_TIMEOUT = 60.0


class ZygoteClient:
    """One worker's zygote."""

    def __init__(self, options: WorkerOptions) -> None:
        self.options = options
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self._tokens = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[int]] = {}
        self._exits: dict[int, Callable[[int], object]] = {}
        self._lock = asyncio.Lock()
        self._starting: asyncio.Task[None] | None = None

    def start_soon(self) -> None:
        """Start the zygote in the background (the worker listens meanwhile: logins are
        checked while it warms up; the first sessions wait for it)."""
        self._starting = asyncio.get_running_loop().create_task(self._start_once())
        self._starting.add_done_callback(_log_start_failure)

    async def _start_once(self) -> None:
        async with self._lock:
            if not self.alive:
                await self.start()

    async def start(self) -> None:
        """Start the zygote and wait until it has warmed up."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = spawn(python_command(ZYGOTE_MODULE, _options_json(self.options)),
                              pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                              env={**os.environ, CONTROL_ENV: str(theirs.fileno())})
        finally:
            theirs.close()
        mine.setblocking(False)
        loop = asyncio.get_running_loop()
        try:
            data = await asyncio.wait_for(loop.sock_recv(mine, MESSAGE_MAX), READY_TIMEOUT)
        except (TimeoutError, OSError):
            data = b""
        except asyncio.CancelledError:
            mine.close()
            raise
        if not data or pickle.loads(data)[0] != "ready":
            mine.close()
            self._reap()
            raise DoorkeeperError("The session zygote did not start; see the serve log.")
        self.sock = mine
        loop.add_reader(mine, self._on_message)

    @property
    def alive(self) -> bool:
        return self.sock is not None

    async def open(self, request: SessionRequest, fds: list[int],
                   on_exit: Callable[[int], object]) -> int:
        """Fork a session process that gets `fds` (its pty slave and control socket);
        its pid. `on_exit(status)` is called once it has ended."""
        await self._start_once()
        assert self.sock is not None
        token = next(self._tokens)
        request.token = token
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting[token] = future
        try:
            send(self.sock, ("open", request), fds)
            pid = await asyncio.wait_for(future, READY_TIMEOUT)
        finally:
            self._waiting.pop(token, None)
        self._exits[pid] = on_exit
        return pid

    def kill(self, pid: int, sig: int) -> None:
        """Signal a session process (through the zygote: never a reaped pid)."""
        if self.sock is not None and pid in self._exits:
            with contextlib.suppress(OSError):
                send(self.sock, ("kill", pid, sig))

    def _on_message(self) -> None:
        assert self.sock is not None
        try:
            data = self.sock.recv(MESSAGE_MAX)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._lost()
            return
        message = pickle.loads(data)
        if message[0] == "started":
            future = self._waiting.get(message[1])
            if future is not None and not future.done():
                future.set_result(message[2])
        elif message[0] == "exited":
            callback = self._exits.pop(message[1], None)
            if callback is not None:
                callback(message[2])

    def _lost(self) -> None:
        """The zygote died: its sessions died with it (SIGHUP); the next one starts anew."""
        log.error("the session zygote stopped (exit %s); its sessions ended",
                  self.proc.poll() if self.proc else None)
        self.close()
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(DoorkeeperError("The session zygote stopped."))
        exits, self._exits = self._exits, {}
        for callback in exits.values():
            callback(-1)

    def close(self) -> None:
        """Stop the zygote (its sessions end with it): a ready one ends its sessions and
        exits when its socket closes; one still warming up is told with SIGTERM."""
        if self._starting is not None:
            self._starting.cancel()
        ready = self.sock is not None
        if self.sock is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self.sock)
            self.sock.close()
            self.sock = None
        if not ready and self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
        self._reap()

    def _reap(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=STOP_GRACE + 1)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        release(self.proc)
        self.proc = None


def _log_start_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the session zygote did not start (the next session tries again)",
                  exc_info=task.exception())


def _options_json(options: WorkerOptions) -> str:
    import json
    return json.dumps({**asdict(options), "ready_fd": -1, "throttle_fd": -1})
