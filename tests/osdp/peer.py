"""libosdp peripheral devices on one pseudo-terminal: the real peer the driver is tested against."""

from __future__ import annotations

import contextlib
import os
import threading
import tty

import osdp

KEY = bytes(range(0xA0, 0xB0))


class PtyHub:
    """The pty's master side shared by every PD on the bus (a multi-drop line)."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.master)
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self.slave)
        self.lock = threading.Lock()
        self.buffers: list[bytearray] = []
        self.wire: list[bytes] = []  # everything the CP sent, when recording
        self.recording = False

    def channel(self) -> HubChannel:
        """A channel for one more PD."""
        buf = bytearray()
        self.buffers.append(buf)
        return HubChannel(self, buf)

    def pump(self) -> None:
        """Copy what the CP wrote into every PD's buffer."""
        while True:
            try:
                data = os.read(self.master, 4096)
            except (BlockingIOError, OSError):
                return
            if not data:
                return
            if self.recording:
                self.wire.append(data)
            for buf in self.buffers:
                buf += data

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
                 enforce_secure: bool = False, install: bool = False) -> None:
        self.channel = hub.channel()
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
        self.pd.start()

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
