"""`doorkeeper status`: one line per part, OK/WARN/FAIL, exit 0/1/2 (the Nagios convention).

A real gateway on a real bus and store; the time service is a script named timedatectl
on PATH (the real subprocess path); serve's status file is written as serve writes it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import time

import pytest

from console.headless.supervisor import status_path
from core.config import Config
from store.backup import take_backup
from store.database import Store
from tests.cli_inprocess import run_cli
from tests.test_gateway import short_socket

PARTS = ["gateway", "drivers", "store", "bus", "ssh workers", "backups", "clock"]


@pytest.fixture
def time_service(tmp_path, monkeypatch):
    """`timedatectl` answering as the test says (PATH keeps sh and the rest)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}:{os.environ['PATH']}")

    def says(answer: str) -> None:
        script = folder / "timedatectl"
        script.write_text(f"#!/bin/sh\necho {answer}\n")
        script.chmod(0o755)
    return says


def parts(out: str) -> dict[str, tuple[str, str]]:
    data = json.loads(out)
    return {p["part"]: (p["state"], p["detail"]) for p in data["parts"]}


async def test_everything_ok_with_a_gateway_a_backup_and_a_synchronised_clock(
        store, tmp_path, capfd, time_service):
    from console.headless.gateway import Gateway, GatewayOptions

    time_service("yes")
    take_backup(store.where, folder=tmp_path / "backups")
    config = Config()
    config.bus.path = short_socket()
    gateway = Gateway(config, await Store.open(path=store.where), GatewayOptions())
    await gateway.start()
    try:
        done = await asyncio.to_thread(run_cli, capfd, "status", "--db", store.where,
                                       "--bus", config.bus.path, "--json")
        text = await asyncio.to_thread(run_cli, capfd, "status", "--db", store.where,
                                       "--bus", config.bus.path)
    finally:
        await gateway.stop()
    assert done.returncode == 0, done.stdout
    found = parts(done.stdout)
    assert list(found) == PARTS
    assert {state for state, _ in found.values()} == {"OK"}
    assert found["clock"] == ("OK", "synchronised (timedatectl)")
    lines = text.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["gateway", "drivers", "store", "bus", "ssh",
                                                  "backups", "clock"]
    assert text.returncode == 0


def test_no_gateway_no_backup_and_an_unsynchronised_clock_fail(cli, store, time_service):
    time_service("no")
    with sqlite3.connect(store.where) as con:  # a reader the gateway reported offline
        con.execute("INSERT INTO alarms (event_id, site_id, kind, raised_at, device_id, note) "
                    "VALUES (1, 1, 'Device offline', '2026-12-01 10:00:00.000000', 7, '')")
        con.execute("INSERT INTO alarms (event_id, site_id, kind, raised_at, note) "
                    "VALUES (2, 1, 'Events set aside', '2026-12-01 10:00:00.000000', '')")
    done = cli("status", "--db", store.where, "--json")
    assert done.returncode == 2
    found = parts(done.stdout)
    assert found["gateway"][0] == "FAIL" and found["bus"][0] == "FAIL"
    assert found["drivers"] == ("WARN", "1 'Device offline'")
    assert found["backups"][0] == "WARN" and "no backup" in found["backups"][1]
    assert found["clock"][0] == "FAIL" and "timedatectl says" in found["clock"][1]
    assert found["store"] == ("WARN", "1 'Events set aside' alarm(s) not acknowledged")


@pytest.mark.parametrize("status, state, says", [
    (None, "OK", "serve is not running here"),
    ({"pid": "self", "at": "now", "workers": 2, "alive": 2}, "OK", "2 of 2 workers up"),
    ({"pid": "self", "at": "now", "workers": 2, "alive": 1}, "WARN", "1 of 2 workers up"),
    ({"pid": "self", "at": -60, "workers": 2, "alive": 2}, "FAIL", "has not looked"),
    ({"pid": "gone", "at": "now", "workers": 2, "alive": 2}, "FAIL", "is gone"),
])
def test_the_ssh_workers_line_reads_serves_status(cli, store, status, state, says):
    if status is not None:
        gone = 2 ** 22 + 1  # above the kernel's pid_max default: no such process
        status = {**status, "pid": os.getpid() if status["pid"] == "self" else gone,
                  "at": time.time() + (0 if status["at"] == "now" else status["at"]),
                  "listen": "127.0.0.1:2222"}
        status_path(store.where).write_text(json.dumps(status))
    found = parts(cli("status", "--db", store.where, "--json").stdout)
    assert found["ssh workers"][0] == state and says in found["ssh workers"][1]


@pytest.mark.parametrize("written", [
    '{"pid": "abc", "at": 1}', "[1, 2]", '{"pid": 1e400, "at": 0}', '{"pid": -1, "at": 0}',
    '{"pid": 1, "at": "nan"}', '{"pid": 99999999999999999999, "at": 0}', "garbage",
])
def test_a_serve_status_that_is_not_one_is_a_fail_not_a_traceback(cli, store, written):
    """A status file cut short, or written by something else: each was a traceback
    (ValueError, AttributeError, OverflowError), and pid -1 asked about every process."""
    status_path(store.where).write_text(written)
    out = cli("status", "--db", store.where, "--json")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    state, detail = parts(out.stdout)["ssh workers"]
    assert state == "FAIL" and detail.endswith("cannot be read: not serve's status")
