"""Shared fixtures: a real SQLite store in a temporary folder, and a small estate."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from core.model import (
    AccessProfile,
    Block,
    Device,
    DeviceType,
    Door,
    Flat,
    Operator,
    Site,
    TimeWindow,
    WeekType,
)
from core.services import blocks, devices, flats, operators, schedules, sites
from core.services.base import Actor
from store.database import Store

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    """Tests run at a known moment: 27 November 2026, 10:00 UTC."""
    return NOW


@pytest.fixture
async def store(tmp_path: Path):
    """An empty, migrated store in a real SQLite file."""
    st = await Store.open(path=tmp_path / "doorkeeper.db")
    yield st
    await st.close()


@pytest.fixture
async def admin(store: Store) -> Actor:
    """The first administrator (may create sites)."""
    op = await operators.bootstrap_admin(store.uow(), "admin@test.example")
    return Actor(op, source="test", clock=fixed_clock)


@dataclass
class SmallEstate:
    """One site, one block with three flats, a panel with a door, a profile."""

    site: Site
    block: Block
    flats: list[Flat]
    panel: Device
    door: Door
    profile: AccessProfile
    week_type: WeekType


@pytest.fixture
async def estate(store: Store, admin: Actor) -> SmallEstate:
    """A small estate built through the services by the administrator."""
    return await build_small_estate(store, admin)


async def build_small_estate(store: Store, admin: Actor) -> SmallEstate:
    """The small estate of the `estate` fixture, for tests that build their own store."""
    site = await sites.create_site(store.uow(), admin, Site(
        name="Demo Cases", max_panels=2, max_flats=5, max_foreign_numbers=1,
        max_panel_names=3))
    block = await blocks.create_block(store.uow(), admin, Block(site.id, "Block C"))
    made = await flats.create_flats(store.uow(), admin, block.id, 1, 3)
    panel = await devices.create_device(store.uow(), admin, Device(
        site.id, "PP4G : IP MiniPro", DeviceType.IPGUARD_4G, block_id=block.id,
        gsm_access_point=True), [Door(0, 1, "Main entrance")])
    async with store.reader() as uow:
        door = (await uow.find(Door, device_id=panel.id))[0]
    wt = await schedules.save_week_type(store.uow(), admin, WeekType(
        site.id, "Always", [TimeWindow(d, time(0, 0), time(23, 59)) for d in range(8)]))
    profile = await schedules.save_access_profile(store.uow(), admin, AccessProfile(
        site.id, "Profil - Block C", wt.id, [door.id]))
    block = await blocks.update_block(store.uow(), admin, block.id,
                                      default_access_profile_id=profile.id)
    return SmallEstate(site, block, made, panel, door, profile, wt)


async def make_operator(store: Store, admin: Actor, email: str, site_id: int, profile: str,
                        **grant: object) -> Actor:
    """An operator with a profile on one site, as an Actor at the fixed clock."""
    op = await operators.add_operator(store.uow(), admin, Operator(email=email))
    await operators.grant_site(store.uow(), admin, op.id, site_id, profile, **grant)
    return Actor(op, source="test", clock=fixed_clock)


def dump_database(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, read with plain sqlite3: to prove nothing changed."""
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        without_rowid = {r[0] for r in con.execute(  # the search index's shadow tables
            "SELECT name FROM sqlite_master WHERE type='table' AND sql LIKE '%WITHOUT ROWID%'")}
        return {n: con.execute(f'SELECT * FROM "{n}"'
                               + ("" if n in without_rowid else " ORDER BY rowid")).fetchall()
                for n in names}
    finally:
        con.close()
