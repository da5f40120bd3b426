"""Running as a systemd service: the units pass `systemd-analyze verify`, READY and WATCHDOG
reach a real notify socket, and the watchdog stops when the supervisor's loop stalls.

The notify socket is a real AF_UNIX datagram socket, as systemd's is; systemd itself is
not running here, so `systemd-analyze verify` (Debian's systemd package) checks the units.
"""

from __future__ import annotations

import asyncio
import logging
import logging.handlers
import os
import socket
import subprocess
import tempfile

import pytest

from console.headless.systemd import JournalFormatter, Notifier
from console.headless.tasks import TaskSupervisor
from store import migrate
from tests.conftest import eventually

pytestmark = pytest.mark.both_engines


def test_the_units_pass_systemd_analyze_verify(cli, tmp_path):
    master, slave = os.openpty()  # a serial port the config names (DeviceAllow)
    try:
        port = os.ttyname(slave)
        config = tmp_path / "doorkeeper.toml"
        config.write_text(f'[store]\npath = "/srv/doors/doorkeeper.db"\n'
                          f'[ssh]\nlisten = "0.0.0.0:22"\n'
                          f'[[osdp]]\nport = "{port}"\n[[osdp.reader]]\naddress = 1\n'
                          f'device = 1\n')
        done = cli("service", "install", "--config", str(config), "--dir", str(tmp_path / "u"),
                   "--keep", "9")
        assert done.returncode == 0, done.stderr
        units = sorted((tmp_path / "u").iterdir())
        assert [u.name for u in units] == ["doorkeeper-backup.service",
                                           "doorkeeper-backup.timer",
                                           "doorkeeper-gateway.service",
                                           "doorkeeper-serve.service"]
        checked = subprocess.run(["systemd-analyze", "verify", *map(str, units)],
                                 capture_output=True, text=True, timeout=60)
        assert checked.returncode == 0 and str(tmp_path) not in checked.stderr, checked.stderr
        gateway = (tmp_path / "u" / "doorkeeper-gateway.service").read_text()
        serve = (tmp_path / "u" / "doorkeeper-serve.service").read_text()
        backup = (tmp_path / "u" / "doorkeeper-backup.service").read_text()
    finally:
        os.close(master)
        os.close(slave)
    for line in ("Type=notify", "WatchdogSec=30", "Restart=on-failure", "User=doorkeeper",
                 "StateDirectory=doorkeeper", "ConfigurationDirectory=doorkeeper",
                 "LogsDirectory=doorkeeper", "NoNewPrivileges=yes", "ProtectSystem=strict",
                 "ProtectHome=yes", "PrivateTmp=yes", "SupplementaryGroups=dialout",
                 f"DeviceAllow={port} rw", "ReadWritePaths=/srv/doors",
                 f"--config {config}"):
        assert line in gateway and line in serve, line
    assert "RestrictAddressFamilies=AF_UNIX\n" in gateway
    assert "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" in serve
    assert "AmbientCapabilities=CAP_NET_BIND_SERVICE" in serve  # port 22
    assert "AmbientCapabilities" not in gateway
    assert "--keep 9" in backup and "DeviceAllow" not in backup


@pytest.mark.parametrize("args, message", [
    (("--user", "Root;rm"), "--user must be a system user name"),
    (("--keep", "0"), "--keep must be 1 to 1000"),
])
def test_bad_install_options_are_refused_and_write_nothing(cli, tmp_path, args, message):
    done = cli("service", "install", "--config", str(tmp_path / "none.toml"),
               "--dir", str(tmp_path / "u"), *args)
    assert done.returncode == 2 and message in done.stderr
    assert not (tmp_path / "u").exists()


