"""Every service × every profile: the services enforce core.rights' matrix.

One table row per service call: the rights it needs (or a marker for the
site-creator-only and own-account calls), an optional setup done by the
administrator, and the call itself. Each row is run as an operator of every
profile (Administration, Management, Concierge, Technical maintenance, a Custom
set of rights), as a site creator with a Concierge profile, and as four
operators who must be refused whatever their profile says: grant expired, grant
not yet started, no grant on the site, deactivated. The expected outcome is
computed from core.rights; a refusal must raise PermissionDenied and leave every
row of the database untouched.

The table's rows are in tests/rights_table.py, the operators and what a row is in
tests/rights_cases.py; tests/test_rights_table.py checks the table covers every service.

Speed: building the fixture estate costs about half a second and every commit
tens of milliseconds, and there are several hundred tests. So the estate
(conftest's `estate` fixture, built through the services) and the operators are
built once and saved as a base database file; each case's setup runs once, as
the administrator, on its own copy of the base; and each test runs its call on
a fresh copy of its case's file.
"""

from __future__ import annotations

import copy
import shutil
import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from core.errors import PermissionDenied
from core.model import Operator
from core.rights import Profile
from core.services import operators
from core.services.base import Actor
from store.database import Store
from tests.conftest import SmallEstate, dump_database, fixed_clock
from tests.rights_cases import CUSTOM_RIGHTS, EVERYONE, Case, Who
from tests.rights_table import CASES


def db_path(store: Store) -> Path:
    return Path(store.where)


# --- the database each test starts from -------------------------------------------


@dataclass
class Base:
    """The estate with its operators, saved once; what the tests copy."""

    path: Path
    admin: Operator
    estate: SmallEstate
    operators: dict[str, Operator]
    case_templates: dict[str, tuple[Path, Any]]  # case name -> database after its setup


_BASE = pytest.StashKey[Base]()


@pytest.fixture
async def _estate_with_operators(store, admin, estate) -> dict[str, Operator]:
    """conftest's small estate plus one operator per Who, all made by the administrator."""
    made = {}
    for who in EVERYONE:
        op = await operators.add_operator(store.uow(), admin, Operator(
            email=who.email, can_create_sites=who.can_create_sites))
        if who.profile is not None:
            await operators.grant_site(
                store.uow(), admin, op.id, estate.site.id, who.profile,
                custom=CUSTOM_RIGHTS if who.profile is Profile.CUSTOM else None,
                valid_from=who.valid_from, valid_to=who.valid_to)
        if not who.active:
            async with store.uow() as uow:
                op.active = False
                await uow.update(op)
                await uow.commit()
        made[who.key] = op
    return made


@pytest.fixture
def base(request, tmp_path_factory) -> Base:
    """Build the estate and its operators once (in the first test), then reuse a copy."""
    if _BASE not in request.config.stash:
        ops = request.getfixturevalue("_estate_with_operators")
        store = request.getfixturevalue("store")
        path = tmp_path_factory.mktemp("rights-base") / "doorkeeper.db"
        src, dst = sqlite3.connect(db_path(store)), sqlite3.connect(path)
        try:
            src.backup(dst)  # a consistent copy, WAL included
        finally:
            src.close()
            dst.close()
        request.config.stash[_BASE] = Base(path, request.getfixturevalue("admin").operator,
                                           request.getfixturevalue("estate"), ops, {})
    return request.config.stash[_BASE]


def _copy(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    return dst


async def _case_template(base: Base, case: Case, admin: Actor,
                         tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """The base plus what the case's setup made (done once per case, by the admin)."""
    if case.name not in base.case_templates:
        path = base.path
        prepared = None
        if case.setup is not None:
            path = _copy(base.path, tmp_path_factory.mktemp("rights-case") / "doorkeeper.db")
            store = await Store.open(path=path, migrate=False)
            try:
                prepared = await case.setup(store, admin, base.estate)
            finally:
                await store.close()
        base.case_templates[case.name] = (path, prepared)
    return base.case_templates[case.name]


# --- the tests ----------------------------------------------------------------------


def _params():
    for case in CASES:
        for who in EVERYONE:
            allowed = case.allows(who)
            marks = ()
            if case.bug and not allowed:
                marks = pytest.mark.xfail(strict=True, raises=AssertionError, reason=case.bug)
            yield pytest.param(case, who, allowed, marks=marks, id=f"{case.name}-{who.key}")


def _last_audit_actor(path: Path) -> str:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT actor FROM audit_entries ORDER BY id DESC LIMIT 1").fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize(("case", "who", "allowed"), list(_params()))
async def test_service_enforces_rights(base: Base, tmp_path, tmp_path_factory, case: Case,
                                       who: Who, allowed: bool):
    admin = Actor(replace(base.admin), source="test", clock=fixed_clock)
    template, prepared = await _case_template(base, case, admin, tmp_path_factory)
    # not doorkeeper.db: the first test built the base in its own store, still open there
    path = _copy(template, tmp_path / "case.db")
    actor = Actor(replace(base.operators[who.key]), source="test", clock=fixed_clock)
    assert actor.operator.active is who.active
    estate, prepared = copy.deepcopy((base.estate, prepared))
    store = await Store.open(path=path, migrate=False)  # the base was migrated when built
    try:
        before = dump_database(path)
        if allowed:
            await case.call(store, actor, estate, prepared)
            assert dump_database(path) != before, "an allowed call changed nothing"
            assert _last_audit_actor(path) == who.email
        else:
            try:
                await case.call(store, actor, estate, prepared)
            except PermissionDenied as err:
                assert who.email in err.message
            else:
                raise AssertionError(f"{who.key} was allowed {case.name}")
            assert dump_database(path) == before, "a refused call changed the database"
    finally:
        await store.close()
