"""`doorkeeper operator …`: operators, their sites and their keys (issue 5; being built)."""

from __future__ import annotations

import argparse

from core.config import Config
from core.errors import DoorkeeperError


def register(sub, common: argparse.ArgumentParser) -> None:
    """Add the `operator` command to the CLI."""


async def run(args: argparse.Namespace, config: Config) -> int:
    raise DoorkeeperError("`doorkeeper operator` is not built yet.")
