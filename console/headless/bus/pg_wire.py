"""The PostgreSQL bus's wire: channels, envelopes, NOTIFY's size limit (a larger message
by reference in the UNLOGGED table ``bus_payloads``), and connecting (:mod:`.pg`)."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from core.errors import ConfigError

TO_CONSOLES = "doorkeeper_bus"
TO_GATEWAYS = "doorkeeper_gateway"
#: NOTIFY's limit is 8,000 bytes; larger envelopes go by reference
MAX_NOTIFY = 7_900
#: the claims a gateway holds while its bus is open (session advisory locks, two int4
#: keys): (CLAIMS, 0) is every site's, exclusive for a gateway of every site and shared
#: for a site gateway, which also holds (CLAIMS, site id) for each of its sites
CLAIMS = 0x646B
PAYLOAD_TTL_S = 60.0
#: messages kept while PostgreSQL is away; past it the oldest go (every console reloads
#: its views from the store when its connection comes back, as after a dropped socket)
MAX_UNSENT = 10_000
#: a console's messages handled at once; the next wait their turn, in order, up to
#: MAX_WAITING (a burst of 2,000 open_door is carried out one by one; a flood is cut)
MAX_IN_FLIGHT = 8
MAX_WAITING = 5_000

PAYLOAD_TABLE = """CREATE UNLOGGED TABLE IF NOT EXISTS bus_payloads (
    id bigserial PRIMARY KEY, body text NOT NULL, at timestamptz NOT NULL DEFAULT now())"""
#: its maker's transaction advisory lock (one int8 key, beside store/postgres.py's)
PAYLOAD_MAKER = 0x646B_0000_0005


async def make_payload_table(conn: asyncpg.Connection) -> None:
    """The payload table, made once: gateways starting together each ask for it, and
    CREATE ... IF NOT EXISTS alone still races in the catalog (one of them then stopped
    on "duplicate key value violates unique constraint pg_type_typname_nsp_index")."""
    async with conn.transaction():
        await conn.execute(f"SELECT pg_advisory_xact_lock({PAYLOAD_MAKER})")
        await conn.execute(PAYLOAD_TABLE)


def console_channel(console_id: str) -> str:
    return f"doorkeeper_console_{console_id}"


def dsn(url: str) -> str:
    """asyncpg's DSN for a store URL (``postgresql+asyncpg://…`` → ``postgresql://…``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ConfigError(f"the PostgreSQL bus needs a postgresql:// store URL, not "
                          f"{parsed.get_backend_name()!r}")
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


async def connect_pg(url: str, what: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(dsn(url), timeout=10,
                                     server_settings={"application_name": what})
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise ConfigError(f"cannot reach PostgreSQL for the bus: {exc}") from None


async def claim_sites(conn: asyncpg.Connection, sites: dict[int, str] | None) -> None:
    """Take a gateway's claims on `conn` ({id: name}, None for every site); ConfigError
    naming what another gateway holds (the caller closes `conn`, which releases any
    claim already taken)."""
    if sites is None:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1, 0)", CLAIMS):
            raise ConfigError("another gateway already serves this store (or some of its "
                              "sites): a gateway for every site runs alone")
        return
    if not await conn.fetchval("SELECT pg_try_advisory_lock_shared($1, 0)", CLAIMS):
        raise ConfigError("every site of this store is already served by another gateway "
                          "(one started without --site)")
    for site_id, name in sorted(sites.items()):
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", CLAIMS, site_id):
            raise ConfigError(f"site {name} is already served by another gateway")


def encode(envelope: dict[str, Any]) -> str:
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


async def notify_all(conn: asyncpg.Connection, channel: str, envelopes: list[str]) -> None:
    """Send envelopes on a channel in one statement (one round trip, one transaction, so
    in this order), a large one by reference."""
    small: list[str] = []
    for text in envelopes:
        if len(text.encode()) <= MAX_NOTIFY:
            small.append(text)
        else:
            ref = await conn.fetchval("INSERT INTO bus_payloads (body) VALUES ($1) RETURNING id",
                                      text)
            small.append(encode({"ref": ref}))
    await conn.execute("SELECT pg_notify($1, x) FROM unnest($2::text[]) WITH ORDINALITY "
                       "AS t(x, n) ORDER BY n", channel, small)


async def open_envelope(conn: asyncpg.Connection, payload: str) -> dict[str, Any] | None:
    """The envelope a notification carries (fetched when by reference); None if bad."""
    try:
        envelope = json.loads(payload)
        if isinstance(envelope, dict) and set(envelope) == {"ref"}:
            body = await conn.fetchval("SELECT body FROM bus_payloads WHERE id = $1",
                                       int(envelope["ref"]))
            envelope = json.loads(body) if body is not None else None
    except (ValueError, TypeError, asyncpg.PostgresError):
        return None
    return envelope if isinstance(envelope, dict) and isinstance(envelope.get("m"), dict) \
        else None
