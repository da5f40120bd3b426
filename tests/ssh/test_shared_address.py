"""A desk behind one address (a NAT, a bastion): logins that succeed are never
throttled, while failures from that address still are (tests/ssh/test_serve.py)."""

from __future__ import annotations

import asyncio

import asyncssh

from tests.ssh.conftest import Served
from tests.ssh.test_serve import audit, connect, wait_for


async def test_fifty_key_logins_at_once_from_one_address_all_get_in(served: Served):
    source = "127.0.0.40"
    results = await asyncio.gather(
        *(connect(served, source, username=served.estate.admin,
                  client_keys=[str(served.key)]) for _ in range(50)),
        return_exceptions=True)
    conns = [r for r in results if isinstance(r, asyncssh.SSHClientConnection)]
    try:
        refused = [r for r in results if not isinstance(r, asyncssh.SSHClientConnection)]
        assert not refused, refused[:3]
        assert len(conns) == 50
    finally:
        for conn in conns:
            conn.close()
    wait_for(lambda: len(audit(served, "session.login", source)) == 50, what="50 login audits")
    # the address's bucket is untouched: a password login from it is still checked
    conn = await connect(served, source, username=served.estate.concierge_login,
                         password=served.estate.password)
    conn.close()
