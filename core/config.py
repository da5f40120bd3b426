"""Settings, read from a TOML file; every setting is described in config.example.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import ConfigError

DEFAULT_DB = "var/doorkeeper.db"


@dataclass
class StoreConfig:
    """Where the store lives: a SQLite path, or a database URL."""

    path: str = DEFAULT_DB
    url: str = ""  # overrides path when set (e.g. postgresql+asyncpg://...)
    busy_timeout_ms: int = 5000
    event_flush_ms: int = 50  # group commit interval: an event is durable within 2x this


@dataclass
class DemoConfig:
    """The demo estate."""

    seed: int = 1
    events: int = 200_000
    days: int = 90


@dataclass
class Config:
    """Everything a Doorkeeper process reads at start."""

    store: StoreConfig = field(default_factory=StoreConfig)
    demo: DemoConfig = field(default_factory=DemoConfig)
    source: Path | None = None


def _section(data: dict, name: str, cls: type) -> object:
    raw = data.get(name, {})
    if not isinstance(raw, dict):
        raise ConfigError(f"[{name}] must be a table.")
    defaults = cls()
    values = {}
    for key, value in raw.items():
        if not hasattr(defaults, key):
            raise ConfigError(f"Unknown setting {name}.{key}.")
        expected = type(getattr(defaults, key))
        if not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
            raise ConfigError(f"Setting {name}.{key} must be a {expected.__name__}, "
                              f"got {value!r}.")
        values[key] = value
    return cls(**values)


def load_config(path: str | Path | None) -> Config:
    """Read a config file; no path means the defaults."""
    if path is None:
        return Config()
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Config file {p} does not exist.") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"Config file {p} cannot be read: {err}.") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"Config file {p} is not valid TOML: {err}.") from err
    unknown = set(data) - {"store", "demo"}
    if unknown:
        raise ConfigError(f"Unknown section [{sorted(unknown)[0]}] in {p}.")
    store = _section(data, "store", StoreConfig)
    demo = _section(data, "demo", DemoConfig)
    if store.event_flush_ms <= 0 or store.event_flush_ms > 50:
        raise ConfigError("Setting store.event_flush_ms must be 1 to 50 (events are durable "
                          "within 100 ms).")
    return Config(store=store, demo=demo, source=p)
