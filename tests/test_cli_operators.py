"""`doorkeeper operator …` as an administrator runs it: add with sites, a profile, a key
and a password; list; keys; remove. Bad input is one line, exit 2, nothing changed."""

from __future__ import annotations

import asyncio
import io
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli import main
from core.model import Site
from core.passwords import verify_password
from core.services import operators, sites
from core.services.base import Actor
from store.database import Store
from tests.conftest import dump_database
from tests.test_operator_keys import keygen_fingerprint, make_key

PASSWORD = "correct horse battery"


async def _build(path: Path) -> None:
    store = await Store.open(path=path)
    try:
        op = await operators.bootstrap_admin(store.uow(), "boss@test.example")
        boss = Actor(op, source="test")
        await sites.create_site(store.uow(), boss, Site(name="Demo Cases"))
        await sites.create_site(store.uow(), boss, Site(name="Byron Court"))
    finally:
        await store.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli-operators") / "base.db"
    asyncio.run(_build(path))
    return path


@pytest.fixture
def db(base, tmp_path) -> str:
    path = tmp_path / "dk.db"
    shutil.copyfile(base, path)
    return str(path)


@pytest.fixture
def keys(tmp_path) -> dict[str, Path]:
    folder = tmp_path / "keys"
    folder.mkdir()
    return {"ed": make_key(folder, comment="desk@pc"),
            "ec": make_key(folder, "ecdsa-sha2-nistp256", comment="laptop")}


def dk(db: str, *args: str, stdin: str | None = None, monkeypatch=None) -> int:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        return main(["operator", *args, "--db", db])
    except SystemExit as exit_:  # argparse refusals
        return int(exit_.code or 0)


def rows(db: str, sql: str) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_add_with_sites_profile_validity_key_and_password(db, keys, capsys, monkeypatch):
    code = dk(db, "add", "Desk@Test.Example", "--profile", "concierge", "--site", "Demo Cases",
              "--site", "byron court", "--key", str(keys["ed"]), "--from", "2026-01-01",
              "--to", "31/12/2027", "--login", "desk", "--name", "Desk One", "--password",
              stdin=PASSWORD + "\n", monkeypatch=monkeypatch)
    assert code == 0, capsys.readouterr().err
    assert "desk@test.example added: Concierge on Demo Cases, Byron Court" in \
        capsys.readouterr().out
    (op_id, login, name, pw_hash), = rows(
        db, "SELECT id, login, name, password_hash FROM operators WHERE email='desk@test.example'")
    assert (login, name) == ("desk", "Desk One") and verify_password(pw_hash, PASSWORD)
    grants = rows(db, "SELECT s.name, g.profile, g.valid_from, g.valid_to FROM site_grants g "
                      f"JOIN sites s ON s.id = g.site_id WHERE operator_id = {op_id} "
                      "ORDER BY s.name")
    assert grants == [("Byron Court", "Concierge", "2026-01-01", "2027-12-31"),
                      ("Demo Cases", "Concierge", "2026-01-01", "2027-12-31")]
    assert rows(db, f"SELECT fingerprint, comment FROM operator_keys WHERE operator_id={op_id}"
                ) == [(keygen_fingerprint(keys["ed"]), "desk@pc")]
    assert rows(db, "SELECT actor, source FROM audit_entries ORDER BY id DESC LIMIT 1") == [
        ("boss@test.example", "cli")]


def test_custom_profile_takes_its_rights(db, capsys):
    assert dk(db, "add", "aud@test.example", "--profile", "Custom", "--site", "1",
              "--right", "events:consult", "--right", "flats:modify") == 0
    (rights,), = rows(db, "SELECT rights FROM site_grants g JOIN operators o "
                          "ON o.id = g.operator_id WHERE o.email = 'aud@test.example'")
    assert rights == '["events:consult", "flats:consult", "flats:modify"]'


def test_list_shows_sites_profiles_validity_and_key_count(db, keys, capsys):
    dk(db, "add", "desk@test.example", "--profile", "Technical maintenance", "--site", "1",
       "--key", str(keys["ed"]), "--to", "2027-06-30", "--login", "desk")
    capsys.readouterr()
    assert dk(db, "list") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["EMAIL", "LOGIN", "STATUS", "SITES", "(PROFILE,", "VALIDITY)",
                              "KEYS"]
    desk = next(line for line in out if line.startswith("desk@"))
    assert desk.split()[:3] == ["desk@test.example", "desk", "active"]
    assert "Demo Cases: Technical maintenance (…..2027-06-30)" in desk
    assert desk.split()[-1] == "1"
    boss = next(line for line in out if line.startswith("boss@"))
    assert "creates sites" in boss and boss.split()[-1] == "0"


