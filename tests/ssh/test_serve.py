"""`doorkeeper serve` end to end: the real OpenSSH client under tmux, and asyncssh
clients, against a running server (tests/ssh/conftest.py)."""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
import subprocess
import time
import uuid

import asyncssh
import pytest

from console.headless.bus.client import BusClient
from core.services import blocks
from core.services.base import Actor
from core.services.logins import login
from store.database import Store
from tests.ssh.conftest import Served


def audit(served: Served, action: str, source: str) -> list[tuple]:
    con = sqlite3.connect(served.db)
    try:
        return con.execute("SELECT actor, action, source FROM audit_entries WHERE action = ? "
                           "AND source = ?", (action, source)).fetchall()
    finally:
        con.close()


def wait_for(check, timeout: float = 30.0, what: str = "", shown=None) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}"
                                 + (f"; the screen:\n{shown()}" if shown else ""))
        time.sleep(0.1)


class Tmux:
    """One tmux session running a command, read with capture-pane."""

    def __init__(self, command: list[str], width: int = 100, height: int = 30) -> None:
        if not shutil.which("tmux"):
            pytest.fail("tmux is needed (.ci/run installs it)")
        self.name = f"dk-ssh-{uuid.uuid4().hex[:8]}"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", str(width), "-y",
                        str(height), " ".join(command) + "; echo SSH-EXIT $?; sleep 30"],
                       check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name],
                              capture_output=True, text=True).stdout

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def resize(self, width: int, height: int) -> None:
        subprocess.run(["tmux", "resize-window", "-t", self.name, "-x", str(width), "-y",
                        str(height)], check=True)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def top_line(tmux: Tmux) -> str:
    lines = tmux.screen().splitlines()
    return lines[0] if lines else ""


# --- the real OpenSSH client --------------------------------------------------------------
def test_openssh_key_login_console_keys_resize_quit(served: Served):
    source = "127.0.0.2"
    tmux = Tmux(served.ssh(served.estate.admin, source=source))
    try:
        wait_for(lambda: all(w in tmux.screen() for w in ("Alarms", "Demo Cases", "Blocks",
                                                          "Block C")),
                 what="the console", shown=tmux.screen)
        tmux.keys("5")  # the Events tab
        wait_for(lambda: "Date & time" in tmux.screen(), what="the Events tab", shown=tmux.screen)
        tmux.resize(80, 24)
        # the header's right edge (the alarm count) follows the new width
        wait_for(lambda: "Alarms" in top_line(tmux)
                 and 70 < len(top_line(tmux).rstrip()) <= 80, what="the resize", shown=tmux.screen)
        tmux.keys("C-q")
        wait_for(lambda: "SSH-EXIT 0" in tmux.screen(), what="ssh to end", shown=tmux.screen)
    finally:
        tmux.close()
    wait_for(lambda: audit(served, "session.logout", source), what="the logout audit")
    assert audit(served, "session.login", source) == [
        (served.estate.admin, "session.login", source)]


