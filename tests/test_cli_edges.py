"""Issue 13, items 3 and 7, at the CLI as a user runs it: only `init` and `demo` create a
store, a refused `init` leaves nothing behind, and nothing the CLI prints carries the
caller's escape sequences. The commands run in this process (the `cli` fixture).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from console.cli import main

TYPO = "typo/no/such/demo.db"


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def one_line(out: subprocess.CompletedProcess, says: str) -> None:
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert out.stdout == ""
    assert out.stderr.count("\n") == 1, out.stderr
    assert says in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("command", [
    ["audit", "verify"],
    ["console"],
    ["gateway"],
    ["gateway", "--simulate"],
    ["serve", "--listen", "127.0.0.1:2299"],
    ["operator", "list"],
    ["operator", "remove", "a@example.org"],
    ["operator", "key", "list", "a@example.org"],
])
def test_only_init_and_demo_create_a_store(cli, tmp_path, command):
    out = cli(*command, "--db", str(tmp_path / TYPO), cwd=tmp_path)
    one_line(out, "No store at")
    assert "doorkeeper init" in out.stderr
    assert tree(tmp_path) == []  # no folder, no file, no socket, no host key


@pytest.mark.parametrize("command", [
    ["init", "--admin", "a@example.org"],
    ["demo", "--no-ui"],
    ["audit", "verify"],
    ["console"],
    ["operator", "list"],
])
def test_an_empty_db_path_is_refused(cli, tmp_path, command):
    one_line(cli(*command, "--db", "", cwd=tmp_path), "--db needs a file name")
    assert tree(tmp_path) == []


@pytest.mark.parametrize("admin", ["bad", "a@b", "", "x\u200b@example.org"])
def test_a_refused_init_leaves_nothing_behind(cli, tmp_path, admin):
    out = cli("init", "--admin", admin, "--db", str(tmp_path / "new/deeper/x.db"),
              cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert tree(tmp_path) == []


def test_a_refused_init_keeps_an_existing_store(cli, tmp_path):
    db = tmp_path / "dk.db"
    assert cli("init", "--admin", "a@example.org", "--db", str(db)).returncode == 0
    before = db.read_bytes()
    assert cli("init", "--admin", "bad", "--db", str(db)).returncode == 2
    assert db.exists() and db.read_bytes() == before


ESC_2J = "\x1b[2J"
OSC_52 = "\x1b]52;c;aGk=\x07"


@pytest.fixture(scope="module")
def made_store(tmp_path_factory) -> str:
    db = tmp_path_factory.mktemp("cli") / "dk.db"
    assert main(["init", "--admin", "a@example.org", "--db", str(db)]) == 0
    return str(db)


@pytest.mark.parametrize("args", [
    ["operator", "add", "b@example.org", "--profile", "Custom", "--site", "1",
     "--right", f"{ESC_2J}:modify", "--db", "{db}"],
    ["operator", "key", "remove", "a@example.org", f"{ESC_2J}foo", "--db", "{db}"],
    ["operator", "remove", f"{ESC_2J}x@example.org", "--db", "{db}"],
    ["audit", "verify", "--db", "{db}", OSC_52],  # argparse's "unrecognized arguments"
    [f"frob{OSC_52}"],  # argparse's "invalid choice"
    ["demo", "--seed", f"1{ESC_2J}"],  # argparse's "invalid int value"
    ["operator", "add", "b@example.org", "--profile", "Custom", "--site", "1",
     "--from", f"{OSC_52}", "--db", "{db}"],
    ["init", "--admin", f"{ESC_2J}@x", "--db", "{db}"],
    ["--db", "{db}", "\x9b2J"],  # an 8-bit CSI
])
def test_nothing_the_cli_prints_carries_escapes(cli, made_store, args):
    out = cli(*[a.replace("{db}", made_store) for a in args])
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    for stream in (out.stdout, out.stderr):
        assert "\x1b" not in stream and "\x07" not in stream and "\x9b" not in stream, stream


def test_help_is_still_several_lines(cli, made_store):
    out = cli("operator", "add", "--help")
    assert out.returncode == 0 and out.stdout.count("\n") > 5
