"""No orphans: the children of `doorkeeper serve` (its gateway and SSH workers) and of
`doorkeeper console` (the gateway it started) end when their parent is killed with
SIGKILL, which no handler of the parent can see. Real processes throughout; the console
runs on a pseudo-terminal from os.openpty."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.test_child_processes import short_socket

GONE_WITHIN_S = 5.0


def children_of(pid: int) -> list[int]:
    """The live child processes of `pid`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def wait_for_children(pid: int, count: int, timeout: float = 90) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = children_of(pid)
        if len(kids) >= count:
            return kids
        time.sleep(0.1)
    raise AssertionError(f"{pid} has {children_of(pid)} children, not {count}")


def assert_gone(pids: list[int]) -> float:
    start = time.monotonic()
    while any(alive(p) for p in pids):
        assert time.monotonic() - start < GONE_WITHIN_S, \
            f"still running {GONE_WITHIN_S} s after the parent was killed: " \
            f"{[p for p in pids if alive(p)]}"
        time.sleep(0.05)
    return time.monotonic() - start


def test_serve_killed_with_sigkill_takes_its_gateway_and_workers_with_it(store, estate):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    serve = subprocess.Popen(
        [sys.executable, "-P", "-m", "console.cli", "serve", "--db", store.where,
         "--bus", short_socket(), "--listen", f"127.0.0.1:{port}", "--workers", "2"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    kids: list[int] = []
    try:
        for line in serve.stdout:
            if line.startswith("Serving"):
                break
        kids = wait_for_children(serve.pid, 3)  # the gateway and two workers
        serve.kill()
        serve.wait()
        assert_gone(kids)
    finally:
        for pid in kids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def console_on_a_pty(store) -> tuple[int, subprocess.Popen]:
    """`doorkeeper console` on a new pseudo-terminal (not its controlling terminal, as
    start_new_session leaves it), read until it has drawn its screen (the gateway answered).
    Returns the pty's master side and the process."""
    main, sub = os.openpty()
    console = subprocess.Popen(
        [sys.executable, "-P", "-m", "console.cli", "console", "--db", store.where],
        stdin=sub, stdout=sub, stderr=sub, start_new_session=True,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"})
    os.close(sub)
    deadline = time.monotonic() + 90
    seen = b""
    while b"Alarms" not in seen and time.monotonic() < deadline:
        if select.select([main], [], [], 0.2)[0]:
            try:
                seen += os.read(main, 65536)
            except OSError:
                break
    if b"Alarms" not in seen:
        console.kill()
        os.close(main)
        raise AssertionError(seen[-500:])
    return main, console


def test_a_console_killed_with_sigkill_takes_the_gateway_it_started_with_it(store, estate):
    main, console = console_on_a_pty(store)
    kids: list[int] = []
    try:
        kids = wait_for_children(console.pid, 1)  # the gateway it started
        console.kill()
        console.wait()
        assert_gone(kids)
        log = Path(store.where).with_suffix(".gateway.log").read_text(encoding="utf-8")
        assert "every event durable" in log, log  # it stopped as on SIGTERM
    finally:
        os.close(main)
        for pid in kids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_console_whose_terminal_is_closed_ends_and_stops_its_gateway(store, estate):
    """The terminal goes (its other side closed) and no SIGHUP reaches the console, as
    when `make run`'s pane is killed: the console closes as if the operator had quit
    (console.terminal_watch), and the gateway it started stops with every event stored."""
    main, console = console_on_a_pty(store)
    kids: list[int] = []
    try:
        kids = wait_for_children(console.pid, 1)
        os.close(main)  # the terminal window is closed
        main = -1
        assert console.wait(timeout=GONE_WITHIN_S + 5) is not None
        assert_gone(kids)
        log = Path(store.where).with_suffix(".gateway.log").read_text(encoding="utf-8")
        assert "every event durable" in log, log
    finally:
        if main >= 0:
            os.close(main)
        for pid in [console.pid, *kids]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
