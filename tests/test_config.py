"""Reading settings from TOML (core.config.load_config)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import (
    DEFAULT_DB,
    Config,
    DemoConfig,
    SSHConfig,
    StoreConfig,
    load_config,
    split_listen,
)
from core.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def write(tmp_path: Path, text: str, name: str = "doorkeeper.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(path) -> ConfigError:
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    return exc.value


def test_no_path_gives_defaults():
    config = load_config(None)
    assert config == Config()
    assert config.source is None
    assert config.store == StoreConfig(
        path=DEFAULT_DB, url="", busy_timeout_ms=5000, event_flush_ms=5
    )
    assert config.demo == DemoConfig(seed=1, events=200_000, days=90)


def test_missing_file_mentions_the_path(tmp_path):
    path = tmp_path / "nowhere" / "doorkeeper.toml"
    err = refused(path)
    assert str(path) in err.message
    assert "does not exist" in err.message


def test_missing_file_given_as_str(tmp_path):
    path = str(tmp_path / "absent.toml")
    assert path in refused(path).message


def test_directory_cannot_be_read(tmp_path):
    err = refused(tmp_path)
    assert "cannot be read" in err.message
    assert str(tmp_path) in err.message
    assert err.message.endswith(": Is a directory.")  # not Python's "[Errno 21] …: 'path'"


def test_non_utf8_file_cannot_be_read(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[store]\npath = "caf\xe9.db"\n')
    err = refused(path)
    assert "cannot be read" in err.message
    assert "not UTF-8 text (byte 0xe9 at offset 19)" in err.message
    assert "codec" not in err.message


def test_a_file_that_never_ends_is_not_read_to_its_end():
    """/dev/zero (or a FIFO) has no size: the read stops at 1 MB, not at memory's end."""
    err = refused("/dev/zero")
    assert err.message == "Config file /dev/zero is larger than 1 MB; a config is a few KB."


@pytest.mark.parametrize(
    "text",
    [
        "[store\npath = 'x'",
        "[store]\npath = ",
        "[store]\npath = unquoted",
        "[store]\nbusy_timeout_ms = 1\nbusy_timeout_ms = 2\n",  # duplicate key
        "not toml at all",
    ],
)
def test_invalid_toml(tmp_path, text):
    path = write(tmp_path, text)
    err = refused(path)
    assert "not valid TOML" in err.message
    assert str(path) in err.message


@pytest.mark.parametrize(
    ("text", "section"),
    [
        ("[web]\nport = 8080\n", "web"),
        ("[stores]\npath = 'x'\n", "stores"),
        ("[store]\n[Demo]\nseed = 1\n", "Demo"),
        ("top_level = 1\n", "top_level"),
    ],
)
def test_unknown_section(tmp_path, text, section):
    path = write(tmp_path, text)
    err = refused(path)
    assert f"Unknown section [{section}]" in err.message
    assert str(path) in err.message


@pytest.mark.parametrize(
    ("text", "setting"),
    [
        ("[store]\nbusy_timeout = 5000\n", "store.busy_timeout"),
        ("[store]\nPath = 'x.db'\n", "store.Path"),
        ("[demo]\nsites = 3\n", "demo.sites"),
        ("[store]\nsource = 'x'\n", "store.source"),
    ],
)
def test_unknown_key(tmp_path, text, setting):
    assert f"Unknown setting {setting}." in refused(write(tmp_path, text)).message


@pytest.mark.parametrize("text", ["store = 5\n", "store = 'x.db'\n", "demo = [1, 2]\n"])
def test_section_must_be_a_table(tmp_path, text):
    assert "must be a table" in refused(write(tmp_path, text)).message


@pytest.mark.parametrize(
    ("section", "key", "value", "type_name"),
    [
        ("store", "busy_timeout_ms", '"5000"', "int"),  # string for an int
        ("store", "busy_timeout_ms", "true", "int"),  # bool for an int
        ("store", "busy_timeout_ms", "5000.0", "int"),
        ("store", "event_flush_ms", "false", "int"),
        ("store", "event_flush_ms", '"10"', "int"),
        ("store", "path", "5", "str"),
        ("store", "path", "true", "str"),
        ("store", "url", "[]", "str"),
        ("demo", "seed", '"1"', "int"),
        ("demo", "seed", "true", "int"),
        ("demo", "events", "2e5", "int"),
        ("demo", "days", "[90]", "int"),
        ("demo", "days", "{ n = 90 }", "int"),
    ],
)
def test_wrong_type(tmp_path, section, key, value, type_name):
    err = refused(write(tmp_path, f"[{section}]\n{key} = {value}\n"))
    assert f"Setting {section}.{key} must be a {type_name}" in err.message


@pytest.mark.parametrize("ms", [0, 51, -1, 100, 1000])
def test_event_flush_ms_out_of_range(tmp_path, ms):
    err = refused(write(tmp_path, f"[store]\nevent_flush_ms = {ms}\n"))
    assert "event_flush_ms must be 1 to 50" in err.message


@pytest.mark.parametrize("ms", [1, 25, 50])
def test_event_flush_ms_in_range(tmp_path, ms):
    config = load_config(write(tmp_path, f"[store]\nevent_flush_ms = {ms}\n"))
    assert config.store.event_flush_ms == ms


