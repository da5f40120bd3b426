"""The CLI as a careless or hostile administrator runs it: a name too long, a folder that
is a file, an empty file for a store, a key file that never ends or is private, a backup
over the store itself. Each is one line on stderr, exit code 2, and the store as it was.
The commands run in this process (the `cli` fixture)."""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
import sys
import threading
from pathlib import Path

import pytest

from console.cli_output import refuse
from tests.test_cli_edges import one_line, tree


def store_at(cli, folder: Path) -> Path:
    db = folder / "dk.db"
    assert cli("init", "--admin", "a@example.org", "--db", str(db)).returncode == 0
    return db


def dump(db: Path) -> list[str]:
    with sqlite3.connect(db) as con:
        return list(con.iterdump())


def audit_entries(db: Path) -> int:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT count(*) FROM audit_entries").fetchone()[0]


def test_a_refusal_over_several_lines_is_put_on_one(capsys):
    refuse("x.db is damaged: *** in database main ***\nPage 3: btreeInitPage()\x1b[2J")
    err = capsys.readouterr().err
    assert err == "doorkeeper: x.db is damaged: *** in database main *** Page 3: " \
                  "btreeInitPage()\n"


def test_a_value_as_long_as_a_page_is_echoed_by_its_ends(cli, tmp_path):
    out = cli("init", "--admin", "a" * 10_000 + "@example.org", "--db", str(tmp_path / "x.db"))
    one_line(out, "(10,012 characters)")
    assert len(out.stderr) < 300 and "@example.org' is not an email address." in out.stderr
    assert tree(tmp_path) == []


@pytest.mark.parametrize("command, name", [
    (["backup", "--to", ""], "--to"),
    (["restore", ""], "FILE"),
    (["operator", "key", "add", "a@example.org", ""], "FILE"),
    (["import", "flats", " ", "--site", "1", "--block", "1", "--operator", "a"], "FILE"),
    (["export", "flats", "--site", "1", "--block", "1", "--operator", "a", "-o", ""], "-o"),
    (["status", "--bus", ""], "--bus"),
    (["operator", "list", "--config", ""], "--config"),
])
def test_an_empty_file_name_is_refused_by_its_name(cli, tmp_path, command, name):
    """It was "There is no backup at ..", "Cannot read : …", ": a flats import reads …"."""
    db = store_at(cli, tmp_path)
    before = dump(db)
    one_line(cli(*command, "--db", str(db), cwd=tmp_path), f"{name} needs a file name.")
    assert dump(db) == before


@pytest.mark.parametrize("command, says", [
    # bytes that are not UTF-8 reach Python as surrogates: SQLite's open, or the SQL of a
    # search, was a traceback
    (["backup", "--to", "b\udcff.db"], "The argument 'b\\udcff.db' is not UTF-8 text"),
    (["export", "flats", "--site", "1", "--block", "1", "--operator", "a",
      "-o", "f\udcff.csv"], "The argument 'f\\udcff.csv' is not UTF-8 text"),
    (["export", "events", "--site", "1", "--filter", "search=\udcff", "--operator",
      "a@example.org", "-o", "e.csv"], "The argument 'search=\\udcff' is not UTF-8 text"),
    (["backup", "--to", "\x1b[2Jb.db"], "--to holds control characters"),
])
def test_an_argument_not_utf8_or_a_file_name_with_controls_is_refused(cli, tmp_path, command, says):
    db = store_at(cli, tmp_path)
    files = tree(tmp_path)
    out = cli(*command, "--db", str(db), cwd=tmp_path)
    one_line(out, says)
    assert tree(tmp_path) == files


def test_init_never_names_a_store_with_an_escape_sequence(cli, tmp_path):
    out = cli("init", "--admin", "a@example.org", "--db", str(tmp_path / "\x1b[2Jdk.db"))
    one_line(out, "--db holds control characters")
    assert tree(tmp_path) == []


@pytest.mark.parametrize("command", [["operator", "list"], ["init", "--admin", "a@b.org"],
                                     ["doctor"], ["status"], ["audit", "verify"]])
def test_a_db_name_too_long_is_one_line(cli, tmp_path, command):
    out = cli(*command, "--db", str(tmp_path / ("a" * 5000 + ".db")))
    one_line(out, "File name too long")
    assert len(out.stderr) < 400
    assert tree(tmp_path) == []


