"""Settings, read from a TOML file; every setting is described in config.example.toml."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from core.config_sms import SmsConfig, check_sms
from core.errors import ConfigError
from core.text import safe_text

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

DEFAULT_DB = "var/doorkeeper.db"
#: one [section] of settings (TOML values, checked against the section's dataclass)
Section = TypeVar("Section", bound="DataclassInstance")


@dataclass
class StoreConfig:
    """Where the store lives: a SQLite path, or a database URL."""

    path: str = DEFAULT_DB
    url: str = ""  # overrides path when set (e.g. postgresql+asyncpg://...)
    event_retention_months: int = 0  # PostgreSQL: months of events kept; 0 = all
    busy_timeout_ms: int = 5000
    event_flush_ms: int = 5  # the event writer's pause after a commit (the desks' turn)
    export_folder: str = ""  # operators' exports (one subfolder each); "" = exports/ beside the db
    #: PostgreSQL: the gateway's local spill journal while the centre is unreachable;
    #: "" = var/doorkeeper.pg[.sites-…].events-spill (the folder of `path`)
    spill_path: str = ""


@dataclass
class DemoConfig:
    """The demo estate."""

    seed: int = 1
    events: int = 200_000
    days: int = 90


@dataclass
class BusConfig:
    """The gateway's local socket."""

    path: str = "var/doorkeeper.sock"


@dataclass
class GatewayConfig:
    """How the gateway watches for changes."""

    change_poll_ms: int = 250  # how often the audit trail is read for changes
    clock_check_s: int = 30  # how often the clock's synchronisation is checked
    clock_jump_s: int = 60  # a clock step larger than this (either way) is an event


@dataclass
class BackupConfig:
    """`doorkeeper backup` and the scheduled backups (`service install`'s timer)."""

    folder: str = ""  # where backups go; empty = a "backups" folder beside the store
    keep: int = 14  # backups kept in the folder; older ones are removed after a backup


@dataclass
class SSHConfig:
    """`doorkeeper serve`: the console over SSH (OpenSSH's hardening guidance)."""

    listen: str = "127.0.0.1:2222"  # host:port the workers share (SO_REUSEPORT)
    host_key: str = ""  # ed25519 host key file; empty = beside the database
    workers: int = 0  # SSH worker processes; 0 = one per core
    idle_timeout: int = 900  # seconds without a key press before a session is closed; 0 = never
    login_timeout: int = 30  # seconds to authenticate before the connection is closed
    max_auth_tries: int = 4  # failed attempts on one connection before it is closed
    keepalive_interval: int = 30  # seconds between keepalives to a silent client
    keepalive_count_max: int = 3  # unanswered keepalives before the client is dropped
    rate_burst: int = 10  # per client address: connections and failures at once ...
    rate_per_minute: int = 20  # ... then this many a minute (token bucket)
    max_sessions: int = 200  # sessions per worker process
    session_memory_mb: int = 400  # memory (PSS) a session's process may use before it is ended
    stuck_after: int = 8  # seconds a worker's heartbeat or the gateway's answer may lapse
    session_nice: int = 10  # each session's process runs this much below the gateway and workers


@dataclass
class DriverConfig:
    """One [[driver]] (or [[osdp]]) section: its type and its settings."""

    type: str
    # TOML values, each checked against DRIVER_SETTINGS (readers: dicts as _osdp_readers left them)
    settings: dict[str, Any] = field(default_factory=dict)


DRIVER_SETTINGS: dict[str, dict[str, type]] = {
    "simulator": {"rate": float, "seed": int, "rate_counts": str},
    "osdp": {"port": str, "baud": int, "poll_ms": int, "reader": list},
    "modem": {"port": str, "baud": int, "device": object, "pin_env": str},
}
BAUDS = {9600, 19200, 38400, 57600, 115200, 230400}
#: one [[osdp.reader]] (or [[driver.reader]] of an osdp driver): setting -> accepted types
OSDP_READER: dict[str, tuple[type, ...]] = {
    "address": (int,), "device": (int, str), "relay": (int,), "output": (int,),
    "contact_input": (int,), "card_format": (str,), "led_seconds": (int, float),
    "short_beep": (int, float), "long_beep": (int, float), "buzzer": (bool,), "scbk": (str,),
    "install": (bool,),
}
CARD_FORMATS = ("wiegand26", "wiegand34", "raw")


