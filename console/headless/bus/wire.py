"""The bus's wire: newline-delimited JSON over a Unix domain socket (``core.bus`` says
what the messages mean; this says how they travel on one machine).

The gateway listens on a Unix stream socket (mode 0660, so the gateway's group may
connect). Every message, in either direction, is one JSON object encoded as UTF-8 on
one line, ending with ``\\n`` (compact JSON never contains a raw newline: newlines
inside strings are escaped). Blank lines and a trailing ``\\r`` are ignored.

Every connected peer is a subscriber: whatever the gateway publishes is written to all
of them, in publication order. The transport does not interpret ``"type"``: it frames,
fans out and (on the client side) routes replies to the request waiting for them.

Robustness: a malformed incoming line (not UTF-8, not JSON, nested too deeply, not an
object) is logged (rate-limited per peer) and ignored and the peer stays connected; a line longer than the server's ``max_line`` gets
the peer disconnected, so one peer can never make the gateway buffer without bound.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from core.bus import Message
from core.errors import ConfigError

#: Linux's sun_path holds 108 bytes including the terminating NUL.
MAX_SOCKET_PATH = 107


def encode(msg: Message) -> bytes:
    """One message as one line of compact UTF-8 JSON, newline included.

    Raises TypeError/ValueError for something that is not a JSON-able dict.
    """
    if not isinstance(msg, dict):
        raise TypeError(f"a bus message is a dict, not {type(msg).__name__}")
    return (json.dumps(msg, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")


def decode(line: bytes) -> Message:
    """One received line (without its newline) as a message; ValueError if malformed."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        msg = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:  # 30,000 nested brackets: the parser's stack, not ours
        raise ValueError("nested too deeply") from None
    if not isinstance(msg, dict):
        raise ValueError(f"not a JSON object (a JSON {type(msg).__name__})")
    return msg


def excerpt(line: bytes | bytearray, size: int = 60) -> str:
    """The start of a bad line, for a log line."""
    text = repr(bytes(line[:size]))
    return text + ("..." if len(line) > size else "")


def check_path_length(path: Path) -> None:
    """ConfigError if ``path`` cannot be a Unix socket's address."""
    size = len(os.fsencode(path))
    if size > MAX_SOCKET_PATH:
        raise ConfigError(
            f"bus socket path {path} is too long ({size} bytes; a Unix socket path "
            f"may have at most {MAX_SOCKET_PATH})"
        )



def someone_listening(path: Path) -> bool:
    """Whether a process accepts connections on the socket at ``path``."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.setblocking(False)
    try:
        probe.connect(os.fspath(path))
    except BlockingIOError:
        return True  # listening, its backlog is merely full
    except (ConnectionRefusedError, FileNotFoundError):
        return False
    except OSError as exc:
        raise ConfigError(f"cannot check the bus socket {path}: {exc.strerror or exc}") from None
    else:
        return True
    finally:
        probe.close()

