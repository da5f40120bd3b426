"""`doorkeeper serve`: the gateway plus SSH worker processes sharing one port (issue 5)."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
from pathlib import Path

from core.config import Config, check_ssh, split_listen
from core.errors import DoorkeeperError
from core.text import safe_text


def register(sub, common: argparse.ArgumentParser) -> None:
    """Add the `serve` command to the CLI."""
    serve = sub.add_parser(
        "serve", parents=[common],
        help="serve the console over SSH: the gateway plus SSH worker processes")
    serve.add_argument("--listen", metavar="HOST:PORT",
                       help="address the workers listen on (default 127.0.0.1:2222)")
    serve.add_argument("--workers", type=int, metavar="N",
                       help="SSH worker processes (default one per core)")
    serve.add_argument("--host-key", metavar="FILE",
                       help="ed25519 host key, made on first start (default beside the db)")
    serve.add_argument("--simulate", action="store_true",
                       help="add the simulator over the store's devices")
    serve.add_argument("--rate", type=float, help="simulated events per second")
    serve.add_argument("--bus", metavar="PATH", help="the bus socket, overrides the config")
    serve.add_argument("--fingerprint", action="store_true",
                       help="print the host key's SHA256 fingerprint (made if missing) and exit")


async def _resolvable(listen: str, what: str) -> None:
    """A host the workers can listen on: a typo is refused here, in one line, rather
    than by each worker in the log after the host key is made."""
    host, port = split_listen(listen, what)
    try:
        await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise DoorkeeperError(f"{what} {safe_text(host)!r}: no such host or address "
                              f"({getattr(err, 'strerror', None) or err}).") from err


async def run(args: argparse.Namespace, config: Config) -> int:
    """Check the settings, make the host key, then supervise until stopped."""
    from console.cli_output import say
    from console.cli_store import bus_beside_db, open_existing
    from console.headless.supervisor import Supervisor, ensure_host_key, host_key_path
    from console.headless.systemd import log_to_journal_or_file
    from core.text import PlainFormatter

    if args.rate is not None and not 0 <= args.rate <= 10_000:
        raise DoorkeeperError("--rate must be 0 to 10000 events per second.")
    if args.workers is not None and not 1 <= args.workers <= 64:
        raise DoorkeeperError("--workers must be 1 to 64.")
    if args.listen:
        split_listen(args.listen, "--listen")
        config.ssh.listen = args.listen
    if args.host_key:
        config.ssh.host_key = args.host_key
    check_ssh(config.ssh)
    if not args.fingerprint:
        await _resolvable(config.ssh.listen, "--listen" if args.listen else "ssh.listen")
    bus_beside_db(config, args)
    store = await open_existing(config, args.db)  # migrates it; never creates one
    db = str(store.local)  # the SQLite file; on PostgreSQL [store] path (logs, host key)
    await store.close()
    key = host_key_path(config, db)
    if args.fingerprint:  # the form `ssh-keygen -lf` and a first ssh connection show
        say(ensure_host_key(key))
        return 0
    say(f"Host key {key}: {ensure_host_key(key)}", flush=True)
    log_to_journal_or_file(None, PlainFormatter)  # the supervisor's own lines, under systemd
    workers = args.workers or config.ssh.workers or os.cpu_count() or 1
    log_path = str(Path(db).with_suffix(".serve.log"))
    return await Supervisor(config, db=db, config_path=args.config, simulate=args.simulate,
                            rate=args.rate, workers=workers, log_path=log_path).run()