@dataclass
class Config:
    """Everything a Doorkeeper process reads at start."""

    store: StoreConfig = field(default_factory=StoreConfig)
    demo: DemoConfig = field(default_factory=DemoConfig)
    bus: BusConfig = field(default_factory=BusConfig)
    gateway: GatewayConfig = field(default_factory=GatewayConfig)
    ssh: SSHConfig = field(default_factory=SSHConfig)
    backup: BackupConfig = field(default_factory=BackupConfig)
    drivers: list[DriverConfig] = field(default_factory=list)
    sms: SmsConfig = field(default_factory=SmsConfig)
    source: Path | None = None


def _section(data: dict[str, Any], name: str, cls: type[Section]) -> Section:
    raw = data.get(name, {})
    if not isinstance(raw, dict):
        raise ConfigError(f"[{name}] must be a table.")
    defaults = cls()
    values: dict[str, object] = {}
    for key, value in raw.items():
        if not hasattr(defaults, key):
            raise ConfigError(f"Unknown setting {name}.{safe_text(key)}.")
        expected = type(getattr(defaults, key))
        if not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
            raise ConfigError(f"Setting {name}.{key} must be a {expected.__name__}, "
                              f"got {value!r}.")
        values[key] = value
    return dataclasses.replace(defaults, **values)


def load_config(path: str | Path | None) -> Config:
    """Read a config file; no path means the defaults."""
    if path is None:
        return Config()
    p = Path(path)
    try:
        with open(p, "rb") as f:  # a bounded read: /dev/zero never ends
            raw = f.read(2**20 + 1)
        if len(raw) > 2**20:
            raise ConfigError(f"Config file {p} is larger than 1 MB; a config is a few KB.")
        data = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Config file {p} does not exist.") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"Config file {p} cannot be read: not UTF-8 text (byte "
                          f"{err.object[err.start]:#04x} at offset {err.start}).") from err
    except OSError as err:
        raise ConfigError(f"Config file {p} cannot be read: {err.strerror or err}.") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"Config file {p} is not valid TOML: {err}.") from err
    unknown = set(data) - {"store", "demo", "bus", "gateway", "ssh", "backup", "driver", "osdp",
                           "modem", "sms"}
    if unknown:
        raise ConfigError(f"Unknown section [{safe_text(sorted(unknown)[0])}] in {p}.")
    store = check_store(_section(data, "store", StoreConfig))
    demo = _section(data, "demo", DemoConfig)
    if store.event_flush_ms <= 0 or store.event_flush_ms > 50:
        raise ConfigError("Setting store.event_flush_ms must be 1 to 50 (events are durable "
                          "within 100 ms).")
    gateway = _section(data, "gateway", GatewayConfig)
    if not 50 <= gateway.change_poll_ms <= 1000:
        raise ConfigError("Setting gateway.change_poll_ms must be 50 to 1000 (a change is "
                          "honoured within 1 s).")
    if not 1 <= gateway.clock_check_s <= 3600:
        raise ConfigError("Setting gateway.clock_check_s must be 1 to 3600 seconds.")
    if not 1 <= gateway.clock_jump_s <= 86_400:
        raise ConfigError("Setting gateway.clock_jump_s must be 1 to 86400 seconds.")
    backup = _section(data, "backup", BackupConfig)
    if not 1 <= backup.keep <= 1000:
        raise ConfigError("Setting backup.keep must be 1 to 1000 backups.")
    return Config(store=store, demo=demo, bus=_section(data, "bus", BusConfig),
                  gateway=gateway, ssh=check_ssh(_section(data, "ssh", SSHConfig)), backup=backup,
                  drivers=_one_per_port(_drivers(data.get("driver", []))
                                        + _drivers(data.get("osdp", []), "osdp")
                                        + _drivers(data.get("modem", []), "modem")),
                  sms=check_sms(data.get("sms")), source=p)


#: the store URLs Doorkeeper opens (store/postgres.py checks the rest when it opens one)
STORE_URL = re.compile(r"(sqlite\+aiosqlite:///.+|postgresql\+asyncpg://[^/]*/[^/?]+(\?.*)?)")


def check_store(store: StoreConfig) -> StoreConfig:
    """The [store] section's URL and retention, checked."""
    if store.url and not STORE_URL.fullmatch(store.url):
        shown = re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", store.url)
        raise ConfigError(f"Setting store.url must be postgresql+asyncpg://USER@HOST/DATABASE "
                          f"or sqlite+aiosqlite:///PATH, got {safe_text(shown)!r}.")
    if not 0 <= store.event_retention_months <= 1200:
        raise ConfigError("Setting store.event_retention_months must be 0 (keep every event) "
                          "to 1200 months.")
    return store


