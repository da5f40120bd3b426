"""Operator passwords, hashed with argon2 (never stored or logged in clear)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.errors import ValidationError

PASSWORD_MIN = 10
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of a password of at least 10 characters."""
    if len(password) < PASSWORD_MIN:
        raise ValidationError(f"A password needs at least {PASSWORD_MIN} characters.",
                              field="password")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if the password matches the stored hash."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
