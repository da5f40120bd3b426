"""SFTP on `doorkeeper serve`: each operator fetches their own exports, read-only.

The same logins as the console (console.ssh.gatekeeper). A session channel becomes the
console (a pty and a shell) or, when the client asks for the "sftp" subsystem (OpenSSH's
`sftp`, and `scp` since OpenSSH 9), asyncssh's SFTP server confined ("chroot") to the
operator's export folder (console/export/folder.py). Nothing can be written, renamed,
removed or linked; `..` and hidden names (an export still being written is a hidden
`.NAME.part`) are refused; a symbolic link is never followed. Nothing else of the server
is reachable.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import asyncssh
from asyncssh.stream import SSHServerStreamSession

from console.ssh.session import SSHSession

log = logging.getLogger(__name__)

#: asyncssh's server default (what OpenSSH's clients speak)
SFTP_VERSION = 3
READ_ONLY = "Your export folder is read-only."
REFUSED = "Only the files of your own export folder can be read."


class ExportFolderSFTP(asyncssh.SFTPServer):
    """asyncssh's SFTP server, rooted at one operator's export folder, read-only."""

    def __init__(self, chan: asyncssh.SSHServerChannel, folder: Path) -> None:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        super().__init__(chan, chroot=os.fsencode(folder))

    def map_path(self, path: bytes) -> bytes:
        """The local path of a client's path; `..` and hidden names refused."""
        for part in path.replace(b"\\", b"/").split(b"/"):
            if part not in (b"", b".") and part.startswith(b"."):  # "..", ".x.part"
                raise asyncssh.SFTPPermissionDenied(REFUSED)
        return super().map_path(path)

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        if pflags & ~asyncssh.FXF_READ:
            raise asyncssh.SFTPPermissionDenied(READ_ONLY)
        local = os.fsdecode(self.map_path(path))
        try:
            fd = os.open(local, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as err:  # a link (ELOOP), a missing file: as the client knows them
            if err.errno == 40:
                raise asyncssh.SFTPPermissionDenied(REFUSED) from err
            raise
        return os.fdopen(fd, "rb", buffering=0)

    def open56(self, path: bytes, desired_access: int, flags: int,
               attrs: asyncssh.SFTPAttrs) -> object:
        raise asyncssh.SFTPOpUnsupported("Use SFTP version 3 (OpenSSH's sftp and scp do).")

    async def scandir(self, path: bytes):
        """The folder's files, without hidden ones (an export being written); "." and
        ".." are the folder itself (nothing above it is looked at)."""
        local = os.fsdecode(self.map_path(path))
        here = asyncssh.SFTPAttrs.from_local(os.stat(local))
        for name in (b".", b".."):
            yield asyncssh.SFTPName(name, attrs=here)
        with os.scandir(local) as entries:
            for entry in entries:
                if not entry.name.startswith("."):
                    yield asyncssh.SFTPName(os.fsencode(entry.name), attrs=asyncssh.SFTPAttrs
                                            .from_local(entry.stat(follow_symlinks=False)))

    def _refuse(self, *_args: Any) -> None:
        raise asyncssh.SFTPPermissionDenied(READ_ONLY)

    # one refusal for every call that would change something (their signatures differ,
    # hence the ignore: each takes its arguments and raises)
    write = setstat = lsetstat = fsetstat = remove = mkdir = rmdir = _refuse  # type: ignore[assignment]
    rename = posix_rename = symlink = link = _refuse  # type: ignore[assignment]

    def exit(self) -> None:
        """The client is done: exit status 0, which `scp` waits for (OpenSSH's ssh exits
        255 on a channel closed without one, and scp reports that as a failure)."""
        with contextlib.suppress(Exception):  # the channel may be gone already
            self.channel.exit(0)

    def readlink(self, path: bytes) -> bytes:
        raise asyncssh.SFTPPermissionDenied(REFUSED)


class SessionSwitch(asyncssh.SSHServerSession):
    """A session channel that is the console, or SFTP when the client asks for it."""

    def __init__(self, console: SSHSession,
                 sftp: Callable[[Any], asyncssh.SFTPServer]) -> None:
        self.console = console
        self.target: asyncssh.SSHServerSession = console
        self.sftp = sftp
        self.chan: asyncssh.SSHServerChannel | None = None

    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        self.chan = chan
        self.console.connection_made(chan)

    def subsystem_requested(self, subsystem: str) -> bool:
        if subsystem != "sftp" or self.target is not self.console or self.chan is None:
            return self.target.subsystem_requested(subsystem)
        stream: SSHServerStreamSession[bytes] = SSHServerStreamSession(
            None, self.sftp, SFTP_VERSION)
        stream.connection_made(self.chan)
        self.target = stream
        # the console never starts: it is ended (and forgotten by its worker) at once
        self.console.closed = True
        self.console.connection_lost(None)
        log.info("%s %s: SFTP", self.console.operator, self.console.source)
        return stream.subsystem_requested(subsystem)

    # everything else goes to the console, or to the SFTP stream once chosen
    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int],
                      term_modes: Mapping[int, int]) -> bool:
        return self.target.pty_requested(term_type, term_size, term_modes)

    def shell_requested(self) -> bool:
        return self.target.shell_requested()

    def exec_requested(self, command: str) -> bool:
        return self.target.exec_requested(command)

    def session_started(self) -> None:
        self.target.session_started()

    def data_received(self, data: Any, datatype: asyncssh.DataType) -> None:
        self.target.data_received(data, datatype)

    def eof_received(self) -> bool:
        return bool(self.target.eof_received())

    def connection_lost(self, exc: Exception | None) -> None:
        self.target.connection_lost(exc)

    def pause_writing(self) -> None:
        self.target.pause_writing()

    def resume_writing(self) -> None:
        self.target.resume_writing()

    def terminal_size_changed(self, width: int, height: int, pixwidth: int,
                              pixheight: int) -> None:
        self.target.terminal_size_changed(width, height, pixwidth, pixheight)

    def break_received(self, msec: int) -> bool:
        return bool(self.target.break_received(msec))

    def signal_received(self, signal: str) -> None:
        self.target.signal_received(signal)
