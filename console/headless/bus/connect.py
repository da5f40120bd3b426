"""Which transport a bus address names: a Unix socket's path, or a PostgreSQL URL.

On a store in PostgreSQL the bus is its LISTEN/NOTIFY (:mod:`.pg`), so consoles and
`serve` on other machines reach the gateway through the database they already use; on
SQLite it is the Unix socket beside the store (:mod:`.server`, :mod:`.client`).
"""

from __future__ import annotations

from pathlib import Path

from console.headless.bus.client import BusClient
from core import bus_schema
from core.bus import ConsoleBus, GatewayBus, MessageHandler

PG_SCHEMES = ("postgresql://", "postgresql+asyncpg://", "postgres://")


def is_pg(address: str) -> bool:
    """True when the bus address is a PostgreSQL URL."""
    return address.startswith(PG_SCHEMES)


def shown(address: str) -> str:
    """The address for a log line or a message: a URL's password hidden."""
    if not is_pg(address):
        return address
    from sqlalchemy.engine import make_url

    try:
        return make_url(address).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL SQLAlchemy cannot read: show its scheme only
        return address.split("://", 1)[0] + "://…"


def may_answer(address: str) -> bool:
    """Whether a gateway may be listening there: a socket file exists, or PostgreSQL
    (asked by connecting)."""
    return is_pg(address) or Path(address).exists()


async def connect(address: str) -> ConsoleBus:
    """A console's end of the bus at `address`.

    Raises:
        ConfigError: nobody listens there, or PostgreSQL cannot be reached.
    """
    if is_pg(address):
        from console.headless.bus.pg import PgConsoleBus  # asyncpg only on PostgreSQL

        return await PgConsoleBus.connect(address)
    return await BusClient.connect(address)


def gateway_bus(address: str, on_message: MessageHandler) -> GatewayBus:
    """The gateway's end of the bus at `address` (started by the gateway)."""
    if is_pg(address):
        from console.headless.bus.pg import PgGatewayBus

        return PgGatewayBus(address, on_message, check=bus_schema.check)
    from console.headless.bus.server import BusServer

    return BusServer(address, on_message, check=bus_schema.check)
