"""Logging in: by key or password, refused outside validity, with no site, when disabled,
or for strangers; every login, logout and refusal audited with the client's address,
never with the password."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pytest

from core.errors import PermissionDenied
from core.model import AuditEntry, Operator, Site
from core.rights import Profile
from core.services import logins, operator_keys, operators, sites
from tests.conftest import fixed_clock
from tests.test_operator_keys import make_key

PASSWORD = "correct horse battery"
SOURCE = "203.0.113.7:51022"


@dataclass(frozen=True)
class Row:
    name: str
    who: str
    key: str | None = None  # "right", "wrong", "malformed"
    password: str | None = None
    refused: str | None = None  # the audited reason (a part of it); None = let in
    told: str | None = None  # what the client is told, when not the generic refusal


ROWS = [
    Row("right key", "desk@test.example", key="right"),
    Row("right key, email in capitals", "Desk@Test.Example", key="right"),
    Row("right key, short login name", "desk", key="right"),
    Row("wrong key", "desk@test.example", key="wrong", refused="key not recognised"),
    Row("malformed key", "desk@test.example", key="malformed", refused="malformed key"),
    Row("right password", "desk@test.example", password=PASSWORD),
    Row("wrong password", "desk@test.example", password="incorrect horse",
        refused="wrong password"),
    Row("password never set", "nopw@test.example", password=PASSWORD,
        refused="no password set"),
    Row("disabled", "gone@test.example", key="right", refused="is disabled",
        told="is disabled"),
    Row("disabled, wrong key: told nothing", "gone@test.example", key="wrong",
        refused="key not recognised"),
    Row("expired grant", "expired@test.example", key="right", refused="no site whose access",
        told="no site whose access"),
    Row("grant not yet started", "future@test.example", key="right",
        refused="no site whose access", told="no site whose access"),
    Row("no site", "nosite@test.example", key="right", refused="has no site",
        told="has no site"),
    Row("grant starts today in the site's timezone (UTC+14)", "kiribati@test.example",
        key="right"),
    Row("site creator without a grant", "creator@test.example", key="right"),
    Row("unknown operator, key", "ghost@test.example", key="right",
        refused="unknown operator"),
    Row("unknown operator, password", "ghost", password=PASSWORD, refused="unknown operator"),
]


@pytest.fixture
async def people(store, admin, estate, tmp_path):
    """Operators in every state, each with the same key K (a spare key W is nobody's)."""
    right = make_key(tmp_path).read_text()
    wrong = make_key(tmp_path).read_text()
    far = await sites.create_site(store.uow(), admin, Site(name="Far", timezone="Pacific/Kiritimati"))
    specs = {
        "desk@test.example": dict(login="desk", profile=Profile.CONCIERGE, password=PASSWORD),
        "nopw@test.example": dict(profile=Profile.CONCIERGE),
        "gone@test.example": dict(profile=Profile.CONCIERGE, active=False),
        "expired@test.example": dict(profile=Profile.CONCIERGE, valid_from=date(2026, 1, 1),
                                     valid_to=date(2026, 11, 26)),
        "future@test.example": dict(profile=Profile.CONCIERGE, valid_from=date(2026, 11, 28)),
        "nosite@test.example": dict(),
        # 10:00 UTC on 27 November is already 28 November on Kiritimati
        "kiribati@test.example": dict(profile=Profile.CONCIERGE, site=far.id,
                                      valid_from=date(2026, 11, 28)),
        "creator@test.example": dict(can_create_sites=True),
    }
    for email, spec in specs.items():
        op = await operators.add_operator(store.uow(), admin, Operator(
            email=email, login=spec.get("login"),
            can_create_sites=spec.get("can_create_sites", False)),
            password=spec.get("password"))
        if "profile" in spec:
            await operators.grant_site(store.uow(), admin, op.id,
                                       spec.get("site", estate.site.id), spec["profile"],
                                       valid_from=spec.get("valid_from"),
                                       valid_to=spec.get("valid_to"))
        await operator_keys.add_key(store.uow(), admin, op.id, right)
        if spec.get("active") is False:
            await operators.set_active(store.uow(), admin, op.id, False)
    return {"right": right, "wrong": wrong, "malformed": "ssh-ed25519 AAAA!!"}


async def _last_audit(store) -> AuditEntry:
    async with store.reader() as uow:
        return (await uow.find(AuditEntry, order_by="id"))[-1]


async def test_login_table(store, people):
    problems = []
    for row in ROWS:
        key = people[row.key] if row.key else None
        try:
            op = await logins.login(store.uow(), row.who, public_key=key,
                                    password=row.password, source=SOURCE, clock=fixed_clock)
        except PermissionDenied as err:
            entry = await _last_audit(store)
            if row.refused is None:
                problems.append(f"{row.name}: refused ({err.message})")
            elif entry.action != "session.refused" or row.refused not in entry.after["reason"]:
                problems.append(f"{row.name}: audited {entry.action} {entry.after}")
            elif (row.told or logins.REFUSED) not in err.message:
                problems.append(f"{row.name}: told {err.message!r}")
        else:
            entry = await _last_audit(store)
            if row.refused is not None:
                problems.append(f"{row.name}: let in")
            elif (entry.action, entry.actor, entry.entity_id) != ("session.login", op.email,
                                                                  op.id):
                problems.append(f"{row.name}: audited {entry.action} by {entry.actor}")
        if entry.source != SOURCE:
            problems.append(f"{row.name}: source {entry.source!r}")
        if PASSWORD in json.dumps(entry.after) or "incorrect horse" in json.dumps(entry.after):
            problems.append(f"{row.name}: the password reached the audit trail")
    assert problems == []
    assert (await store.verify_audit()).ok


async def test_a_key_login_records_the_fingerprint_and_logout_is_audited(store, people):
    op = await logins.login(store.uow(), "desk", public_key=people["right"], source=SOURCE,
                            clock=fixed_clock)
    entry = await _last_audit(store)
    assert entry.after["method"] == "key" and entry.after["fingerprint"].startswith("SHA256:")
    await logins.logout(store.uow(), op, source=SOURCE, clock=fixed_clock)
    entry = await _last_audit(store)
    assert (entry.action, entry.actor, entry.source) == ("session.logout", op.email, SOURCE)


async def test_checking_who_may_log_in_is_not_audited(store, people):
    before = await _last_audit(store)
    op = await logins.login(store.uow(), "DESK@test.example", source=SOURCE, clock=fixed_clock)
    assert op.email == "desk@test.example"
    for who in ("ghost@test.example", "gone@test.example", "nosite@test.example"):
        with pytest.raises(PermissionDenied) as err:
            await logins.login(store.uow(), who, source=SOURCE, clock=fixed_clock)
        assert err.value.message == logins.REFUSED  # a stranger learns nothing
    assert (await _last_audit(store)).id == before.id


async def test_has_keys(store, admin, people):
    assert await logins.has_keys(store.uow(), "desk")
    assert await logins.has_keys(store.uow(), "Desk@Test.Example")
    assert not await logins.has_keys(store.uow(), "ghost@test.example")
    assert not await logins.has_keys(store.uow(), admin.operator.email)


async def test_a_hostile_source_is_made_printable(store, people):
    with pytest.raises(PermissionDenied):
        await logins.login(store.uow(), "desk", password="nope nope nope",
                           source="\x1b[2J" + "x" * 500, clock=fixed_clock)
    entry = await _last_audit(store)
    assert entry.source == "x" * 120
