"""One error hierarchy: every refusal is a DoorkeeperError with a clear message."""

from __future__ import annotations


class DoorkeeperError(Exception):
    """Base of every error Doorkeeper raises on purpose; `message` is for people."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: the form field the error belongs to, so a UI can show it inline
        self.field = field

    def __str__(self) -> str:
        return self.message


class ValidationError(DoorkeeperError):
    """Input breaks a rule of the field (format, length, range)."""


class QuotaExceeded(DoorkeeperError):
    """A site quota (panels, flats, foreign numbers, names on panels) is full."""


class NotFound(DoorkeeperError):
    """The object asked for does not exist (or is not visible to the operator)."""


class Conflict(DoorkeeperError):
    """The change clashes with existing data (duplicate number, object in use)."""


class PermissionDenied(DoorkeeperError):
    """The acting operator lacks the right, or is outside their validity dates."""


class ConfigError(DoorkeeperError):
    """A configuration file or setting is missing or wrong."""


class StoreError(DoorkeeperError):
    """The store could not do what was asked (file unreadable, schema too new)."""


class StoreBusy(StoreError):
    """The store stayed locked by other writers past the busy timeout; nothing changed."""


class StoreFault(StoreError):
    """The store refuses writes (disk full, damaged, read-only ...); nothing changed."""

    def __init__(self, message: str, *, fault: str = "", field: str | None = None) -> None:
        super().__init__(message, field=field)
        #: the fault's name, as in the alarm "Store fault: <fault>"
        self.fault = fault
