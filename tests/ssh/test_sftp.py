"""SFTP on `doorkeeper serve` with the real OpenSSH clients: an operator fetches their own
export with `scp` and `sftp`; another operator's file, `../`, a hidden file being written,
writing and removing are refused (console/ssh/sftp.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.ssh.conftest import Served

SOURCE = "127.0.0.50"


def client(served: Served, tool: str, *args: str) -> list[str]:
    """`scp` or `sftp` with the options the SSH tests' `ssh` has."""
    return [tool, "-F", "/dev/null", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes",
            "-o", "IdentityAgent=none", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes",
            "-o", f"BindAddress={SOURCE}", "-i", str(served.key), "-P", str(served.port),
            *args]


def sftp(served: Served, user: str, commands: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(client(served, "sftp", "-b", "-", f"{user}@127.0.0.1"),
                          input=commands, capture_output=True, text=True, timeout=60)


def test_each_operator_fetches_only_their_own_exports_read_only(served: Served, tmp_path: Path):
    root = served.db.parent / "exports"
    mine = root / served.estate.concierge
    theirs = root / served.estate.admin
    for folder in (mine, theirs):
        folder.mkdir(parents=True, exist_ok=True)
    (mine / "events-2026-12.csv").write_text("Date & time,Device\n2026-12-01,Panel\n")
    (mine / ".events-2026-12.xlsx.abc.part").write_text("half")
    (theirs / "secret.csv").write_text("not for the concierge\n")
    user = served.estate.concierge

    # scp (SFTP underneath since OpenSSH 9): the own file, by its bare name
    got = tmp_path / "got.csv"
    run = subprocess.run(client(served, "scp", f"{user}@127.0.0.1:events-2026-12.csv",
                                str(got)), capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert got.read_text() == (mine / "events-2026-12.csv").read_text()

    # sftp: the listing shows the finished export only
    run = sftp(served, user, "ls -1\n")
    assert run.returncode == 0, run.stderr
    assert "events-2026-12.csv" in run.stdout and ".part" not in run.stdout

    # refused: another operator's file (by ../ and by an absolute path), the hidden file,
    # and anything that writes
    for command in (f"get ../{served.estate.admin}/secret.csv {tmp_path}/x",
                    f"get /../{served.estate.admin}/secret.csv {tmp_path}/x",
                    f"get /{served.estate.admin}/secret.csv {tmp_path}/x",
                    f"get .events-2026-12.xlsx.abc.part {tmp_path}/x",
                    f"put {got} uploaded.csv",
                    "rm events-2026-12.csv",
                    "rename events-2026-12.csv other.csv",
                    "mkdir sub"):
        run = sftp(served, user, command + "\n")
        assert run.returncode != 0, command
        assert not (tmp_path / "x").exists(), command
    assert sorted(p.name for p in mine.iterdir()) == [
        ".events-2026-12.xlsx.abc.part", "events-2026-12.csv"]
    assert (theirs / "secret.csv").exists()
