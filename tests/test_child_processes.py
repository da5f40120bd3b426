"""Child processes import the installed Doorkeeper, whatever folder they start in.

A folder holding packages named like ours (a Django project's `core/`, a checkout of
something else) must never stand in for them: the gateway and the SSH workers start
with `python -P`, which leaves the current folder off sys.path.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from console.headless.children import (
    WorkerOptions,
    gateway_answers,
    gateway_command,
    start_gateway,
    stop_gateway,
    wait_for_bus,
)

PACKAGES = ("core", "store", "drivers", "console")


def short_socket() -> str:
    """AF_UNIX paths must stay under 108 bytes; pytest's tmp_path can be longer."""
    return os.path.join(tempfile.mkdtemp(prefix="dk-", dir="/tmp"), "bus.sock")


@pytest.fixture
def hostile(tmp_path, monkeypatch) -> Path:
    """The current folder holds `core`, `store`, `drivers` and `console` packages whose
    import fails loudly."""
    folder = tmp_path / "elsewhere"
    for name in PACKAGES:
        (folder / name).mkdir(parents=True)
        (folder / name / "__init__.py").write_text(
            f"raise ImportError('the hostile {name} of the current folder was imported')\n")
    monkeypatch.chdir(folder)
    return folder


def test_children_are_started_blind_to_the_current_folder() -> None:
    assert gateway_command("x.db", "x.sock", None, True)[:4] == [
        sys.executable, "-P", "-m", "console.cli"]
    assert WorkerOptions(db="x.db", bus="x.sock").command()[:4] == [
        sys.executable, "-P", "-m", "console.ssh.server"]


def test_without_dash_p_the_hostile_folder_would_win(hostile) -> None:
    """The control: `python -m` from that folder does import its packages."""
    run = subprocess.run([sys.executable, "-m", "console.cli", "--help"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "hostile" in run.stderr


async def test_a_gateway_started_from_a_folder_with_its_own_core_imports_ours(
        store, estate, hostile) -> None:
    bus = short_socket()
    proc = start_gateway(store.where, bus, None, simulate=True, rate=0.0)
    try:
        await wait_for_bus(bus, proc, gateway_answers, timeout=60)
    finally:
        stop_gateway(proc)
    log = Path(store.where).with_suffix(".gateway.log").read_text(encoding="utf-8")
    assert proc.returncode == 0, log
    assert "hostile" not in log and "every event durable" in log


async def test_serve_started_from_a_folder_with_its_own_packages_starts_its_children(
        store, estate, hostile) -> None:
    """The supervisor's gateway and SSH worker come up (the worker says it listens only
    once it has imported the console and attached to the gateway's bus)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-P", "-m", "console.cli", "serve", "--db", store.where,
         "--bus", short_socket(), "--listen", f"127.0.0.1:{port}", "--workers", "1",
         "--simulate", "--rate", "0"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Serving") or time.monotonic() > deadline:
                break
        assert lines and lines[-1].startswith("Serving"), "".join(lines)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, "".join(lines) + out
    served_log = Path(store.where).with_suffix(".serve.log").read_text(encoding="utf-8")
    assert "hostile" not in served_log + out


def test_another_projects_core_in_the_current_folder_is_refused_clearly(tmp_path,
                                                                        monkeypatch) -> None:
    """A benign `core/` (a Django project's) is not ours: `python -m console.cli` from
    there says so, instead of failing on `core.config` not being found; `-P` runs."""
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "__init__.py").write_text("")
    monkeypatch.chdir(tmp_path)
    run = subprocess.run([sys.executable, "-m", "console.cli", "--help"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "another project's 'core' is first on sys.path" in run.stderr
    assert "python -P -m console.cli" in run.stderr
    run = subprocess.run([sys.executable, "-P", "-m", "console.cli", "--help"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "gateway" in run.stdout
