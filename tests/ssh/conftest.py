"""A real `doorkeeper serve` (gateway, two SSH workers, the simulator) over a small
estate, started once for the SSH tests, and a client key made with ssh-keygen.

Each test connects from its own loopback address (127.0.0.N) so the per-address
throttling of one test never touches another."""

from __future__ import annotations

import asyncio
import collections
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ssh.estate import SSHEstate, build

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Served:
    """The running server and what a client needs."""

    estate: SSHEstate
    port: int
    key: Path  # the operators' private key
    other_key: Path  # a key nobody has
    proc: subprocess.Popen

    @property
    def db(self) -> Path:
        return self.estate.db

    def ssh(self, user: str, *extra: str, source: str = "127.0.0.1",
            key: Path | None = None) -> list[str]:
        """An OpenSSH command line for `user` from a loopback address."""
        return ["ssh", "-F", "/dev/null", "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes",
                "-o", "IdentityAgent=none", "-o", "LogLevel=ERROR",
                "-i", str(key or self.key), "-b", source, "-p", str(self.port),
                "-l", user, *extra, "127.0.0.1"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keygen(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f",
                    str(path)], check=True)
    return path


@pytest.fixture(scope="session")
def served(tmp_path_factory) -> Served:
    if not shutil.which("ssh") or not shutil.which("ssh-keygen"):
        pytest.fail("the OpenSSH client is needed (.ci/run installs it)")
    folder = tmp_path_factory.mktemp("serve")
    key = keygen(folder / "id_ed25519")
    other = keygen(folder / "other_ed25519")
    estate = asyncio.run(build(folder / "serve.db", (folder / "id_ed25519.pub").read_text()))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "serve", "--db", str(estate.db), "--listen",
         f"127.0.0.1:{port}", "--simulate", "--rate", "5", "--workers", "2"],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 90
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("Serving") or time.monotonic() > deadline:
            break
    if not lines or not lines[-1].startswith("Serving"):
        proc.kill()
        pytest.fail("doorkeeper serve did not start:\n" + "".join(lines))
    # keep reading what serve prints, or a full pipe would one day block the server
    threading.Thread(target=collections.deque, args=(proc.stdout, 200), daemon=True).start()
    yield Served(estate, port, key, other, proc)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
