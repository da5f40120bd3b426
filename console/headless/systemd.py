"""Running under systemd: the notify protocol (READY, WATCHDOG, STOPPING) and the journal.

`Type=notify` units learn that the gateway (or `serve`) is ready, and that it is still
doing its job, from datagrams sent to `$NOTIFY_SOCKET` (sd_notify(3)); the protocol is
one `KEY=value` line a datagram, so it is spoken here with a plain socket rather than a
new dependency. WATCHDOG=1 is sent from the supervisors' own check loops (the gateway's
TaskSupervisor, serve's watch pass), never from a timer of its own: a loop that stalls
stops the notifications, and systemd restarts the service after `WatchdogSec`.

Log lines under systemd go to stderr, which the journal reads (`$JOURNAL_STREAM` names
it): without a time (the journal stamps each line) and with a `<N>` syslog priority
prefix, so `journalctl -p warning` works. Elsewhere the gateway writes a rotated file
beside the store.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import socket
import sys
import time
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger(__name__)
#: the gateway's own log file, when not under the journal: rotated at this size, kept N
LOG_BYTES, LOG_KEEP = 10 << 20, 5


class Notifier:
    """The service manager's notify socket, if there is one (else every call does nothing)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        """Read the notify settings (from `environ`, else this process's environment,
        which then loses them: children, a gateway started by `serve`, must not speak
        for the unit's main process)."""
        env = dict(os.environ if environ is None else environ)
        if environ is None:
            for key in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
                os.environ.pop(key, None)
        path = env.get("NOTIFY_SOCKET", "")
        self.address = "\0" + path[1:] if path.startswith("@") else path
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        mine = not pid or pid == str(os.getpid())
        #: seconds between two WATCHDOG=1 (half of WatchdogSec, as sd_watchdog_enabled says)
        self.interval = int(usec) / 2e6 if usec.isdigit() and int(usec) > 0 and mine else None
        self._last = 0.0

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, *lines: str) -> bool:
        """One datagram of `KEY=value` lines; False when there is no socket or it failed."""
        if not self.address:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto("\n".join(lines).encode(), self.address)
        except OSError as err:
            log.warning("could not notify the service manager: %s", err)
            return False
        return True

    def ready(self, status: str) -> None:
        """Started: systemd considers the unit active from now."""
        self.send("READY=1", f"STATUS={status}")
        self.alive(force=True)

    def alive(self, force: bool = False) -> None:
        """A supervisor's check pass went through: WATCHDOG=1, at most every `interval`."""
        if self.interval is None:
            return
        now = time.monotonic()
        if force or now - self._last >= self.interval:
            self._last = now
            self.send("WATCHDOG=1")

    def stopping(self) -> None:
        self.send("STOPPING=1")


def under_journal(environ: Mapping[str, str] | None = None) -> bool:
    """Whether stderr is the journal's stream (systemd sets JOURNAL_STREAM to its dev:ino)."""
    env = os.environ if environ is None else environ
    stream = env.get("JOURNAL_STREAM", "")
    try:
        st = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return stream == f"{st.st_dev}:{st.st_ino}"


class JournalFormatter(logging.Formatter):
    """`<priority>name: message`, no time: the journal stamps each line itself."""

    PRIORITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6,
                logging.DEBUG: 7}

    def __init__(self, base: logging.Formatter) -> None:
        super().__init__()
        self.base = base

    def format(self, record: logging.LogRecord) -> str:
        prio = self.PRIORITY.get(record.levelno, 6)
        # one journal entry a line: a traceback's lines each keep the record's priority
        return "\n".join(f"<{prio}>{line}" for line in self.base.format(record).split("\n"))


def log_to_journal_or_file(log_file: str | Path | None, clean: type[logging.Formatter]) -> str:
    """Route the root logger: the journal under systemd, else `log_file` (rotated) when
    given, else stderr as it is. `clean` is the formatter class that cleans text. Says
    where the lines go."""
    root = logging.getLogger()
    if under_journal():
        for handler in root.handlers:
            handler.setFormatter(JournalFormatter(clean("%(name)s: %(message)s")))
        return "the journal"
    if log_file is None:
        return "stderr"
    path = Path(log_file)
    rotating = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_BYTES,
                                                    backupCount=LOG_KEEP, encoding="utf-8")
    rotating.setFormatter(clean("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    try:  # a parent that sent our stderr into this very file: the file handler alone
        same = os.path.samestat(os.fstat(sys.stderr.fileno()), path.stat())
    except (OSError, ValueError, AttributeError):
        same = False
    if same:
        for handler in list(root.handlers):
            root.removeHandler(handler)
    root.addHandler(rotating)
    return str(path)
