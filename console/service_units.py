"""systemd units for a site gateway: the gateway, `serve`, and the scheduled backup.

Pure text from a few facts (the command to run, the config file, the user, the serial
ports, the folders the store and backups live in), so they are easy to test with
`systemd-analyze verify`. What each option is for:

- `Type=notify` with `WatchdogSec`: the process says READY once started and WATCHDOG=1
  from its supervisor's check loop (console/headless/systemd.py); a stuck loop is
  restarted by systemd. `Restart=on-failure`, but not on exit status 2 (a refusal:
  a bad config, a store from a newer release, a failed upgrade put back): starting
  again would refuse again, so it stays stopped with its one line in the journal.
- `StateDirectory` (/var/lib/doorkeeper: the store, its journals, the bus socket, the
  host key, backups), `ConfigurationDirectory` (/etc/doorkeeper), `LogsDirectory`
  (/var/log/doorkeeper), owned by the dedicated user; `UMask=0007` so the group
  (consoles run by people in it) may use the store and the bus.
- Hardening: a read-only system (`ProtectSystem=strict`), no home folders, a private
  /tmp, no new privileges, only the address families used (the gateway: Unix sockets
  only; `serve` also IPv4/IPv6), and devices closed except the configured serial
  ports (`DeviceAllow`), reached through the `dialout` group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

STATE = PurePosixPath("/var/lib/doorkeeper")
CONFIG = PurePosixPath("/etc/doorkeeper/doorkeeper.toml")
UNIT_DIR = PurePosixPath("/etc/systemd/system")


@dataclass
class UnitFacts:
    """What the units are written from."""

    command: str  # the doorkeeper command (absolute)
    config: str = str(CONFIG)
    user: str = "doorkeeper"
    ports: list[str] = field(default_factory=list)  # serial devices of the config
    writable: list[str] = field(default_factory=list)  # folders outside StateDirectory
    listen_port: int = 2222  # serve's SSH port (below 1024 needs a capability)
    keep: int = 14  # backups kept by the timer's backups
    watchdog_s: int = 30


def _hardening(facts: UnitFacts, families: str) -> list[str]:
    lines = [
        f"User={facts.user}", f"Group={facts.user}", "SupplementaryGroups=dialout",
        "UMask=0007",
        "StateDirectory=doorkeeper", "StateDirectoryMode=0770",
        "ConfigurationDirectory=doorkeeper", "ConfigurationDirectoryMode=0750",
        "LogsDirectory=doorkeeper", "LogsDirectoryMode=0750",
        f"WorkingDirectory={STATE}",
        "Environment=PYTHONUNBUFFERED=1",
        "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
        "ProtectKernelTunables=yes", "ProtectKernelModules=yes", "ProtectKernelLogs=yes",
        "ProtectControlGroups=yes", "ProtectHostname=yes", "ProtectClock=yes",
        "RestrictNamespaces=yes", "RestrictRealtime=yes", "RestrictSUIDSGID=yes",
        "LockPersonality=yes", "SystemCallArchitectures=native", "CapabilityBoundingSet=",
        f"RestrictAddressFamilies={families}",
        "DevicePolicy=closed",
    ]
    lines += [f"DeviceAllow={port} rw" for port in facts.ports]
    lines += [f"ReadWritePaths={folder}" for folder in facts.writable]
    return lines


def _service(description: str, facts: UnitFacts, command: str, families: str,
             after: list[str], stop_s: int) -> str:
    unit = [
        "[Unit]", f"Description={description}",
        f"After={' '.join(['network.target', 'time-sync.target', *after])}",
        "StartLimitIntervalSec=600", "StartLimitBurst=10", "",
        "[Service]", "Type=notify", "NotifyAccess=main",
        f"ExecStart={facts.command} {command} --config {facts.config}",
        "Restart=on-failure", "RestartSec=2", "RestartPreventExitStatus=2",
        f"WatchdogSec={facts.watchdog_s}",
        "TimeoutStartSec=300",  # an upgrade backs the store up first
        f"TimeoutStopSec={stop_s}",  # every event durable: the writer's flush is bounded at 30 s
        "KillMode=mixed",  # SIGTERM to the main process only; it stops its own children
        *_hardening(facts, families), "",
        "[Install]", "WantedBy=multi-user.target", "",
    ]
    return "\n".join(unit)


def gateway_unit(facts: UnitFacts) -> str:
    """doorkeeper-gateway.service: devices, decisions, events, the bus (Unix sockets)."""
    return _service("Doorkeeper gateway: devices, access decisions, events, the bus", facts,
                    "gateway", "AF_UNIX", [], 60)


def serve_unit(facts: UnitFacts) -> str:
    """doorkeeper-serve.service: the console over SSH (uses the gateway service's gateway
    when it runs, else starts its own)."""
    text = _service("Doorkeeper console over SSH (serve)", facts, "serve",
                    "AF_UNIX AF_INET AF_INET6", ["doorkeeper-gateway.service"], 90)
    if facts.listen_port < 1024:  # the one capability serve may need: a low port
        text = text.replace("CapabilityBoundingSet=\n",
                            "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n"
                            "AmbientCapabilities=CAP_NET_BIND_SERVICE\n")
    return text


def backup_units(facts: UnitFacts) -> tuple[str, str]:
    """doorkeeper-backup.service (one verified backup, keeping the newest N) and its
    daily timer (a missed run, the box being off, is made up at the next boot)."""
    service = "\n".join([
        "[Unit]", "Description=Doorkeeper backup: a verified online copy of the store",
        "After=doorkeeper-gateway.service", "",
        "[Service]", "Type=oneshot",
        f"ExecStart={facts.command} backup --config {facts.config} --keep {facts.keep}",
        "Nice=10", "IOSchedulingClass=idle",
        *[line for line in _hardening(facts, "AF_UNIX") if not line.startswith("DeviceAllow")],
        "",
    ])
    timer = "\n".join([
        "[Unit]", "Description=Doorkeeper backup, daily", "",
        "[Timer]", "OnCalendar=*-*-* 03:15:00", "RandomizedDelaySec=30min", "Persistent=true",
        "", "[Install]", "WantedBy=timers.target", "",
    ])
    return service, timer


def units(facts: UnitFacts, gateway: bool, serve: bool) -> dict[str, str]:
    """The unit files to write, by name: the chosen services and the backup timer."""
    out: dict[str, str] = {}
    if gateway:
        out["doorkeeper-gateway.service"] = gateway_unit(facts)
    if serve:
        out["doorkeeper-serve.service"] = serve_unit(facts)
    out["doorkeeper-backup.service"], out["doorkeeper-backup.timer"] = backup_units(facts)
    return out


def starter_config(keep: int) -> str:
    """/etc/doorkeeper/doorkeeper.toml when there is none: the FHS places."""
    return (f"# Doorkeeper on this machine (every setting: config.example.toml)\n\n"
            f"[store]\npath = \"{STATE}/doorkeeper.db\"\n\n"
            f"[bus]\npath = \"{STATE}/doorkeeper.sock\"\n\n"
            f"[backup]\nfolder = \"{STATE}/backups\"\nkeep = {keep}\n")
