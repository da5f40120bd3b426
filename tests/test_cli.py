"""The `doorkeeper` command as a user runs it: one clear line on bad input, never a traceback.

The first test runs the real console module in a new process; the others run `main()` in
this one (the `cli` fixture), which is the same code without starting Python again."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "console.cli", *args], capture_output=True,
                          text=True, timeout=timeout)


def test_init_creates_the_store_and_the_first_administrator(tmp_path):
    db = tmp_path / "var" / "dk.db"
    out = run("init", "--admin", "Boss@Example.org", "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert "administrator boss@example.org" in out.stdout
    con = sqlite3.connect(db)
    assert con.execute("SELECT email, can_create_sites FROM operators").fetchall() == [
        ("boss@example.org", 1)]
    # running it again upgrades, never duplicates
    assert run("init", "--admin", "boss@example.org", "--db", str(db)).returncode == 0
    assert con.execute("SELECT count(*) FROM operators").fetchone() == (1,)


def test_config_file_sets_the_store_path(cli, tmp_path):
    cfg = tmp_path / "dk.toml"
    cfg.write_text(f'[store]\npath = "{tmp_path / "from-config.db"}"\n')
    out = cli("init", "--admin", "a@example.org", "--config", str(cfg))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "from-config.db").exists()


@pytest.mark.parametrize(("args", "says"), [
    ([], "required"),
    (["frobnicate"], "invalid choice"),
    (["init"], "--admin"),
    (["init", "--admin", "not-an-email", "--db", "{tmp}/x.db"], "not an email address"),
    (["demo", "--seed", "abc"], "invalid int value"),
    (["demo", "--no-ui", "--events", "-5", "--db", "{tmp}/x.db"], "--events"),
    (["init", "--admin", "a@b.example", "--config", "{tmp}/missing.toml"], "does not exist"),
    (["init", "--admin", "a@b.example", "--config", "{tmp}/bad.toml"], "not valid TOML"),
    (["init", "--admin", "a@b.example", "--config", "{tmp}/unknown.toml"], "Unknown setting"),
    (["init", "--admin", "a@b.example", "--db", "{tmp}"], "is a folder"),
    (["init", "--admin", "a@b.example", "--db", "{tmp}/garbage.db"], "Cannot open the store"),
    (["audit", "verify", "--db", "{tmp}/garbage.db"], "Cannot open the store"),
    (["gateway", "--config", "{tmp}/driver.toml"], "Unknown driver 'teleporter'"),
    (["gateway", "--config", "{tmp}/port.toml"], "/dev/ttyNOPE does not exist"),
    (["gateway", "--config", "{tmp}/baud.toml"], "driver.baud"),
    (["gateway", "--config", "{tmp}/counts.toml"], 'driver.rate_counts ([[driver]] 1) must be '
                                                    '"draws" or "events"'),
    (["gateway", "--config", "{tmp}/missing.toml"], "does not exist"),
    (["gateway", "--db", "{tmp}/x.db", "--rate", "-1"], "--rate"),
])
def test_bad_input_gets_one_clear_line_and_a_nonzero_exit(cli, tmp_path, args, says):
    (tmp_path / "bad.toml").write_text("[store\npath=")
    (tmp_path / "unknown.toml").write_text("[store]\ncolour = 'red'\n")
    (tmp_path / "garbage.db").write_bytes(b"this is not a database file at all" * 100)
    (tmp_path / "driver.toml").write_text('[[driver]]\ntype = "teleporter"\n')
    (tmp_path / "port.toml").write_text('[[driver]]\ntype = "osdp"\nport = "/dev/ttyNOPE"\n')
    (tmp_path / "baud.toml").write_text('[[driver]]\ntype = "osdp"\nport = "/dev/null"\n'
                                        'baud = 1200\n')
    (tmp_path / "counts.toml").write_text('[[driver]]\ntype = "simulator"\n'
                                          'rate_counts = "visits"\n')
    out = cli(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.count("\n") == 1, out.stderr
    assert says in out.stderr
    assert "Traceback" not in out.stderr


def test_audit_verify_on_a_fresh_store(cli, tmp_path):
    db = str(tmp_path / "dk.db")
    assert cli("init", "--admin", "a@example.org", "--db", db).returncode == 0
    out = cli("audit", "verify", "--db", db)
    assert out.returncode == 0 and "1 entry verified" in out.stdout