@pytest.fixture
def notify_socket(monkeypatch):
    """A datagram socket standing in for systemd's, named by NOTIFY_SOCKET (watchdog: 0.2 s,
    so WATCHDOG=1 is due every 0.1 s)."""
    folder = tempfile.mkdtemp(prefix="dk-notify-", dir="/tmp")
    path = os.path.join(folder, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    monkeypatch.setenv("WATCHDOG_USEC", "200000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    received: list[str] = []

    def read() -> list[str]:
        while True:
            try:
                received.extend(sock.recv(4096).decode().split("\n"))
            except BlockingIOError:
                return received
    yield read
    sock.close()
    os.unlink(path)
    os.rmdir(folder)


async def test_the_watchdog_follows_the_supervisors_loop_and_stops_when_it_stalls(
        notify_socket):
    notifier = Notifier()
    assert "NOTIFY_SOCKET" not in os.environ  # children do not inherit it
    stall = asyncio.Event()
    held = asyncio.Event()

    async def restart() -> None:  # a restart that never returns holds the check loop
        held.set()
        await asyncio.Event().wait()

    sup = TaskSupervisor(lambda name, why: None, interval=0.02)
    sup.after_check = notifier.alive
    sup.watch("part", lambda: not stall.is_set(), restart)
    sup.parts["part"].backoff = 0.0  # restarted at once once found dead
    await sup.start()
    try:
        await eventually(lambda: notify_socket().count("WATCHDOG=1") >= 3)
        stall.set()
        await asyncio.wait_for(held.wait(), 3)
        before = notify_socket().count("WATCHDOG=1")
        await asyncio.sleep(0.5)  # five watchdog intervals: none may come
        assert notify_socket().count("WATCHDOG=1") == before
    finally:
        await sup.stop(timeout=1)


async def test_the_gateway_says_ready_then_stopping(notify_socket, store):
    from console.headless.gateway import Gateway, GatewayOptions
    from core.config import Config
    from tests.conftest import reopen
    from tests.test_gateway import short_socket

    config = Config()
    config.bus.path = short_socket()
    gateway = Gateway(config, await reopen(store), GatewayOptions())
    await gateway.start()
    try:
        lines = await eventually(lambda: "WATCHDOG=1" in notify_socket() and notify_socket())
        assert "READY=1" in lines
        assert lines.index("READY=1") < len(lines) - 1
    finally:
        await gateway.stop()
    assert notify_socket()[-1] == "STOPPING=1"


@pytest.mark.parametrize("level, prefix", [
    (logging.ERROR, "<3>"), (logging.WARNING, "<4>"), (logging.INFO, "<6>"),
    (logging.CRITICAL, "<2>"),
])
def test_journal_lines_carry_a_priority_and_no_time(level, prefix):
    formatter = JournalFormatter(logging.Formatter("%(name)s: %(message)s"))
    record = logging.LogRecord("store.events", level, __file__, 1, "two\nlines", None, None)
    assert formatter.format(record) == f"{prefix}store.events: two\n{prefix}lines"


def test_logs_go_to_the_journal_under_systemd_else_to_a_rotated_file(tmp_path, monkeypatch):
    import sys

    from console.headless.systemd import log_to_journal_or_file
    from core.text import PlainFormatter

    root = logging.getLogger()
    saved = list(root.handlers)
    stream = logging.StreamHandler(sys.stderr)
    root.handlers = [stream]
    try:
        st = os.fstat(sys.stderr.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino}")
        assert log_to_journal_or_file(tmp_path / "g.log", PlainFormatter) == "the journal"
        assert isinstance(stream.formatter, JournalFormatter)
        assert not (tmp_path / "g.log").exists()
        monkeypatch.setenv("JOURNAL_STREAM", "1:2")  # another stream: not ours
        root.handlers = [stream]
        assert log_to_journal_or_file(tmp_path / "g.log", PlainFormatter) == str(
            tmp_path / "g.log")
        rotating = root.handlers[-1]
        assert isinstance(rotating, logging.handlers.RotatingFileHandler)
        assert rotating.maxBytes == 10 << 20 and rotating.backupCount == 5
        rotating.close()
    finally:
        root.handlers = saved


def test_version_names_the_release_and_the_schema(cli):
    done = cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"doorkeeper 0.1.0 (store schema {migrate.HEAD})"
