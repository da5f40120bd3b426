"""`doorkeeper export displays` and `export operators` (issue 18's other lists): the rows
compared with the store read with plain sqlite3, and the rights of the operator named
(Export on the site and the list's own right: Residents & Displays, Users)."""

from __future__ import annotations

import sqlite3

import pytest

from core.model import PanelDisplay
from core.services import residents
from tests.conftest import make_operator
from tests.test_flat_import import read_csv


@pytest.fixture
async def displayed(store, admin, estate):
    """A name on the panels calling a telephone, and an engineer on the site."""
    flat = estate.flats[0]
    phone = await residents.add_telephone(store.uow(), admin, flat.id, "07546277360")
    await residents.add_panel_display(store.uow(), admin, PanelDisplay(
        flat.id, "Jolly, Michael", "12", call_chain=[{"telephone_id": phone.id,
                                                      "ring_seconds": 20}]))
    await make_operator(store, admin, "engineer@test.example", estate.site.id,
                        "Technical maintenance")
    return estate


def test_displays_and_operators_exports_match_the_store(store, displayed, cli, tmp_path):
    estate = displayed
    flat = estate.flats[0]
    common = ["--db", store.where, "--site", estate.site.name]

    done = cli("export", "displays", *common, "--operator", "admin@test.example",
               "-o", str(tmp_path / "d.csv"))
    assert done.returncode == 0, done.stderr
    assert "Wrote 1 display name of Demo Cases" in done.stdout
    head, row = read_csv(tmp_path / "d.csv")
    assert head[:5] == ["Block", "Flat N°", "Flat", "Display name", "Call code"]
    assert row[:5] == ["Block C", flat.number, flat.name, "Jolly, Michael", "12"]
    assert row[6] == "07546277360 GB 20 s"  # the call chain as the lists write numbers

    done = cli("export", "operators", *common, "--operator", "admin@test.example",
               "-o", str(tmp_path / "o.csv"))
    assert done.returncode == 0, done.stderr
    rows = read_csv(tmp_path / "o.csv")[1:]
    con = sqlite3.connect(store.where)
    granted = sorted(e for e, in con.execute(
        "SELECT o.email FROM operators o JOIN site_grants g ON g.operator_id = o.id "
        "WHERE g.site_id = ?", (estate.site.id,)))
    con.close()
    assert [r[0] for r in rows] == granted
    assert [
        next(r for r in rows if r[0] == "engineer@test.example")[i] for i in (0, 4)] == ["engineer@test.example", "Technical maintenance"]

    # the engineer may export the displays (Residents & Displays, Export) but not the
    # operators (no Users right): one line, exit code 2, no file
    done = cli("export", "displays", *common, "--operator", "engineer@test.example",
               "-o", str(tmp_path / "e.csv"))
    assert done.returncode == 0, done.stderr
    done = cli("export", "operators", *common, "--operator", "engineer@test.example",
               "-o", str(tmp_path / "x.csv"))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tmp_path / "x.csv").exists()