def test_valid_file_loads(tmp_path):
    path = write(
        tmp_path,
        """
[store]
path = "data/site.db"
url = "sqlite+aiosqlite:///data/other.db"
busy_timeout_ms = 2500
event_flush_ms = 10

[demo]
seed = 42
events = 1000
days = 7
""",
    )
    config = load_config(path)
    assert config.store == StoreConfig(
        path="data/site.db",
        url="sqlite+aiosqlite:///data/other.db",
        busy_timeout_ms=2500,
        event_flush_ms=10,
    )
    assert config.demo == DemoConfig(seed=42, events=1000, days=7)
    assert config.source == path


def test_partial_file_keeps_other_defaults(tmp_path):
    config = load_config(write(tmp_path, "[demo]\nseed = 9\n"))
    assert config.demo == DemoConfig(seed=9)
    assert config.store == StoreConfig()


def test_empty_file_gives_defaults_with_source(tmp_path):
    path = write(tmp_path, "")
    config = load_config(path)
    assert config.store == StoreConfig()
    assert config.demo == DemoConfig()
    assert config.source == path


def test_path_given_as_str(tmp_path):
    path = write(tmp_path, "[store]\nbusy_timeout_ms = 1\n")
    config = load_config(str(path))
    assert config.store.busy_timeout_ms == 1
    assert config.source == path


def test_the_example_file_loads_to_the_defaults():
    config = load_config(EXAMPLE)
    assert config.store == StoreConfig()
    assert config.demo == DemoConfig()


# --- [ssh] (doorkeeper serve) -------------------------------------------------------------
def test_ssh_defaults_follow_openssh_guidance():
    ssh = load_config(None).ssh
    assert (ssh.login_timeout, ssh.max_auth_tries) == (30, 4)
    assert ssh.listen == "127.0.0.1:2222"
    assert load_config(EXAMPLE).ssh == SSHConfig()


def test_ssh_settings_load(tmp_path):
    config = load_config(write(tmp_path, '[ssh]\nlisten = "[::1]:2022"\nworkers = 3\n'
                                         'idle_timeout = 0\nhost_key = "/etc/dk/key"\n'))
    assert config.ssh == SSHConfig(listen="[::1]:2022", workers=3, idle_timeout=0,
                                   host_key="/etc/dk/key")
    assert split_listen(config.ssh.listen) == ("::1", 2022)


@pytest.mark.parametrize(("text", "words"), [
    ("workers = -1", "ssh.workers must be 0 to 64"),
    ("login_timeout = 1", "ssh.login_timeout must be 5 to 120"),
    ("max_auth_tries = 0", "ssh.max_auth_tries must be 1 to 10"),
    ("idle_timeout = -5", "ssh.idle_timeout must be 0 to 86400"),
    ("rate_burst = 0", "ssh.rate_burst must be 1 to 1000"),
    ("rate_per_minute = 0", "ssh.rate_per_minute must be 1 to 10000"),
    ("keepalive_count_max = 0", "ssh.keepalive_count_max must be 1 to 20"),
    ("session_nice = 20", "ssh.session_nice must be 0 to 19"),
    ("session_nice = -1", "ssh.session_nice must be 0 to 19"),
    ('listen = "2222"', "ssh.listen must be host:port"),
    ('listen = "localhost:99999"', "ssh.listen must be host:port"),
    ('listen = ":22"', "ssh.listen must be host:port"),
    ('listen = "localhost:²"', "ssh.listen must be host:port"),
    ('listen = "local host:22"', "ssh.listen must be host:port"),
    ('listen = "\\u001b[2J:22"', "ssh.listen must be host:port"),
    ("workers = '2'", "ssh.workers must be a int"),
    ("colour = 1", "Unknown setting ssh.colour"),
])
def test_ssh_bad_settings_are_one_line(tmp_path, text, words):
    err = refused(write(tmp_path, f"[ssh]\n{text}\n"))
    assert words in err.message
    assert "\n" not in err.message


@pytest.mark.parametrize(("text", "says"), [
    ("[backup]\nkeep = 0\n", "backup.keep must be 1 to 1000"),
    ("[backup]\nkeep = '3'\n", "backup.keep must be a int"),
    ("[backup]\ncopies = 3\n", "Unknown setting backup.copies"),
    ("[gateway]\nclock_check_s = 0\n", "gateway.clock_check_s must be 1 to 3600"),
    ("[gateway]\nclock_jump_s = 100000\n", "gateway.clock_jump_s must be 1 to 86400"),
])
def test_backup_and_clock_settings_are_checked(tmp_path, text, says):
    assert says in refused(write(tmp_path, text)).message


def test_backup_and_clock_settings_are_read(tmp_path):
    config = load_config(write(tmp_path, "[backup]\nfolder = '/srv/b'\nkeep = 3\n"
                                         "[gateway]\nclock_check_s = 5\nclock_jump_s = 120\n"))
    assert (config.backup.folder, config.backup.keep) == ("/srv/b", 3)
    assert (config.gateway.clock_check_s, config.gateway.clock_jump_s) == (5, 120)
