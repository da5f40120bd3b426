"""An administrator setting a password (a new operator's, or a new one for someone)
hashes it off the event loop and outside the store's write lock, as logins check
theirs (tests/test_logins_off_loop.py): the real argon2 runs, and while it does the
loop keeps its thread and another connection takes the write lock and commits."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from core import passwords
from core.errors import ValidationError
from core.model import Operator
from core.services import operators

PASSWORD = "correct horse battery"


class WhileHashing:
    """Wraps hash_password (the real one still runs): records the thread it runs on,
    and has another connection take the write lock (waiting at most 2 s) and commit."""

    def __init__(self, db: str) -> None:
        self.db = db
        self.threads: list[int] = []
        self.locked: list[str] = []
        self.real = passwords.hash_password

    def hash(self, password: str) -> str:
        self.threads.append(threading.get_ident())
        con = sqlite3.connect(self.db, timeout=2, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("COMMIT")
        except sqlite3.OperationalError as err:
            self.locked.append(str(err))
        finally:
            con.close()
        return self.real(password)


async def test_new_passwords_are_hashed_off_the_loop_and_outside_the_lock(
        store, admin, estate, monkeypatch):
    spy = WhileHashing(store.where)
    monkeypatch.setattr(passwords, "hash_password", spy.hash)
    op = await operators.add_operator(store.uow(), admin, Operator(email="desk@test.example"),
                                      password=PASSWORD)
    await operators.set_password(store.uow(), admin, op.id, PASSWORD + " again")
    assert len(spy.threads) == 2 and threading.get_ident() not in spy.threads
    assert spy.locked == []
    async with store.reader() as uow:
        stored = await uow.get(Operator, op.id)
    assert stored is not None and passwords.verify_password(stored.password_hash,
                                                            PASSWORD + " again")


async def test_a_short_password_is_refused_before_any_hashing(store, admin, monkeypatch):
    spy = WhileHashing(store.where)
    monkeypatch.setattr(passwords, "hash_password", spy.hash)
    with pytest.raises(ValidationError, match="at least 10 characters"):
        await operators.set_password(store.uow(), admin, admin.operator.id, "short")
    assert spy.threads == []
