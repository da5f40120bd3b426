"""The worker's garbage collection policy: apps frozen once open, their cycles reclaimed
after they close (console/ssh/gc_policy.py)."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from console.ssh.gc_policy import GcPolicy


class Node:
    """Stands for an app's widgets: parent and child refer to each other."""

    def __init__(self) -> None:
        self.child: Node | None = None
        self.parent: Node | None = None


def cycle() -> weakref.ref:
    parent, child = Node(), Node()
    parent.child, child.parent = child, parent
    return weakref.ref(parent)


@pytest.fixture
def policy():
    yield (made := GcPolicy(settle=0.05, every=3600))
    made.stop()
    gc.unfreeze()


async def test_what_lives_is_frozen_every_few_seconds(policy):
    policy.start()
    before = gc.get_freeze_count()
    keep = [Node() for _ in range(1000)]  # a new app's objects
    await asyncio.sleep(0.2)
    assert gc.get_freeze_count() >= before + 1000
    del keep


async def test_a_closed_sessions_cycles_are_reclaimed_after_it_ends(policy):
    policy.start()
    ref = cycle()
    await asyncio.sleep(0.2)  # frozen: an ordinary collection no longer sees it
    gc.collect()
    assert ref() is not None
    policy.session_closed()
    await asyncio.sleep(0.2)
    assert ref() is None and policy.cleanups == 1 and policy.last_cleanup_s > 0


async def test_nothing_is_cleaned_while_nobody_leaves_until_the_period(policy):
    policy.start()
    await asyncio.sleep(0.2)
    assert policy.cleanups == 0
    policy.every = 0.1
    await asyncio.sleep(0.2)
    assert policy.cleanups >= 1