def test_init_under_a_file_says_the_file(cli, tmp_path):
    (tmp_path / "plain").write_text("x")
    out = cli("init", "--admin", "a@example.org", "--db", str(tmp_path / "plain/sub/dk.db"))
    one_line(out, f"{tmp_path / 'plain'} is a file")
    assert tree(tmp_path) == ["plain"]


@pytest.mark.parametrize("command", [["operator", "list"], ["audit", "verify"],
                                     ["operator", "remove", "a@example.org"]])
def test_an_empty_file_is_not_made_a_store(cli, tmp_path, command):
    db = tmp_path / "dk.db"
    db.touch()
    one_line(cli(*command, "--db", str(db)), "is an empty file, not a store")
    assert db.read_bytes() == b""


def test_status_says_an_empty_file_and_leaves_it_empty(cli, tmp_path):
    db = tmp_path / "dk.db"
    db.touch()
    out = cli("status", "--db", str(db))
    assert f"store        FAIL  {db} is an empty file, not a store\n" in out.stdout
    assert db.read_bytes() == b""


def test_status_on_a_file_that_is_not_a_store_is_a_line_a_part(cli, tmp_path):
    db = tmp_path / "dk.db"
    db.write_text("hello, not SQLite\n" * 10)
    out = cli("status", "--db", str(db))
    assert out.returncode == 2
    lines = out.stdout.splitlines()
    assert len(lines) == 7, out.stdout
    assert f"store        FAIL  {db} is not a SQLite database." in lines
    assert "sqlalche.me" not in out.stdout and "[SQL" not in out.stdout


@pytest.mark.parametrize("source", ["fifo", "stdin"])
def test_a_key_file_without_a_size_is_read_no_further_than_a_key(cli, tmp_path, source):
    """A FIFO, a device (/dev/zero never ends) or stdin has no size to check first: what
    is read stops at the limit (200 kB here, which a FIFO's writer hands over whole)."""
    db = store_at(cli, tmp_path)
    before = dump(db)
    text = "ssh-ed25519 " + "A" * 200_000
    if source == "fifo":
        fifo = tmp_path / "key.pub"
        os.mkfifo(fifo)

        def write() -> None:
            with contextlib.suppress(BrokenPipeError):  # the reader stops at the limit
                fifo.write_text(text)
        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        out = cli("operator", "key", "add", "a@example.org", str(fifo), "--db", str(db))
        writer.join(5)
    else:
        sys.stdin = io.StringIO(text)
        try:
            out = cli("operator", "key", "add", "a@example.org", "-", "--db", str(db))
        finally:
            sys.stdin = sys.__stdin__
    one_line(out, "is too large to be a public key file")
    assert dump(db) == before


def test_a_private_key_file_is_named_so(cli, tmp_path):
    db = store_at(cli, tmp_path)
    key = tmp_path / "id_ed25519"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
                   "-----END OPENSSH PRIVATE KEY-----\n")
    before = dump(db)
    one_line(cli("operator", "key", "add", "a@example.org", str(key), "--db", str(db)),
             f"{key} is a private key")
    assert dump(db) == before


def test_a_key_file_of_binary_bytes_is_named_so(cli, tmp_path):
    db = store_at(cli, tmp_path)
    key = tmp_path / "garbage.pub"
    key.write_bytes(b"\xa8\xff\x00" * 100)
    one_line(cli("operator", "key", "add", "a@example.org", str(key), "--db", str(db)),
             f"{key} is not a public key file (not UTF-8 text)")


@pytest.mark.parametrize("to", ["dk.db", "./dk.db", "dk.db-wal", "link.db"])
def test_a_backup_over_the_store_itself_is_refused(cli, tmp_path, to):
    db = store_at(cli, tmp_path)
    (tmp_path / "link.db").symlink_to(db)
    before, files = db.read_bytes(), tree(tmp_path)
    out = cli("backup", "--to", to, "--db", str(db), cwd=tmp_path)
    one_line(out, "is the store or one of its journals")
    assert db.read_bytes() == before
    assert tree(tmp_path) == files  # no WAL the store would take for its own


def test_a_restore_of_the_store_onto_itself_is_refused(cli, tmp_path):
    db = store_at(cli, tmp_path)
    one_line(cli("restore", str(db), "--db", str(db)), "is the store or one of its journals")
    assert sorted(p.name for p in tmp_path.iterdir()
                  if "before-restore" in p.name) == []


