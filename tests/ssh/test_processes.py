"""A process per session, end to end against a running `doorkeeper serve`
(tests/ssh/conftest.py): each console is a process of its own, forked by its worker's
zygote; it ends when its client goes and when its worker is killed (last here: the
worker is started again meanwhile); and one hostile session cannot slow down another
(the canary)."""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import threading
import time
from pathlib import Path

from core.config import SSHConfig
from tests.ssh.conftest import Served
from tests.ssh.test_serve import Tmux, open_console, plain, wait_for
from tests.test_orphans import GONE_WITHIN_S, alive, children_of


def zygotes(served: Served) -> list[int]:
    """The zygotes of this server's workers (tests here share one server; other servers
    on the machine, another test process's or a benchmark's, have zygotes too)."""
    workers = children_of(served.proc.pid)
    found = []
    for worker in workers:
        for pid in children_of(worker):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"console.ssh.zygote" in command and alive(pid):
                found.append(pid)
    return found


def session_pids(served: Served) -> set[int]:
    return {pid for z in zygotes(served) for pid in children_of(z)}


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


async def gone(pids: list[int]) -> None:
    """Every one of `pids` has ended, within GONE_WITHIN_S (the loop runs meanwhile: a
    client's closed socket is only closed by its loop)."""
    deadline = time.monotonic() + GONE_WITHIN_S
    while any(alive(p) for p in pids):
        assert time.monotonic() < deadline, [p for p in pids if alive(p)]
        await asyncio.sleep(0.05)


async def new_session(served: Served, source: str, before: set[int]) -> tuple:
    """A console over asyncssh, on screen, and its session process."""
    opened = await open_console(served, source, username=served.estate.admin,
                                client_keys=[str(served.key)])
    screen = opened[2]
    deadline = time.monotonic() + 30
    while "Block C" not in screen.text_since(0) or not session_pids(served) - before:
        assert time.monotonic() < deadline, "the console did not open"
        await asyncio.sleep(0.05)
    (pid,) = session_pids(served) - before
    return (*opened, pid)


async def test_a_session_process_ends_when_its_client_disconnects(served: Served):
    conn, _, _, reader, pid = await new_session(served, "127.0.0.21", session_pids(served))
    assert os.getpgid(pid) == pid == os.getsid(pid)  # its own session, on its own pty
    assert Path(f"/proc/{pid}/fd/0").resolve().as_posix().startswith("/dev/pts/")
    conn.abort()  # the client vanishes
    reader.cancel()
    await gone([pid])


def attack(served: Served, stop: threading.Event) -> None:
    """The hostile session, on its own thread and loop (its client's cost is not the
    canary's): a megabyte of random bytes, a 10000x10000 window, 500 resizes in 5 s."""
    async def run() -> None:
        conn, process, _, reader = await open_console(
            served, "127.0.0.25", username=served.estate.admin, client_keys=[str(served.key)])
        try:
            data = os.urandom(1 << 20)  # its own console may take some of it as "quit": fair
            for i in range(0, len(data), 1 << 16):
                process.stdin.write(data[i:i + (1 << 16)])
                await process.stdin.drain()
            process.change_terminal_size(10000, 10000)
            for n in range(500):
                process.change_terminal_size(60 + n % 100, 20 + n % 40)
                await asyncio.sleep(0.01)
            while not stop.is_set():
                await asyncio.sleep(0.05)
        finally:
            conn.close()
            reader.cancel()
    asyncio.run(run())


def type_20000(served: Served) -> None:
    """Real OpenSSH under tmux, typing 20,000 characters into search."""
    typist = Tmux(served.ssh(served.estate.admin, source="127.0.0.26"))
    try:
        wait_for(lambda: "Block C" in typist.screen(), what="the typist's console")
        typist.keys("/")
        for _ in range(20):
            typist.keys("-l", "k" * 1000)
    finally:
        typist.close()