SSH_RANGES = {  # setting: (lowest, highest, what it counts)
    "workers": (0, 64, "processes"),
    "idle_timeout": (0, 86_400, "seconds"),
    "login_timeout": (5, 120, "seconds"),
    "max_auth_tries": (1, 10, "attempts"),
    "keepalive_interval": (0, 3600, "seconds"),
    "keepalive_count_max": (1, 20, "keepalives"),
    "rate_burst": (1, 1000, "connections"),
    "rate_per_minute": (1, 10_000, "connections"),
    "max_sessions": (1, 10_000, "sessions"),
    "session_memory_mb": (64, 16_384, "MB"),
    "stuck_after": (2, 600, "seconds"),
    "session_nice": (0, 19, "(a nice value)"),
}


def check_ssh(ssh: SSHConfig) -> SSHConfig:
    """The [ssh] settings in range, the listen address as host:port (one-line errors)."""
    for key, (low, high, unit) in SSH_RANGES.items():
        if not low <= getattr(ssh, key) <= high:
            raise ConfigError(f"Setting ssh.{key} must be {low} to {high} {unit}.")
    split_listen(ssh.listen, "Setting ssh.listen")
    return ssh


def split_listen(listen: str, what: str = "--listen") -> tuple[str, int]:
    """"host:port" (IPv6 as "[::1]:2222") into its host and port, or a ConfigError."""
    host, colon, port = listen.rpartition(":")
    host = host.strip("[]") if host.startswith("[") else host
    bad_host = not host or not host.isprintable() or any(c.isspace() for c in host)
    number = port.isascii() and port.isdigit()  # "²" is a digit, and no int
    if not colon or bad_host or not number or not 1 <= int(port) <= 65535:
        raise ConfigError(f"{what} must be host:port with a port of 1 to 65535, "
                          f"got {safe_text(listen)!r}.")
    return host, int(port)


def _drivers(raw: object, table: str = "driver") -> list[DriverConfig]:
    """The [[driver]] sections (or [[osdp]] / [[modem]], each a driver of that type), checked
    against their type."""
    if not isinstance(raw, list):
        raise ConfigError(f"[[{table}]] must be an array of tables (write [[{table}]]).")
    out = []
    for n, section in enumerate(raw, start=1):
        where = f"[[{table}]] {n}"
        if not isinstance(section, dict):
            raise ConfigError(f"{where} must be a table.")
        kind = table if table != "driver" else section.get("type")
        if not isinstance(kind, str) or kind not in DRIVER_SETTINGS:
            known = ", ".join(DRIVER_SETTINGS)
            raise ConfigError(f"Unknown driver {safe_text(kind)!r} in {where}; "
                              f"known: {known}.")
        out.append(DriverConfig(kind, _driver_settings(kind, section, table, where)))
    return out


def _one_per_port(drivers: list[DriverConfig]) -> list[DriverConfig]:
    """No serial port driven by two sections."""
    ports = [d.settings["port"] for d in drivers if "port" in d.settings]
    for port in ports:
        if ports.count(port) > 1:
            raise ConfigError(f"Two driver sections use the port {port}; one bus per port.")
    return drivers


def _driver_settings(kind: str, section: dict[str, Any], table: str,
                     where: str) -> dict[str, Any]:
    """One driver section's settings, checked (one-line errors naming `where`)."""
    settings: dict[str, Any] = {}
    for key, value in section.items():
        if key == "type" and table == "driver":
            continue
        expected = DRIVER_SETTINGS[kind].get(key)
        if expected is None:
            raise ConfigError(f"Unknown setting {table}.{safe_text(key)} for a {kind} driver "
                              f"({where}).")
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if key == "reader" and not isinstance(value, list):
            raise ConfigError(f"Setting {table}.reader ({where}) must be an array of tables "
                              f"(write [[{table}.reader]]).")
        if expected is not object and (not isinstance(value, expected)
                                       or isinstance(value, bool)):
            raise ConfigError(f"Setting {table}.{key} ({where}) must be a "
                              f"{expected.__name__}, got {value!r}.")
        settings[key] = value
    if kind in ("osdp", "modem"):
        port = settings.get("port")
        if not port:
            raise ConfigError(f"Setting {table}.port is required for a {kind} driver "
                              f"({where}).")
        if not Path(port).exists():
            raise ConfigError(f"Setting {table}.port ({where}): {port} does not exist.")
        if settings.get("baud", 9600) not in BAUDS:
            raise ConfigError(f"Setting {table}.baud ({where}) must be one of "
                              f"{', '.join(map(str, sorted(BAUDS)))}.")
    if kind == "osdp":
        settings["reader"] = _osdp_readers(settings.get("reader", []), table, where)
        if not 0 <= settings.get("poll_ms", 0) <= 1000:
            raise ConfigError(f"Setting {table}.poll_ms ({where}) must be 0 to 1000.")
    if kind == "modem":
        _check_modem(settings, table, where)
    if kind == "simulator" and not 0 <= settings.get("rate", 1.0) <= 10_000:
        raise ConfigError(f"Setting {table}.rate ({where}) must be 0 to 10000.")
    if kind == "simulator" and settings.get("rate_counts", "draws") not in ("draws", "events"):
        raise ConfigError(f"Setting {table}.rate_counts ({where}) must be \"draws\" or "
                          "\"events\".")
    return settings


