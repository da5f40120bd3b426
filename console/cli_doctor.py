"""`doorkeeper doctor`: name what is wrong with a store and how to recover it."""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import sys

from core.config import Config
from core.text import safe_text


def register(sub, common: argparse.ArgumentParser) -> None:
    """Add the `doctor` command to the CLI."""
    sub.add_parser("doctor", parents=[common],
                   help="check a store: integrity, leftover WAL, schema, free space")


def run(args: argparse.Namespace, config: Config) -> int:
    """Print each finding (problems first, then notes); exit 1 if any is a problem."""
    from store.doctor import examine, examine_server

    if config.store.url.startswith("postgresql") and not args.db:
        from sqlalchemy.engine import make_url

        db = make_url(config.store.url).render_as_string(hide_password=True)
        # the command runs inside the CLI's event loop: the server's checks get their own
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            findings = pool.submit(asyncio.run, examine_server(config.store.url)).result()
    else:
        db = args.db or config.store.path
        findings = examine(db)
    problems = [f for f in findings if f.problem]
    print(f"Store {safe_text(str(db))}:")
    for finding in problems + [f for f in findings if not f.problem]:
        mark = "PROBLEM" if finding.problem else "ok"
        print(f"  {mark}: {safe_text(finding.what)}")
        if finding.how:
            print(f"      what to do: {safe_text(finding.how)}")
    print("Nothing wrong found." if not problems
          else f"{len(problems)} problem(s) found.", file=sys.stdout if not problems
          else sys.stderr)
    return 1 if problems else 0
