"""A scripted reader on the PtyHub: a hostile or flaky peer that libosdp's PD cannot play.

It hears only its own frames (the hub routes them), answers in plaintext like a
minimal reader (PDID, PDCAP, ACK) and lets a test decide, command by command,
what goes back on the wire and how fast: late, paced byte by byte, with the
wrong sequence number, malformed, or not at all. It runs in its own thread and
writes through the hub like libosdp's PDs, so it can share a bus with them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from drivers.osdp import codec
from drivers.osdp.codec import Cmd, Reply
from tests.osdp.peer import PtyHub

PDID = bytes.fromhex("be ba fe 01 02 78 56 34 12 01 02 03")
PDCAP = bytes.fromhex("02 01 01 04 01 01 05 01 01 08 01 00")
#: what a command gets back (a list of wire chunks, each written with the reader's pacing)
Script = Callable[["ScriptedReader", codec.Frame], list[bytes]]


def reply(reader: ScriptedReader, command: codec.Frame, code: int = Reply.ACK,
          data: bytes = b"", sequence: int | None = None, address: int | None = None) -> bytes:
    """A well-formed reply to `command` (its own sequence unless told otherwise)."""
    return codec.encode(reader.address if address is None else address, code, data,
                        command.sequence if sequence is None else sequence, reply=True)


def normal(reader: ScriptedReader, command: codec.Frame) -> list[bytes]:
    """What a plain reader answers: PDID to ID, PDCAP to CAP, ACK to everything else."""
    if command.code == Cmd.ID:
        return [reply(reader, command, Reply.PDID, PDID)]
    if command.code == Cmd.CAP:
        return [reply(reader, command, Reply.PDCAP, PDCAP)]
    return [reply(reader, command)]


class ScriptedReader:
    """One scripted reader at `address`; `script` answers each command it hears."""

    def __init__(self, hub: PtyHub, address: int, script: Script = normal, *,
                 gap: float = 0.0, chunk: int = 1) -> None:
        """`gap`: seconds between two chunks of `chunk` bytes (0 = a reply in one write)."""
        self.address, self.script, self.gap, self.chunk = address, script, gap, chunk
        self.channel = hub.channel(address)
        self.deframer = codec.Deframer()
        self.heard: list[codec.Frame] = []  # every command, in order
        self.done: list[codec.Frame] = []  # commands the reader carried out (OUT, LED ...)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"scripted {address}",
                                        daemon=True)
        self._thread.start()

    def of(self, code: int) -> list[codec.Frame]:
        """The commands of one code heard so far."""
        return [f for f in self.heard if f.code == code]

    def _run(self) -> None:
        while not self._stop.is_set():
            data = self.channel.read(4096)
            if not data:
                time.sleep(0.001)
                continue
            for frame in self.deframer.feed(data):
                if frame.reply or frame.address != self.address:
                    continue
                self.heard.append(frame)
                for part in self.script(self, frame):
                    self._send(part)

    def _send(self, data: bytes) -> None:
        if not self.gap:
            self.channel.write(data)
            return
        for i in range(0, len(data), self.chunk):
            if i:
                time.sleep(self.gap)
            self.channel.write(data[i:i + self.chunk])

    def teardown(self) -> None:
        """Stop the thread (the hub is closed by its owner)."""
        self._stop.set()
        self._thread.join(1.0)
