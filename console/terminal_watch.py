"""A local console whose terminal is gone ends, and stops the gateway it started.

Closing the terminal a console runs in (a tmux pane killed, a terminal window closed, a
dropped SSH login to the machine) hangs up its tty. The kernel sends SIGHUP to the
terminal's session leader and its foreground group; when the leader is `make run` or a
shell that ends first, the console is not told: it went on with its input thread
spinning on a terminal that reads nothing (half a core) and its output blocked, a
process nobody owned. A thread looks at the terminal every second; once the terminal
is hung up (`tcgetattr` fails), it asks the app to quit, so the console closes as when
the operator quits (the gateway it started stops with every event in the store), and
ends the process as SIGHUP would if it is still there a few seconds later (its loop
may be blocked writing to the dead terminal). SSH sessions do not need this: the
worker that owns a session's pty ends its process (console.ssh.session).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import termios
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

#: how often the terminal is looked at
EVERY_S = 1.0
#: how long the app has to quit before the process is ended
QUIT_GRACE_S = 5.0


def watch_terminal(quit_app: Callable[[], object], fd: int | None = None) -> bool:
    """Start watching the terminal on `fd` (stdin's by default); False when it is not a
    terminal (nothing to watch)."""
    if fd is None:
        stdin = sys.__stdin__
        if stdin is None:
            return False
        fd = stdin.fileno()
    if not os.isatty(fd):
        return False
    threading.Thread(target=_watch, args=(fd, quit_app), name="terminal-watch",
                     daemon=True).start()
    return True


def hung_up(fd: int) -> bool:
    """Whether the terminal on `fd` is gone (its other side closed)."""
    try:
        termios.tcgetattr(fd)
    except (termios.error, OSError):
        return True
    return False


def _watch(fd: int, quit_app: Callable[[], object]) -> None:
    while not hung_up(fd):
        time.sleep(EVERY_S)
    log.warning("the console's terminal is gone; the console closes")
    try:
        quit_app()
    except Exception:  # the loop is closed already: the process is ending anyway
        return
    time.sleep(QUIT_GRACE_S)
    log.warning("the console did not close within %.0f s of its terminal going; ending it",
                QUIT_GRACE_S)
    os.kill(os.getpid(), signal.SIGHUP)