PIN_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _check_modem(settings: dict[str, Any], table: str, where: str) -> None:
    """A [[modem]]'s device (its id or name) and the variable its SIM's PIN is read from."""
    device = settings.get("device")
    if device is None or isinstance(device, bool) or not isinstance(device, (int, str)):
        raise ConfigError(f"Setting {table}.device ({where}) is required: the GSM modem "
                          "device's id or name.")
    pin_env = settings.get("pin_env", "")
    if pin_env and not PIN_ENV.fullmatch(pin_env):
        raise ConfigError(f"Setting {table}.pin_env ({where}) must name an environment "
                          f"variable (letters, digits, _), got {safe_text(pin_env)!r}.")


def modem_pin(settings: dict[str, Any], environ: Mapping[str, str]) -> str:
    """The SIM PIN of a [[modem]] section, read from the environment variable it names
    ("" when it names none); a ConfigError names a variable unset or not a PIN."""
    name = settings.get("pin_env", "")
    if not name:
        return ""
    pin = environ.get(name)
    if pin is None:
        raise ConfigError(f"Setting modem.pin_env: the environment variable {name} is not "
                          f"set (the SIM PIN of the modem on {settings['port']}).")
    if not re.fullmatch(r"\d{4,8}", pin):
        raise ConfigError(f"Setting modem.pin_env: {name} must hold the SIM PIN, 4 to 8 "
                          "digits.")
    return pin


def _osdp_readers(raw: list[Any], table: str, section: str) -> list[dict[str, Any]]:
    """The [[driver.reader]] / [[osdp.reader]] entries of an osdp bus, checked (one-line errors)."""
    out: list[dict[str, Any]] = []
    addresses: set[int] = set()
    name = f"{table}.reader"
    for m, reader in enumerate(raw, start=1):
        where = f"({section}, reader {m})"
        if not isinstance(reader, dict):
            raise ConfigError(f"Each [[{name}]] must be a table {where}.")
        for key, value in reader.items():
            kinds = OSDP_READER.get(key)
            if kinds is None:
                raise ConfigError(f"Unknown setting {name}.{safe_text(key)} {where}.")
            if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
                raise ConfigError(f"Setting {name}.{key} {where} must be "
                                  f"{' or '.join(k.__name__ for k in kinds)}, got {value!r}.")
        address = reader.get("address")
        if address is None or not 0 <= address <= 126:
            raise ConfigError(f"Setting {name}.address {where} must be 0 to 126.")
        if address in addresses:
            raise ConfigError(f"Two readers at address {address} on one bus {where}.")
        addresses.add(address)
        if "device" not in reader:
            raise ConfigError(f"Setting {name}.device {where} is required (the "
                              "device's id or name).")
        if reader.get("card_format", "wiegand26") not in CARD_FORMATS:
            raise ConfigError(f"Setting {name}.card_format {where} must be one of "
                              f"{', '.join(CARD_FORMATS)}.")
        scbk = reader.get("scbk", "")
        if scbk:
            try:
                key = bytes.fromhex(scbk)
            except ValueError:
                key = b""
            if len(key) != 16:
                raise ConfigError(f"Setting {name}.scbk {where} must be 32 hex digits "
                                  "(an AES-128 key).")
        if reader.get("install") and not scbk:
            raise ConfigError(f"Setting {name}.install {where} needs the reader's own "
                              "key in scbk (sent to it with KEYSET).")
        for key in ("led_seconds", "short_beep", "long_beep"):
            if key in reader and not 0 <= reader[key] <= 25:
                raise ConfigError(f"Setting {name}.{key} {where} must be 0 to 25 s.")
        out.append(dict(reader))
    return out
