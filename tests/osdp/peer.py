"""libosdp peripheral devices on one pseudo-terminal: the real peer the driver is tested against.

Each PD hears only the frames addressed to it (and broadcasts). On a real bus a
PD sees every byte, but libosdp 3.2.9's Python PD reads its channel once per
20 ms refresh and, when that read starts with a frame for another address,
skips it and throws away the rest of what it read - its own frame included
(measured: a POLL for PD 1 written behind one for PD 2 in the same 20 ms is
never answered; 25 ms apart, it is). With 8 PDs on one pty every PD then
missed most of its POLLs (200 ms timeouts, 26 polls/s in all). A firmware
PD reading its UART byte by byte does not do that, so the hub does the
addressing instead of the PDs' rx buffers.
"""

from __future__ import annotations

import contextlib
import os
import threading
import tty

import osdp

KEY = bytes(range(0xA0, 0xB0))
SOM, BROADCAST = 0x53, 0x7F


class Router:
    """Splits the CP's byte stream into frames and says which PD hears each byte.

    It trusts LEN (the CP under test writes whole frames); a header whose LEN is
    not sane goes to everyone, as noise does.
    """

    def __init__(self) -> None:
        self.header = bytearray()  # SOM, ADDR, LEN_L, LEN_H of the frame coming in
        self.to: int | None = None  # address the current frame's bytes go to
        self.left = 0  # bytes of that frame still to come

    def split(self, data: bytes) -> list[tuple[int | None, bytes]]:
        """(address or None for everyone, bytes) runs, in order."""
        out: list[tuple[int | None, bytes]] = []
        i = 0
        while i < len(data):
            if self.left:
                chunk = data[i:i + self.left]
                out.append((self.to, chunk))
                self.left -= len(chunk)
                i += len(chunk)
            elif self.header or data[i] == SOM:
                self.header.append(data[i])
                i += 1
                if len(self.header) == 4:
                    length = self.header[2] | self.header[3] << 8
                    if 8 <= length <= 1024:  # a sane frame: route it by address
                        self.to = self.header[1] & 0x7F
                        self.to = None if self.to == BROADCAST else self.to
                        self.left = length - 4
                    else:
                        self.to = None
                    out.append((self.to, bytes(self.header)))
                    self.header.clear()
            else:  # noise or a mark byte between frames: everyone hears it
                out.append((None, data[i:i + 1]))
                i += 1
        return out


class PtyHub:
    """The pty's master side shared by every PD on the bus (a multi-drop line)."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.master)
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self.slave)
        self.lock = threading.Lock()
        self.buffers: dict[int, bytearray] = {}  # PD address -> what it has yet to read
        self.router = Router()
        self.wire: list[bytes] = []  # everything the CP sent, when recording
        self.recording = False

    def channel(self, address: int) -> HubChannel:
        """A channel for one more PD, at `address`."""
        buf = self.buffers.setdefault(address, bytearray())
        return HubChannel(self, buf)

    def pump(self) -> None:
        """Copy what the CP wrote into the buffer of the PD each frame is addressed to."""
        while True:
            try:
                data = os.read(self.master, 4096)
            except (BlockingIOError, OSError):
                return
            if not data:
                return
            if self.recording:
                self.wire.append(data)
            for to, run in self.router.split(data):
                if to is None:
                    for buf in self.buffers.values():
                        buf += run
                elif to in self.buffers:
                    self.buffers[to] += run

    def close(self) -> None:
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


class HubChannel(osdp.Channel):
    """One PD's view of the shared line."""

    def __init__(self, hub: PtyHub, buf: bytearray) -> None:
        super().__init__()
        self.hub, self.buf = hub, buf
        self.muted = False  # a stopped reader hears nothing and says nothing

    def read(self, max_bytes: int) -> bytes:
        with self.hub.lock:
            self.hub.pump()
            data = bytes(self.buf[:max_bytes])
            del self.buf[:max_bytes]
        return b"" if self.muted else data

    def write(self, buf: bytes) -> int:
        if self.muted:
            return len(buf)
        with self.hub.lock:
            try:
                return os.write(self.hub.master, buf)
            except OSError:
                return 0

    def flush(self) -> None:
        pass


class Peer:
    """A libosdp PD and what its command handler saw."""

    def __init__(self, hub: PtyHub, address: int, scbk: bytes | None = None,
                 enforce_secure: bool = False, install: bool = False,
                 refresh: float | None = None) -> None:
        """`refresh`: seconds between two reads of the line; None = libosdp's own thread (20 ms)."""
        self.channel = hub.channel(address)
        self.commands: list[dict] = []
        self.keys: list[bytes] = []
        flags = []
        if enforce_secure:
            flags.append(osdp.LibFlag.EnforceSecure)
        if install:
            flags.append(osdp.LibFlag.InstallMode)
        info = osdp.PDInfo(address, self.channel, scbk=scbk, name=f"pd-{address}", flags=flags)
        caps = osdp.PDCapabilities([
            (osdp.Capability.OutputControl, 1, 1),
            (osdp.Capability.LEDControl, 1, 1),
            (osdp.Capability.AudibleControl, 1, 1),
            (osdp.Capability.ContactStatusMonitoring, 1, 1),
            (osdp.Capability.Readers, 1, 1),
            (osdp.Capability.CommunicationSecurity, 1, 1),
        ])
        self.pd = osdp.PeripheralDevice(info, caps, log_level=osdp.LogLevel.Emergency,
                                        command_handler=self._handler)
        if refresh is None:
            self.pd.start()
        else:
            self._start(refresh)

    def _start(self, period: float) -> None:
        """libosdp's PeripheralDevice.start with another period (teardown stops it the same)."""
        pd = self.pd
        pd.event, pd.lock = threading.Event(), threading.Lock()

        def refresh() -> None:
            while not pd.event.is_set():
                with pd.lock:
                    pd.ctx.refresh()
                pd.event.wait(period)

        pd.thread = threading.Thread(name=f"pd {self.channel.hub.path}", target=refresh,
                                     daemon=True)
        pd.thread.start()

    def _handler(self, command: dict):
        self.commands.append(command)
        if command.get("command") == osdp.Command.Keyset:
            self.keys.append(bytes(command["data"]))
        return 0, None

    def of(self, kind: int) -> list[dict]:
        """The commands of one kind received so far."""
        return [c for c in self.commands if c.get("command") == kind]

    def card(self, data: bytes, bits: int = 26) -> None:
        """Present a card (Wiegand bits)."""
        self.pd.submit_event({"event": osdp.Event.CardRead, "reader_no": 0, "direction": 0,
                              "format": osdp.CardFormat.Wiegand, "length": bits, "data": data})

    def keypad(self, keys: bytes) -> None:
        """Type keys."""
        self.pd.submit_event({"event": osdp.Event.KeyPress, "reader_no": 0, "data": keys})

    def local(self, tamper: int, power: int) -> None:
        """Report tamper and power (LSTATR)."""
        self.pd.submit_event({"event": osdp.Event.Status,
                              "type": osdp.StatusReportType.Local,
                              "report": bytes([tamper, power])})

    def inputs(self, *states: int) -> None:
        """Report the inputs (ISTATR)."""
        self.pd.submit_event({"event": osdp.Event.Status,
                              "type": osdp.StatusReportType.Input, "report": bytes(states)})

    def stop(self) -> None:
        """Go silent (a reader cut off)."""
        self.channel.muted = True

    def resume(self) -> None:
        """Speak again."""
        self.channel.muted = False

    def teardown(self) -> None:
        self.pd.teardown()