def test_openssh_unknown_key_is_refused(served: Served):
    source = "127.0.0.3"
    run = subprocess.run(served.ssh(served.estate.admin, "-o", "BatchMode=yes", "-t",
                                    source=source, key=served.other_key),
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 255
    assert "Permission denied" in run.stderr
    wait_for(lambda: audit(served, "session.refused", source), what="the refusal audit")
    assert not audit(served, "session.login", source)


def test_openssh_expired_operator_is_refused(served: Served):
    source = "127.0.0.4"
    run = subprocess.run(served.ssh(served.estate.expired, "-o", "BatchMode=yes", "-t",
                                    source=source),
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 255
    assert "no site whose access is current today" in run.stderr  # told once the key is proved
    wait_for(lambda: audit(served, "session.refused", source), what="the refusal audit")
    assert not audit(served, "session.login", source)


def test_openssh_without_a_pty_gets_one_line(served: Served):
    started = time.monotonic()
    run = subprocess.run(served.ssh(served.estate.admin, "-T", source="127.0.0.5"),
                         capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert run.returncode == 1
    assert run.stdout.count("\n") == 1 and "connect with a terminal" in run.stdout
    assert time.monotonic() - started < 15


# --- asyncssh clients ---------------------------------------------------------------------
class Guesser(asyncssh.SSHClient):
    """Answers every password prompt with a wrong password, counting them."""

    def __init__(self) -> None:
        self.asked = 0

    def password_auth_requested(self) -> str:
        self.asked += 1
        return f"wrong-{self.asked}"


async def connect(served: Served, source: str, **kw) -> asyncssh.SSHClientConnection:
    kw.setdefault("client_keys", None)
    return await asyncssh.connect("127.0.0.1", served.port, local_addr=(source, 0),
                                  known_hosts=None, agent_path=None, **kw)


async def test_more_than_four_wrong_passwords_close_the_connection(served: Served):
    guesser = Guesser()
    with pytest.raises((asyncssh.PermissionDenied, asyncssh.DisconnectError)):
        await connect(served, "127.0.0.6", username=served.estate.concierge,
                      client_factory=lambda: guesser)
    # the client may ask a fifth time before the disconnect reaches it: never checked
    assert guesser.asked in (4, 5)
    wait_for(lambda: len(audit(served, "session.refused", "127.0.0.6")) == 4,
             what="four refusals")
    time.sleep(0.3)
    assert len(audit(served, "session.refused", "127.0.0.6")) == 4


async def test_quick_failures_from_one_address_are_throttled(served: Served):
    source = "127.0.0.7"
    refused_at = None
    for attempt in range(1, 25):
        try:
            conn = await connect(served, source, username=served.estate.concierge_login,
                                 password="not it")
            conn.close()
        except asyncssh.PermissionDenied:
            continue  # a wrong password, checked
        except (asyncssh.DisconnectError, ConnectionError) as err:
            assert "Too many attempts" in str(err) or isinstance(err, ConnectionError)
            refused_at = attempt
            break
    assert refused_at is not None and refused_at <= 12
    # even the right password is not checked now
    with pytest.raises((asyncssh.DisconnectError, asyncssh.PermissionDenied, ConnectionError)):
        await connect(served, source, username=served.estate.concierge_login,
                      password=served.estate.password)
    # other addresses are not held up
    conn = await connect(served, "127.0.0.8", username=served.estate.concierge_login,
                         password=served.estate.password)
    conn.close()


def plain(text: str) -> str:
    """The text without escape sequences."""
    return re.sub(r"\x1b(\[[0-9;?<>=$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|.)", "", text)


class Screen:
    """The bytes one PTY session has received."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.times: list[tuple[float, int]] = []

    def text_since(self, offset: int) -> str:
        return self.out[offset:].decode("utf-8", "replace")


async def open_console(served: Served, source: str, **kw) -> tuple:
    conn = await connect(served, source, **kw)
    screen = Screen()
    process = await conn.create_process(term_type="xterm-256color", term_size=(100, 30),
                                        encoding=None)

    async def read() -> None:
        while data := await process.stdout.read(65536):
            screen.out += data

    reader = asyncio.get_running_loop().create_task(read())
    return conn, process, screen, reader


async def test_a_change_by_one_concierge_shows_in_the_other_within_a_second(served: Served):
    admin = await open_console(served, "127.0.0.9", username=served.estate.admin,
                               client_keys=[str(served.key)])
    concierge = await open_console(served, "127.0.0.10",
                                   username=served.estate.concierge_login,
                                   password=served.estate.password)
    try:
        for _, _, screen, _ in (admin, concierge):
            deadline = time.monotonic() + 30
            while "Block C" not in screen.text_since(0):
                assert time.monotonic() < deadline, "the console did not open"
                await asyncio.sleep(0.05)
        # the administrator renames the block as their console does (ctx.change): the
        # service, then a change notice to the gateway
        store = await Store.open(path=served.db, migrate=False)
        bus = await BusClient.connect(served.db.with_suffix(".sock"))
        try:
            who = await login(store.uow(), served.estate.admin, source="test")
            offsets = [len(s.out) for _, _, s, _ in (admin, concierge)]
            started = time.monotonic()
            await blocks.update_block(store.uow(), Actor(who, source="test"),
                                      served.estate.block_id, name="Block Zed")
            await bus.send({"type": "change"})
        finally:
            await bus.close()
            await store.close()
        # both sessions show the new name
        seen = {}
        while len(seen) < 2 and time.monotonic() - started < 5:
            for n, (_, _, screen, _) in enumerate((admin, concierge)):
                if n not in seen and "Block Zed" in plain(screen.text_since(offsets[n])):
                    seen[n] = time.monotonic() - started
            await asyncio.sleep(0.02)
        assert len(seen) == 2, seen
        # live, not at the next reload; the 1 s target is measured by bench_console_live
        # (a test under a loaded CI machine only proves the change travels live)
        assert max(seen.values()) < 3.0, seen
    finally:
        for conn, process, _, reader in (admin, concierge):
            process.stdin.write(b"\x11")  # ctrl+q
            conn.close()
            reader.cancel()
