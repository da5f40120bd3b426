"""`doorkeeper service install`: systemd units for this machine (console/service_units.py).

It reads the config the units will run with (the serial ports for `DeviceAllow`, the
store's folder, serve's port), writes the units (or prints them with `--print`),
and, when it writes them to the system's folder, makes the dedicated user, a starter
config if there is none, and reloads systemd. It enables nothing: the last lines say
what to run.
"""

from __future__ import annotations

import argparse
import pwd
import re
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

from console.cli_output import Parser, say
from console.service_units import CONFIG, STATE, UNIT_DIR, UnitFacts, starter_config, units
from core.config import Config, load_config, split_listen
from core.errors import DoorkeeperError

USER_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")


def register(sub, common: argparse.ArgumentParser) -> None:
    """Add `service install` to the CLI."""
    service = sub.add_parser("service", help="run Doorkeeper as a systemd service")
    service_sub = service.add_subparsers(dest="service_command", required=True,
                                         parser_class=Parser)
    install = service_sub.add_parser(
        "install", help="write systemd units: the gateway, serve, and a daily backup timer")
    install.add_argument("--gateway", action="store_true", help="the gateway's unit")
    install.add_argument("--serve", action="store_true", help="serve's unit (SSH consoles)")
    install.add_argument("--user", metavar="NAME", default="doorkeeper",
                         help="the dedicated user the services run as (default doorkeeper)")
    install.add_argument("--config", metavar="FILE", default=str(CONFIG),
                         help=f"the config the services run with (default {CONFIG})")
    install.add_argument("--keep", type=int, metavar="N",
                         help="backups the daily timer keeps (default: [backup] keep)")
    install.add_argument("--print", action="store_true", dest="print_only",
                         help="print the units instead of writing them")
    install.add_argument("--dir", metavar="FOLDER",
                         help=f"write the units here, and nothing else (default {UNIT_DIR})")


def command_path() -> str:
    """The doorkeeper command of this installation (its venv's script, else python -P -m)."""
    script = Path(sys.executable).with_name("doorkeeper")
    if script.is_file():
        return str(script)
    return f"{sys.executable} -P -m console.cli"


def facts_from(config: Config, args: argparse.Namespace) -> UnitFacts:
    """The units' facts from the config they will run with."""
    if not USER_NAME.fullmatch(args.user):
        raise DoorkeeperError("--user must be a system user name (lower-case letters, "
                              "digits, _ and -, at most 32).")
    keep = config.backup.keep if args.keep is None else args.keep
    if not 1 <= keep <= 1000:
        raise DoorkeeperError("--keep must be 1 to 1000.")
    ports = sorted({str(d.settings["port"]) for d in config.drivers if "port" in d.settings})
    # relative paths are the service's: under its WorkingDirectory, the StateDirectory
    places = [PurePosixPath(config.bus.path).parent]
    if not config.store.url:
        places.append(PurePosixPath(config.store.path).parent)
    if config.backup.folder:
        places.append(PurePosixPath(config.backup.folder))
    writable = sorted({str(p) for p in places if p.is_absolute() and not p.is_relative_to(STATE)})
    return UnitFacts(command=command_path(), config=str(Path(args.config).absolute()),
                     user=args.user, ports=ports, writable=sorted(writable),
                     listen_port=split_listen(config.ssh.listen)[1], keep=keep)


def run(args: argparse.Namespace) -> int:
    """Write (or print) the units; on the system's folder, the user and a config too."""
    config_file = Path(args.config)
    if config_file.exists():
        config = load_config(config_file)
    else:  # the starter config's places: what the units will run with once written
        config = Config()
        config.store.path = str(STATE / "doorkeeper.db")
        config.bus.path = str(STATE / "doorkeeper.sock")
        config.backup.folder = str(STATE / "backups")
    facts = facts_from(config, args)
    both = not args.gateway and not args.serve
    made = units(facts, args.gateway or both, args.serve or both)
    if args.print_only:
        for name, text in made.items():
            say(f"# {name}\n{text}")
        return 0
    system = args.dir is None
    folder = Path(args.dir or UNIT_DIR)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in made.items():
            (folder / name).write_text(text, encoding="utf-8")
        if system and not config_file.exists():
            config_file.parent.mkdir(parents=True, exist_ok=True)
            config_file.write_text(starter_config(facts.keep), encoding="utf-8")
            say(f"Wrote a starter config {config_file}.")
    except OSError as err:
        raise DoorkeeperError(f"Cannot write to {folder}: {err.strerror} (run it as root, "
                              "or --print the units).") from err
    say(f"Wrote {', '.join(made)} to {folder}.")
    if system:
        _make_user(args.user)
        if shutil.which("systemctl"):
            subprocess.run(["systemctl", "daemon-reload"], check=False)
    services = " ".join(n for n in made if n.endswith(".service") and "backup" not in n)
    say(f"Next: systemctl enable --now {services} doorkeeper-backup.timer")
    return 0


def _make_user(name: str) -> None:
    """The dedicated system user (in the dialout group for serial ports), if missing."""
    try:
        pwd.getpwnam(name)
        return
    except KeyError:
        pass
    if not shutil.which("useradd"):
        raise DoorkeeperError(f"Create the system user {name} (in the dialout group): "
                              "useradd is not on this machine.")
    subprocess.run(["useradd", "--system", "--user-group", "--groups", "dialout",
                    "--home-dir", str(STATE), "--no-create-home",
                    "--shell", "/usr/sbin/nologin", name], check=True)
    say(f"Created the system user {name} (groups: {name}, dialout).")