def test_key_add_list_remove(db, keys, capsys, monkeypatch):
    dk(db, "add", "desk@test.example", "--profile", "Concierge", "--site", "1", "--login",
       "desk")
    assert dk(db, "key", "add", "desk@test.example", str(keys["ed"])) == 0
    assert dk(db, "key", "add", "desk", "-", stdin=keys["ec"].read_text(),
              monkeypatch=monkeypatch) == 0
    capsys.readouterr()
    assert dk(db, "key", "list", "desk") == 0
    listed = capsys.readouterr().out
    assert keygen_fingerprint(keys["ed"]) in listed and "laptop" in listed
    assert dk(db, "key", "remove", "desk", keygen_fingerprint(keys["ed"])) == 0
    assert dk(db, "key", "remove", "desk", str(keys["ec"])) == 0
    assert rows(db, "SELECT count(*) FROM operator_keys") == [(0,)]
    actions = [a for (a,) in rows(db, "SELECT action FROM audit_entries ORDER BY id")]
    assert actions[-4:] == ["operator_key.create"] * 2 + ["operator_key.delete"] * 2


def test_remove_deactivates_and_keeps_history(db, capsys):
    dk(db, "add", "desk@test.example", "--profile", "Concierge", "--site", "1")
    assert dk(db, "remove", "DESK@test.example") == 0
    assert rows(db, "SELECT active FROM operators WHERE email='desk@test.example'") == [(0,)]
    assert rows(db, "SELECT count(*) FROM site_grants g JOIN operators o ON o.id = "
                    "g.operator_id WHERE o.email='desk@test.example'") == [(1,)]
    capsys.readouterr()
    dk(db, "list")
    assert "disabled" in next(line for line in capsys.readouterr().out.splitlines()
                              if line.startswith("desk@"))


BAD = [
    ("unknown profile", ["add", "x@test.example", "--profile", "Boss", "--site", "1"],
     "Unknown profile"),
    ("unknown site", ["add", "x@test.example", "--profile", "Concierge", "--site", "Nowhere"],
     "No site is called"),
    ("second site unknown", ["add", "x@test.example", "--profile", "Concierge", "--site", "1",
                             "--site", "Nowhere"], "No site is called"),
    ("bad email", ["add", "not-an-email", "--profile", "Concierge", "--site", "1"],
     "not an email address"),
    ("to before from", ["add", "x@test.example", "--profile", "Concierge", "--site", "1",
                        "--from", "2027-01-01", "--to", "2026-01-01"], "before"),
    ("not a date", ["add", "x@test.example", "--profile", "Concierge", "--site", "1",
                    "--from", "2027-13-01"], "is not a date"),
    ("bad key file", ["add", "x@test.example", "--profile", "Concierge", "--site", "1",
                      "--key", "{bad_key}"], "damaged"),
    ("missing key file", ["add", "x@test.example", "--profile", "Concierge", "--site", "1",
                          "--key", "{tmp}/missing.pub"], "Cannot read"),
    ("unknown right", ["add", "x@test.example", "--profile", "Custom", "--site", "1",
                       "--right", "flats:fly"], "Unknown rights"),
    ("right without Custom", ["add", "x@test.example", "--profile", "Concierge", "--site",
                              "1", "--right", "flats:modify"], "Custom only"),
    ("short password", ["add", "x@test.example", "--profile", "Concierge", "--site", "1",
                        "--password"], "at least 10 characters"),
    ("existing email", ["add", "boss@test.example", "--profile", "Concierge", "--site", "1"],
     "exists"),
    ("no site given", ["add", "x@test.example", "--profile", "Concierge"], "--site"),
    ("remove unknown", ["remove", "ghost@test.example"], "No operator is called"),
    ("remove the acting administrator", ["remove", "boss@test.example"], "own account"),
    ("key for unknown operator", ["key", "add", "ghost@test.example", "{good_key}"],
     "No operator is called"),
    ("key remove unknown fingerprint", ["key", "remove", "boss@test.example", "SHA256:nope"],
     "has no key"),
]


@pytest.mark.parametrize(("case", "args", "says"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_one_line_exit_2_and_nothing_changed(db, keys, tmp_path, capsys,
                                                          monkeypatch, case, args, says):
    bad_key = tmp_path / "bad.pub"
    bad_key.write_text("ssh-ed25519 AAAA!!\n")
    args = [a.format(tmp=tmp_path, bad_key=bad_key, good_key=keys["ed"]) for a in args]
    before = dump_database(Path(db))
    code = dk(db, *args, stdin="short\n", monkeypatch=monkeypatch)
    err = capsys.readouterr().err
    assert code == 2
    assert says in err and len(err.strip().splitlines()) == 1, err
    assert dump_database(Path(db)) == before


def test_as_a_command_bad_input_is_one_line(db):
    out = subprocess.run([sys.executable, "-m", "console.cli", "operator", "add",
                          "x@test.example", "--profile", "Boss", "--site", "1", "--db", db],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "doorkeeper: Unknown profile 'Boss'; choose one of Administration, Management, "
        "Concierge, Technical maintenance, Custom."]