async def test_a_hostile_session_does_not_slow_down_the_canary(served: Served):
    canary = await new_session(served, "127.0.0.23", session_pids(served))
    bystander = await new_session(served, "127.0.0.24", session_pids(served))
    _, process, screen, _, _ = canary

    async def canary_keys(count: int) -> list[float]:
        """The canary switches tabs and waits to see each one (Events first: it opens
        on Blocks, and a key that changes nothing draws nothing)."""
        delays = []
        for n in range(count):
            key, shown = ("5", "Date & time") if n % 2 == 0 else ("1", "Block C")
            offset, started = len(screen.out), time.monotonic()
            process.stdin.write(key.encode())
            while shown not in plain(screen.text_since(offset)):
                assert time.monotonic() - started < 10, f"the canary's key {key} got no screen"
                await asyncio.sleep(0.005)
            delays.append(time.monotonic() - started)
            await asyncio.sleep(0.1)
        return delays

    calm = await canary_keys(10)  # this machine as it is now, nobody hostile
    stop = threading.Event()
    attacker = asyncio.create_task(asyncio.to_thread(attack, served, stop))
    typing = asyncio.create_task(asyncio.to_thread(type_20000, served))
    try:
        delays = await canary_keys(30)
        await typing
    finally:
        stop.set()
        await attacker
    # Every key got its screen (within 10 s, above), and typically fast: a worker whose
    # loop the attack held (the old in-process design) answered in seconds to minutes.
    # How fast (p95 <= 200 ms) is measured by bench_ssh_sessions, not here: a CI machine
    # running the rest of the suite beside this test makes single keys slow at times.
    assert statistics.median(delays) < max(1.0, 2.5 * statistics.median(calm)), (
        f"calm: {' '.join(f'{d:.2f}' for d in calm)}; "
        f"under attack: {' '.join(f'{d:.2f}' for d in delays)}")
    for conn, process_, _, reader, pid in (canary, bystander):
        assert process_.exit_status is None and alive(pid)  # nobody was dropped
        conn.close()
        reader.cancel()


async def test_a_killed_worker_takes_its_session_processes_with_it(served: Served):
    conn, _, _, reader, pid = await new_session(served, "127.0.0.22", session_pids(served))
    zygote = parent_of(pid)
    worker = parent_of(zygote)
    log = served.db.with_suffix(".serve.log")
    listening = log.read_text().count(" listening on ")
    os.kill(worker, signal.SIGKILL)
    try:
        await gone([pid, zygote])
    finally:
        conn.close()
        reader.cancel()
    # the supervisor starts the worker again, its zygote warm, for the tests after this
    wait_for(lambda: log.read_text().count(" listening on ") > listening,
             what="the worker to be started again")


def nice_of(pid: int, tid: int) -> int:
    stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(stat[16])


NICE = SSHConfig().session_nice  # what the served fixture's config leaves as it is


def autogroup_nice(pid: int) -> int | None:
    """The nice of a process's scheduling group ("/autogroup-42 nice 5"); None on a
    kernel without autogroups."""
    try:
        return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])
    except OSError:
        return None


async def test_a_console_runs_below_the_gateway_once_it_is_up(served: Served):
    """[ssh] session_nice (10 by default): every thread of a session's process, once its first frame
    is drawn (it starts at the workers' priority, ahead of consoles drawing live events),
    and its terminal session's scheduling group, which is what the kernel ranks against
    the server and the other sessions where autogroups are on."""
    conn, _, _, reader, pid = await new_session(served, "127.0.0.25", session_pids(served))
    try:
        deadline = time.monotonic() + 10
        while True:
            nices = {nice_of(pid, int(t)) for t in os.listdir(f"/proc/{pid}/task")}
            group = autogroup_nice(pid)
            if nices == {NICE} and group in (NICE, None):
                break
            assert time.monotonic() < deadline, (nices, group)
            await asyncio.sleep(0.05)
    finally:
        conn.close()
        reader.cancel()
