"""Public key lines: every accepted type parses with OpenSSH's fingerprint; bad lines are
refused with the reason; and the key services keep an operator's keys."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.keys import KEY_LINE_MAX, parse_public_key, same_key
from core.model import AuditEntry, OperatorKey
from core.rights import Profile
from core.services import operator_keys, operators
from tests.conftest import dump_store, make_operator

pytestmark = pytest.mark.both_engines

KEYGEN_ARGS = {
    "ssh-ed25519": ["-t", "ed25519"],
    "ecdsa-sha2-nistp256": ["-t", "ecdsa", "-b", "256"],
    "ecdsa-sha2-nistp384": ["-t", "ecdsa", "-b", "384"],
    "ecdsa-sha2-nistp521": ["-t", "ecdsa", "-b", "521"],
    "ssh-rsa": ["-t", "rsa", "-b", "2048"],
}


def make_key(folder: Path, kind: str = "ssh-ed25519", comment: str = "me@desk") -> Path:
    """A new key pair made by ssh-keygen; returns the .pub file."""
    path = folder / f"{kind}-{len(list(folder.iterdir()))}"
    subprocess.run(["ssh-keygen", *KEYGEN_ARGS[kind], "-N", "", "-q", "-C", comment,
                    "-f", str(path)], check=True)
    return path.with_suffix(".pub")


def keygen_fingerprint(pub: Path) -> str:
    out = subprocess.run(["ssh-keygen", "-E", "sha256", "-lf", str(pub)], check=True,
                         capture_output=True, text=True).stdout
    return out.split()[1]


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    return {kind: make_key(folder, kind) for kind in KEYGEN_ARGS}


@pytest.mark.parametrize("kind", sorted(KEYGEN_ARGS))
def test_each_key_type_parses_with_openssh_fingerprint(keys, kind):
    line = keys[kind].read_text()
    key = parse_public_key(line)
    assert key.type == kind
    assert key.comment == "me@desk"
    assert key.fingerprint == keygen_fingerprint(keys[kind])
    assert key.line == line.strip()
    assert same_key(line, key.identity + " another comment")


def _blob(keys, kind="ssh-ed25519") -> str:
    return keys[kind].read_text().split()[1]


BAD = [
    ("empty", lambda k: "", "Paste a public key"),
    ("unknown type", lambda k: "ssh-dss " + _blob(k), "Unknown key type"),
    ("no base64", lambda k: "ssh-ed25519", "base64 part is missing"),
    ("bad base64", lambda k: "ssh-ed25519 AAAA!!!!", "damaged"),
    ("truncated base64", lambda k: "ssh-ed25519 " + _blob(k)[:-3], "damaged"),
    ("type mismatch", lambda k: "ssh-rsa " + _blob(k), "not a ssh-rsa key"),
    ("ecdsa curve mismatch", lambda k: "ecdsa-sha2-nistp384 " + _blob(k, "ecdsa-sha2-nistp256"),
     "not a ecdsa-sha2-nistp384 key"),
    ("not a key blob", lambda k: "ssh-ed25519 " + base64.b64encode(b"hello").decode(),
     "not a ssh-ed25519 key"),
    ("two lines", lambda k: f"ssh-ed25519 {_blob(k)}\nssh-ed25519 {_blob(k)}", "one line"),
    ("too long", lambda k: "ssh-rsa " + "A" * KEY_LINE_MAX, "at most 8 KB"),
]


@pytest.mark.parametrize(("case", "line", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_key_lines_are_refused_with_the_reason(keys, case, line, message):
    with pytest.raises(ValidationError) as err:
        parse_public_key(line(keys))
    assert message in err.value.message
    assert err.value.field == "key"


def test_control_characters_leave_the_comment(keys):
    line = f"ssh-ed25519 {_blob(keys)} \x1b[31mevil\x07 \x9b2J box"
    key = parse_public_key(line)
    assert key.comment == "evil box"
    assert all(c.isprintable() for c in key.line)


def test_a_long_comment_is_cut(keys):
    key = parse_public_key(f"ssh-ed25519 {_blob(keys)} {'x' * 500}")
    assert len(key.comment) == 100


# --- the services -------------------------------------------------------------------


async def _keys_of(store, operator_id):
    async with store.reader() as uow:
        return await uow.find(OperatorKey, operator_id=operator_id)


async def test_an_operator_adds_and_removes_their_own_key(store, admin, estate, keys):
    me = await make_operator(store, admin, "desk@test.example", estate.site.id,
                             Profile.CONCIERGE)
    line = keys["ssh-ed25519"].read_text()
    key = await operator_keys.add_key(store.uow(), me, me.operator.id, line)
    assert key.fingerprint == keygen_fingerprint(keys["ssh-ed25519"])
    assert [k.key for k in await _keys_of(store, me.operator.id)] == [" ".join(line.split()[:2])]
    with pytest.raises(Conflict):
        await operator_keys.add_key(store.uow(), me, me.operator.id, line.strip() + " again")
    await operator_keys.remove_key(store.uow(), me, key.id)
    assert await _keys_of(store, me.operator.id) == []
    with pytest.raises(NotFound):
        await operator_keys.remove_key(store.uow(), me, key.id)
    async with store.reader() as uow:
        actions = [e.action for e in await uow.find(AuditEntry, order_by="id")]
    assert actions[-2:] == ["operator_key.create", "operator_key.delete"]


async def test_a_bad_key_changes_nothing(store, admin, estate):
    before = await dump_store(store)
    with pytest.raises(ValidationError):
        await operator_keys.add_key(store.uow(), admin, admin.operator.id, "ssh-ed25519 AAAA")
    assert await dump_store(store) == before


async def test_a_site_administrator_may_not_take_over_wider_accounts(store, admin, estate,
                                                                     keys):
    """A key opens every site of its owner: a site's administrator may not add one to the
    first administrator, nor to someone who also works on a site they don't run."""
    from core.model import Site
    from core.services import sites

    site_admin = await make_operator(store, admin, "siteadmin@test.example", estate.site.id,
                                     Profile.ADMINISTRATION)
    other = await sites.create_site(store.uow(), admin, Site(name="Other Site"))
    both = await make_operator(store, admin, "both@test.example", estate.site.id,
                               Profile.CONCIERGE)
    await operators.grant_site(store.uow(), admin, both.operator.id, other.id,
                               Profile.CONCIERGE)
    mine = await make_operator(store, admin, "mine@test.example", estate.site.id,
                               Profile.CONCIERGE)
    line = keys["ssh-ed25519"].read_text()
    for target in (admin.operator.id, both.operator.id):
        with pytest.raises(PermissionDenied):
            await operator_keys.add_key(store.uow(), site_admin, target, line)
    await operator_keys.add_key(store.uow(), site_admin, mine.operator.id, line)
    await operator_keys.add_key(store.uow(), admin, both.operator.id, line)
    assert len(await _keys_of(store, both.operator.id)) == 1