def test_a_backup_that_fails_its_check_names_the_store(cli, tmp_path):
    db = tmp_path / "dk.db"
    db.touch()
    out = cli("backup", "--to", str(tmp_path / "b.db"), "--db", str(db))
    one_line(out, f"No backup was written: {db} is not a Doorkeeper store")
    assert ".partial" not in out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dk.db"]


def test_a_backup_into_a_place_that_cannot_be_written_names_it(cli, tmp_path):
    db = store_at(cli, tmp_path)
    out = cli("backup", "--to", "/proc/version", "--db", str(db))
    one_line(out, "Cannot write /proc/version")


def test_removing_an_operator_twice_changes_nothing_the_second_time(cli, tmp_path):
    db = store_at(cli, tmp_path)
    assert cli("init", "--admin", "b@example.org", "--db", str(db)).returncode == 0
    assert cli("operator", "remove", "b@example.org", "--db", str(db)).returncode == 0
    entries = audit_entries(db)
    out = cli("operator", "remove", "b@example.org", "--db", str(db))
    assert out.returncode == 0
    assert "already deactivated; nothing changed" in out.stdout
    assert audit_entries(db) == entries


def test_a_password_from_stdin_is_read_no_further_than_a_password(cli, tmp_path):
    """stdin may be /dev/zero, or a file with no end of line: 1,024 characters at most."""
    db = store_at(cli, tmp_path)
    before = dump(db)
    sys.stdin = io.StringIO("x" * 5000)
    try:
        out = cli("operator", "password", "a@example.org", "--db", str(db))
    finally:
        sys.stdin = sys.__stdin__
    one_line(out, "A password is at most 1024 characters")
    assert dump(db) == before


def test_a_host_key_file_is_read_no_further_than_a_key(cli, tmp_path):
    db = store_at(cli, tmp_path)
    big = tmp_path / "host_key"
    big.write_bytes(b"\0" * 100_000)  # /dev/zero never ends
    out = cli("serve", "--host-key", str(big), "--fingerprint", "--db", str(db))
    one_line(out, f"The host key {big} cannot be read: larger than a private key file.")


def test_the_demo_is_never_built_into_a_store_init_made(cli, tmp_path):
    """Right after `doorkeeper init` a store has an administrator and no site yet: the
    demo's three sites, its residents and its administrator (whose email the docs name)
    would have gone into it."""
    db = store_at(cli, tmp_path)
    before = dump(db)
    out = cli("demo", "--no-ui", "--events", "0", "--db", str(db))
    one_line(out, "holds operators or sites that are not a finished demo")
    assert dump(db) == before


class FullDisk(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(28, "No space left on device")


@pytest.mark.parametrize("command", [["--help"], ["operator", "list"]])
def test_output_to_a_full_disk_is_one_line(cli, tmp_path, monkeypatch, capfd, command):
    """`doorkeeper --help > /dev/full`: a traceback out of argparse."""
    from console.cli import main

    db = store_at(cli, tmp_path)
    capfd.readouterr()
    monkeypatch.setattr(sys, "stdout", FullDisk())
    extra = ["--db", str(db)] if command != ["--help"] else []
    assert main([*command, *extra]) == 2
    assert capfd.readouterr().err == "doorkeeper: No space left on device.\n"


def test_the_console_checks_its_operator_and_terminal_before_starting_a_gateway(cli, tmp_path):
    """An unknown --operator, or output to a file, used to start a gateway (and its
    simulated or real drivers) first; the console drew into a file forever."""
    db = tmp_path / "s.db"
    assert cli("init", "--admin", "a@example.org", "--db", str(db)).returncode == 0
    before = tree(tmp_path)
    one_line(cli("console", "--db", str(db), "--operator", "nobody@example.org"),
             "No operator is called 'nobody@example.org'")
    one_line(cli("console", "--db", str(db)), "The console needs a terminal")
    assert [f for f in tree(tmp_path) if f not in before] == ["s.console.log"]  # no gateway


@pytest.mark.parametrize("events", ["-1", "20000001", "99999999999999"])
def test_a_demo_history_out_of_bounds_is_refused_before_it_is_built(cli, tmp_path, events):
    """99999999999999 past events were built in memory until the process was killed."""
    one_line(cli("demo", "--no-ui", "--events", events, "--db", str(tmp_path / "d.db")),
             "--events must be 0 to 20,000,000.")
    assert tree(tmp_path) == []
