"""`doorkeeper operator …`: operators (the guide's users), their sites and their SSH keys.

    operator add EMAIL --profile PROFILE --site SITE [--site …] [--key PUBKEY_FILE]
                 [--password] [--from DATE] [--to DATE] [--name NAME] [--login LOGIN]
                 [--right AREA:ACTION …]          (rights of a Custom profile)
    operator list
    operator remove EMAIL                          (deactivates: history and grants stay)
    operator password EMAIL
    operator key add EMAIL PUBKEY_FILE             ("-" reads the key line from stdin)
    operator key remove EMAIL FINGERPRINT|PUBKEY_FILE
    operator key list EMAIL

The CLI acts as the first administrator (the one `doorkeeper init` made), through
the same services as the console, so every change is checked and audited. Bad
input is one line on stderr, exit code 2, and nothing changed: everything `add`
needs is checked before the first change.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import date

from console.cli_output import cli_date, say
from console.cli_store import open_existing
from core import rules
from core.config import Config
from core.errors import DoorkeeperError, NotFound, ValidationError
from core.keys import PublicKey, parse_public_key
from core.model import Operator, OperatorKey, Site, id_of
from core.passwords import hash_password
from core.rights import Profile, rights_for
from core.services import operator_keys, operators
from core.services.base import Actor
from core.services.logins import find_operator
from core.text import safe_text
from core.views.rows import OperatorRow
from store.database import Store
from store.operator_queries import operator_rows


def register(sub, common: argparse.ArgumentParser) -> None:
    """Add the `operator` command to the CLI."""
    op = sub.add_parser("operator", help="operators: add, list, remove; their SSH keys")
    # sub-commands parse with the CLI's own (one-line-error) parser class, as `op` does
    ops = op.add_subparsers(dest="operator_command", required=True, parser_class=type(op))

    add = ops.add_parser("add", parents=[common], help="add an operator with a profile on sites")
    add.add_argument("email")
    add.add_argument("--profile", required=True,
                     help="; ".join(p.value for p in Profile))
    add.add_argument("--site", action="append", required=True, metavar="SITE",
                     help="site name or id (repeat for several)")
    add.add_argument("--key", metavar="PUBKEY_FILE", help="an OpenSSH public key file")
    add.add_argument("--password", action="store_true",
                     help="ask for a password (read from stdin when not a terminal)")
    add.add_argument("--from", dest="valid_from", type=cli_date, metavar="DATE")
    add.add_argument("--to", dest="valid_to", type=cli_date, metavar="DATE")
    add.add_argument("--name", default="", help="name and first name")
    add.add_argument("--login", help="short login name (the SSH user name)")
    add.add_argument("--right", action="append", default=[], metavar="AREA:ACTION",
                     help="a right of a Custom profile, e.g. flats:modify (repeat)")

    ops.add_parser("list", parents=[common], help="operators, their sites and keys")
    rm = ops.add_parser("remove", parents=[common],
                        help="deactivate an operator (history and grants are kept)")
    rm.add_argument("email")
    pw = ops.add_parser("password", parents=[common], help="set an operator's password")
    pw.add_argument("email")

    key = ops.add_parser("key", help="an operator's SSH public keys")
    keys = key.add_subparsers(dest="key_command", required=True, parser_class=type(key))
    kadd = keys.add_parser("add", parents=[common], help="add a public key")
    kadd.add_argument("email")
    kadd.add_argument("file", metavar="PUBKEY_FILE", help='public key file, "-" for stdin')
    krm = keys.add_parser("remove", parents=[common], help="remove a public key")
    krm.add_argument("email")
    krm.add_argument("which", metavar="FINGERPRINT|PUBKEY_FILE")
    klist = keys.add_parser("list", parents=[common], help="list an operator's keys")
    klist.add_argument("email")


# --- reading input ---------------------------------------------------------------------


#: a public key file is one line of at most a few KB; more is not one
KEY_FILE_MAX = 64 * 1024


def _read_key(path: str) -> PublicKey:
    """The key of a file (or stdin), checked. At most KEY_FILE_MAX is read: a device, a
    FIFO or stdin has no size to check first, and /dev/zero never ends."""
    try:
        if path == "-":
            text = sys.stdin.read(KEY_FILE_MAX + 1)
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read(KEY_FILE_MAX + 1)
    except UnicodeDecodeError as err:
        raise ValidationError(f"{path} is not a public key file (not UTF-8 text).") from err
    except OSError as err:
        raise ValidationError(f"Cannot read {path}: {err.strerror or err}.") from err
    if len(text) > KEY_FILE_MAX:
        raise ValidationError(f"{path} is too large to be a public key file.")
    if "PRIVATE KEY" in text:
        raise ValidationError(f"{path} is a private key, which stays with its owner: give "
                              "its public key (the .pub file beside it).")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if len(lines) != 1:
        raise ValidationError(f"{path} should hold exactly one public key line.")
    return parse_public_key(lines[0])


#: the longest password read from stdin
PASSWORD_LINE_MAX = 1024


def _read_password() -> str:
    """Twice at a terminal; one line from stdin for scripts."""
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            raise ValidationError("The two passwords differ; nothing changed.")
    else:  # a bounded read: stdin may be /dev/zero, or a file with no end of line
        line = sys.stdin.readline(PASSWORD_LINE_MAX + 1)
        if len(line.rstrip("\r\n")) > PASSWORD_LINE_MAX:
            raise ValidationError(f"A password is at most {PASSWORD_LINE_MAX} characters; "
                                  "give it as the first line of stdin.")
        first = line.rstrip("\r\n")
    hash_password(first)  # the length rule, before any change
    return first


def _profile(value: str) -> Profile:
    """A profile by its name in any case, with "-" or "_" for spaces; the core refuses others."""
    wanted = value.strip().replace("-", " ").replace("_", " ").casefold()
    found = next((p for p in Profile if p.value.casefold() == wanted), None)
    if found is None:
        rights_for(value)  # not a profile's name: the core's "Unknown profile …" error
    return found or Profile(value)


# --- acting -------------------------------------------------------------------------------


async def _admin(store: Store) -> Actor:
    """The first active operator who may create sites (the one `init` made)."""
    async with store.reader() as uow:
        for op in await uow.find(Operator, order_by="id"):
            if op.active and op.can_create_sites:
                return Actor(op, source="cli")
    raise DoorkeeperError("The store has no administrator: run `doorkeeper init --admin EMAIL`.")


async def _site(store: Store, name_or_id: str) -> Site:
    async with store.reader() as uow:
        sites = await uow.find(Site)
    for site in sites:
        if str(site.id) == name_or_id.strip() or site.name.casefold() == \
                name_or_id.strip().casefold():
            return site
    raise NotFound(f"No site is called {name_or_id!r}.")


async def _operator(store: Store, email: str) -> Operator:
    """The operator with this email (any case) or login name, as the login finds them."""
    async with store.reader() as uow:
        found = await find_operator(uow, email)
    if found is None:
        raise NotFound(f"No operator is called {email!r}.")
    return found


async def _add(store: Store, actor: Actor, args: argparse.Namespace) -> int:
    # Check everything first: a refused add changes nothing.
    profile = _profile(args.profile)
    custom = args.right if profile is Profile.CUSTOM else None
    if args.right and profile is not Profile.CUSTOM:
        raise ValidationError("--right goes with --profile Custom only.")
    rights_for(profile, custom)
    rules.validity_dates(args.valid_from, args.valid_to)
    sites: list[Site] = []
    for name in args.site:
        site = await _site(store, name)
        if site.id not in {s.id for s in sites}:
            sites.append(site)
    key = _read_key(args.key).line if args.key else None
    password = _read_password() if args.password else None

    op = await operators.add_operator(store.uow(), actor, Operator(
        email=args.email, name=args.name, login=args.login), password=password)
    for site in sites:
        await operators.grant_site(store.uow(), actor, id_of(op), id_of(site), profile,
                                   custom=custom,
                                   valid_from=args.valid_from, valid_to=args.valid_to)
    if key:
        await operator_keys.add_key(store.uow(), actor, id_of(op), key)
    where = ", ".join(s.name for s in sites)
    say(f"Operator {op.email} added: {profile.value} on {safe_text(where)}"
          f"{' with a key' if key else ''}{' and a password' if password else ''}.")
    return 0


def _validity(row_from: date | None, row_to: date | None) -> str:
    if row_from is None and row_to is None:
        return "permanent"
    return f"{row_from or '…'}..{row_to or '…'}"


def _table(rows: list[OperatorRow]) -> str:
    head = ("EMAIL", "LOGIN", "STATUS", "SITES (PROFILE, VALIDITY)", "KEYS")
    lines: list[tuple[str, ...]] = [head]
    for row in rows:
        op = row.operator
        sites = "; ".join(f"{g.site}: {g.profile} ({_validity(g.valid_from, g.valid_to)})"
                          for g in row.grants) or "-"
        if op.can_create_sites:
            sites = "creates sites; " + sites if row.grants else "creates sites"
        lines.append(tuple(safe_text(c) for c in (
            op.email, op.login or "-", "active" if op.active else "disabled", sites,
            str(len(row.keys)))))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head) - 1)]
    return "\n".join("  ".join([*(c.ljust(w) for c, w in zip(line[:-1], widths, strict=True)),
                                line[-1]]) for line in lines)


async def _key_rows(store: Store, email: str) -> tuple[Operator, list[OperatorKey]]:
    op = await _operator(store, email)
    async with store.reader() as uow:
        return op, await uow.find(OperatorKey, operator_id=op.id)


async def _key_remove(store: Store, actor: Actor, args: argparse.Namespace) -> int:
    op, keys = await _key_rows(store, args.email)
    which = args.which.strip()
    fingerprint = which if which.startswith("SHA256:") else _read_key(which).fingerprint
    found = [k for k in keys if k.fingerprint == fingerprint]
    if not found:
        raise NotFound(f"{op.email} has no key {safe_text(fingerprint)}.")
    await operator_keys.remove_key(store.uow(), actor, id_of(found[0]))
    say(f"Key {fingerprint} of {op.email} removed.")
    return 0


async def _dispatch(store: Store, args: argparse.Namespace) -> int:
    command = args.operator_command
    if command == "list":
        say(_table(await operator_rows(store)))
        return 0
    if command == "key" and args.key_command == "list":
        op, keys = await _key_rows(store, args.email)
        for k in keys:
            say(f"{k.fingerprint}  {k.key.split()[0]}  {safe_text(k.comment)}")
        if not keys:
            say(f"{op.email} has no key.")
        return 0
    actor = await _admin(store)
    if command == "add":
        return await _add(store, actor, args)
    if command == "remove":
        op = await _operator(store, args.email)
        if not op.active:  # a second remove changes nothing, and audits nothing
            say(f"Operator {op.email} is already deactivated; nothing changed.")
            return 0
        await operators.set_active(store.uow(), actor, id_of(op), False)
        say(f"Operator {op.email} deactivated (history and sites kept).")
        return 0
    if command == "password":
        op = await _operator(store, args.email)
        await operators.set_password(store.uow(), actor, id_of(op), _read_password())
        say(f"Password of {op.email} set.")
        return 0
    if args.key_command == "add":
        op = await _operator(store, args.email)
        key = await operator_keys.add_key(store.uow(), actor, id_of(op),
                                          _read_key(args.file).line)
        say(f"Key {key.fingerprint} added to {op.email}.")
        return 0
    return await _key_remove(store, actor, args)


async def run(args: argparse.Namespace, config: Config) -> int:
    """Run one `doorkeeper operator …` command."""
    store = await open_existing(config, args.db)
    try:
        return await _dispatch(store, args)
    finally:
        await store.close()
