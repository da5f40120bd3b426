"""A store file for the SSH tests: a site, operators with keys and a password.

Built through the services with the real clock (the server runs at today's date), so
"expired" is a grant that ended yesterday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from core.model import Block, Device, DeviceType, Door, Operator, Site
from core.rights import Profile
from core.services import blocks, devices, flats, operator_keys, operators, sites
from core.services.base import Actor
from store.database import Store

SITE = "Demo Cases"
PASSWORD = "correct horse battery"


@dataclass
class SSHEstate:
    """Who may log in, and with what."""

    db: Path
    site_id: int
    block_id: int
    admin: str = "admin@test.example"
    concierge: str = "concierge@test.example"
    concierge_login: str = "conc"
    expired: str = "expired@test.example"
    password: str = PASSWORD


async def build(db: Path, public_key: str) -> SSHEstate:
    """The estate, with `public_key` given to the admin, the concierge and the expired one."""
    store = await Store.open(path=db)
    try:
        op = await operators.bootstrap_admin(store.uow(), "admin@test.example")
        admin = Actor(op, source="test")
        site = await sites.create_site(store.uow(), admin, Site(
            name=SITE, max_panels=2, max_flats=50, max_foreign_numbers=1, max_panel_names=3))
        block = await blocks.create_block(store.uow(), admin, Block(site.id, "Block C"))
        await flats.create_flats(store.uow(), admin, block.id, 1, 3)
        await devices.create_device(store.uow(), admin, Device(
            site.id, "PP4G : IP MiniPro", DeviceType.IPGUARD_4G, block_id=block.id,
            gsm_access_point=True), [Door(0, 1, "Main entrance")])
        await operator_keys.add_key(store.uow(), admin, op.id, public_key)
        conc = await operators.add_operator(store.uow(), admin, Operator(
            email="concierge@test.example", login="conc"))
        await operators.grant_site(store.uow(), admin, conc.id, site.id, Profile.CONCIERGE)
        await operator_keys.add_key(store.uow(), admin, conc.id, public_key)
        await operators.set_password(store.uow(), admin, conc.id, PASSWORD)
        old = await operators.add_operator(store.uow(), admin, Operator(
            email="expired@test.example"))
        yesterday = date.today() - timedelta(days=1)
        await operators.grant_site(store.uow(), admin, old.id, site.id, Profile.CONCIERGE,
                                   valid_from=yesterday - timedelta(days=30),
                                   valid_to=yesterday)
        await operator_keys.add_key(store.uow(), admin, old.id, public_key)
        return SSHEstate(db, site.id, block.id)
    finally:
        await store.close()
