"""A simulated GSM modem on a pseudo-terminal, behaving as real ones do (3GPP TS 27.007/27.005).

It runs in a thread of its own on the pty's master side, so any client (our
driver, python-gsmmodem-new, minicom) can open the slave as a serial port. Like
a real modem it echoes until `ATE0`, answers `OK`, `ERROR`, `+CME ERROR: <n>`
(numeric with `AT+CMEE=1`, text with `AT+CMEE=2`) and `+CMS ERROR: <n>`, sends
unsolicited result codes (RING, +CLIP, +CMTI, +CREG) whenever they happen, even
inside another command's reply, can reboot in the middle of a command (losing
its settings and saying `RDY`), can be slow to give the `> ` prompt, and has a
SIM of a few slots that fills up (a message that finds it full waits at the
network, as an SMSC keeps retrying, and arrives once a slot is freed).
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import threading
import time
import tty
from dataclasses import dataclass, field

CTRL_Z, ESC = b"\x1a", b"\x1b"
CME_TEXT = {3: "operation not allowed", 4: "operation not supported", 10: "SIM not inserted",
            11: "SIM PIN required", 16: "incorrect password", 30: "no network service",
            100: "unknown"}
DEFAULTS = {"echo": True, "cmee": 0, "clip": 0, "cmgf": 0, "cnmi": "0,0,0,0,0", "creg": 0,
            "crc": 0}


@dataclass
class Stored:
    """One message in a SIM slot."""

    sender: str
    text: str
    stamp: str = "26/11/27,10:00:00+00"
    read: bool = False
    unreadable: bool = False  # a corrupt slot: AT+CMGR answers +CMS ERROR: 500


@dataclass
class Call:
    """An incoming call and how it ended."""

    number: str
    ton: int
    validity: int | None
    rings_left: int
    ended: str = ""  # "rejected" (ATH/AT+CHUP), "answered" (ATA), "gave up"
    next_ring: float = 0.0
    rang_at: float = 0.0  # time.perf_counter() when the first RING and +CLIP were written
    ended_at: float = 0.0


@dataclass
class SimulatedModem:
    """The modem: state a test sets, and what it heard and did."""

    operator: str = "Doorkeeper Mobile"
    slots: int = 10
    pin: str = ""  # a SIM PIN to unlock with AT+CPIN (empty: none)
    registration: int = 1  # +CREG stat: 0 not searching, 1 home, 2 searching, 3 denied, 5 roaming
    rssi: int = 20
    prompt_delay: float = 0.0  # seconds before the "> " of AT+CMGS
    ring_interval: float = 3.0
    boot_time: float = 0.2  # seconds a reboot takes (silent meanwhile)
    send_error: int | None = None  # a +CMS ERROR for the next AT+CMGS
    commands: list[str] = field(default_factory=list)  # every command line heard
    sent: list[tuple[str, str]] = field(default_factory=list)  # (number, text) sent by SMS
    calls: list[Call] = field(default_factory=list)
    sim: dict[int, Stored] = field(default_factory=dict)
    waiting: list[Stored] = field(default_factory=list)  # at the network: the SIM was full
    silent: bool = False  # hears everything, answers nothing (hung, unplugged)
    reboot_on: str = ""  # reboot when a command starting with this arrives (then cleared)
    urc_in_reply: list[str] = field(default_factory=list)  # put inside the next reply
    #: set: every command gets these lines back, whatever it is (a broken modem: "ERROR"
    #: to everything, or lines that never end in a final result)
    answer_all: list[str] | None = None

    def __post_init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.master)
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.settings: dict[str, object] = dict(DEFAULTS)
        self.unlocked = not self.pin
        self.reboots = 0
        self._mr = 0
        self._line = bytearray()
        self._sms_to: str | None = None  # collecting an SMS body after "> "
        self._booting_until = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="simulated modem", daemon=True)
        self._thread.start()

    # --- what a test does ------------------------------------------------------------
    def ring(self, number: str, ton: int = 145, validity: int | None = None,
             rings: int = 1) -> Call:
        """An incoming call: RING (+CRING: VOICE after AT+CRC=1) and, with AT+CLIP=1, +CLIP."""
        call = Call(number, ton, validity, rings)
        with self._lock:
            self.calls.append(call)
            self._ring(call)
        return call

    def receive_sms(self, sender: str, text: str) -> int | None:
        """A message from the network: stored in a free slot with +CMTI, or kept waiting."""
        with self._lock:
            return self._deliver(Stored(sender, text))

    def unsolicited(self, *lines: str) -> None:
        """Any unsolicited result code(s), sent now."""
        with self._lock:
            self._write_lines(lines)

    def set_registration(self, stat: int) -> None:
        """The network state changes (+CREG: <stat> with AT+CREG=1 or 2)."""
        with self._lock:
            self.registration = stat
            if int(str(self.settings["creg"])) >= 1:
                self._write_lines([f"+CREG: {stat}"])

    def reboot(self) -> None:
        """Power-cycle: settings lost, deaf for boot_time, then RDY."""
        with self._lock:
            self._reboot()

    def close(self) -> None:
        """Stop the thread and close the pty."""
        self._stop.set()
        self._thread.join(1.0)
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    # --- the wire -------------------------------------------------------------------
    def _write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            os.write(self.master, data)

    def _write_lines(self, lines: list[str] | tuple[str, ...]) -> None:
        self._write(b"".join(b"\r\n" + line.encode() + b"\r\n" for line in lines))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.master], [], [], 0.02)
                data = os.read(self.master, 4096) if ready else b""
            except OSError:
                return
            with self._lock:
                self._tick()
                if data and not self.silent and time.monotonic() >= self._booting_until:
                    self._feed(data)

    def _tick(self) -> None:
        now = time.monotonic()
        if self._booting_until and now >= self._booting_until:
            self._booting_until = 0.0
            self._write_lines(["RDY", "+CFUN: 1", "+CPIN: READY" if not self.pin
                               else "+CPIN: SIM PIN"])
        for call in self.calls:
            if not call.ended and call.next_ring and now >= call.next_ring:
                if call.rings_left <= 0:
                    call.ended = "gave up"
                    self._write_lines(["NO CARRIER"])
                else:
                    self._ring(call)

    def _ring(self, call: Call) -> None:
        call.rings_left -= 1
        call.next_ring = time.monotonic() + self.ring_interval
        lines = ["+CRING: VOICE" if self.settings["crc"] else "RING"]
        if self.settings["clip"]:
            shown = "" if call.validity else call.number
            tail = f',"",,"",{call.validity}' if call.validity is not None else ""
            lines.append(f'+CLIP: "{shown}",{call.ton}{tail}')
        self._write_lines(lines)
        call.rang_at = call.rang_at or time.perf_counter()

    def _deliver(self, message: Stored) -> int | None:
        free = [i for i in range(1, self.slots + 1) if i not in self.sim]
        if not free:
            self.waiting.append(message)
            return None
        self.sim[free[0]] = message
        if str(self.settings["cnmi"]).split(",")[:2] in (["2", "1"], ["1", "1"]):
            self._write_lines([f'+CMTI: "SM",{free[0]}'])
        return free[0]

    def _reboot(self) -> None:
        self.reboots += 1
        self.settings = dict(DEFAULTS)
        self.unlocked = not self.pin
        self._line.clear()
        self._sms_to = None
        self._booting_until = time.monotonic() + self.boot_time

    def _feed(self, data: bytes) -> None:
        if self.settings["echo"]:
            self._write(data)
        for byte in data:
            char = bytes([byte])
            if self._sms_to is not None:
                if char in (CTRL_Z, ESC):
                    self._end_sms(cancel=char == ESC)
                else:
                    self._line += char
            elif char == b"\r":
                line = self._line.decode(errors="replace").strip()
                self._line.clear()
                if line:
                    self._command(line)
            elif char != b"\n":
                self._line += char

    def _end_sms(self, cancel: bool) -> None:
        number, text = self._sms_to or "", self._line.decode(errors="replace")
        self._sms_to = None
        self._line.clear()
        if cancel:
            self._write_lines(["OK"])
        elif self.send_error is not None:
            # taken before it is answered: the test that set it (another thread) may set
            # the next one as soon as it reads this answer
            code, self.send_error = self.send_error, None
            self._write_lines([f"+CMS ERROR: {code}"])
        else:
            self.sent.append((number, text))
            self._mr = (self._mr + 1) % 256
            self._write_lines([f"+CMGS: {self._mr}", "OK"])

    # --- commands -----------------------------------------------------------------------
    def _error(self, code: int) -> str:
        cmee = self.settings["cmee"]
        if cmee == 1:
            return f"+CME ERROR: {code}"
        if cmee == 2:
            return f"+CME ERROR: {CME_TEXT.get(code, 'unknown')}"
        return "ERROR"

    def _command(self, line: str) -> None:
        self.commands.append(line)
        if self.reboot_on and line.upper().startswith(self.reboot_on.upper()):
            self.reboot_on = ""
            self._reboot()  # mid-command: no answer at all
            return
        if self.answer_all is not None:
            self._write_lines(self.answer_all)
            return
        upper = line.upper()
        if not upper.startswith("AT"):
            self._write_lines(["ERROR"])
            return
        reply = self._answer(line[2:])
        if self.urc_in_reply and len(reply) > 1:  # a URC between the info lines and the result
            reply = reply[:1] + self.urc_in_reply + reply[1:]
            self.urc_in_reply = []
        self._write_lines(reply)
        while self.waiting and len(self.sim) < self.slots:  # a slot freed: what waited comes
            self._deliver(self.waiting.pop(0))

    def _answer(self, body: str) -> list[str]:  # noqa: C901 - one branch per command
        cmd = body.upper()
        if cmd in ("", "Z", "&F"):
            if cmd:
                self.settings = dict(DEFAULTS)
            return ["OK"]
        if cmd in ("E0", "E1"):
            self.settings["echo"] = cmd == "E1"
            return ["OK"]
        if cmd in ("H", "+CHUP", "A"):
            ringing = [c for c in self.calls if not c.ended]
            for call in ringing:
                call.ended = "answered" if cmd == "A" else "rejected"
                call.ended_at = time.perf_counter()
            return ["OK"] if ringing or cmd != "A" else ["NO CARRIER"]
        if cmd == "+CPIN?":
            return ["+CPIN: READY" if self.unlocked else "+CPIN: SIM PIN", "OK"]
        if cmd.startswith("+CPIN="):
            if body[6:].strip('"') == self.pin:
                self.unlocked = True
                return ["OK"]
            return [self._error(16)]
        if cmd in ("+CGMI", "+CGMM", "+CGMR", "+CGSN", "I"):
            return [{"+CGMI": "Doorkeeper", "+CGMM": "Simulated GSM modem", "+CGMR": "1.0",
                     "+CGSN": "356938035643809"}.get(cmd, "Doorkeeper simulated modem"), "OK"]
        if cmd == "+CFUN?":
            return ["+CFUN: 1", "OK"]
        if cmd.startswith("+CFUN=1,1"):
            self._reboot()
            return ["OK"]
        if not self.unlocked and not cmd.startswith(("+CMEE", "+CLAC")):
            return [self._error(11)]
        if cmd == "+CLAC":
            return ["+CLAC: +CMEE,+CLIP,+CMGF,+CNMI,+CREG,+CSQ,+COPS,+CMGS,+CMGR,+CMGD,+CMGL,"
                    "+CPMS,+CPIN,+CHUP,+CRC", "OK"]
        for name in ("CMEE", "CLIP", "CMGF", "CREG", "CRC"):
            if cmd.startswith(f"+{name}="):
                value = body[len(name) + 2:]
                if not value.isdigit():
                    return [self._error(4)]
                self.settings[name.lower()] = int(value)
                return ["OK"]
        if cmd.startswith("+CNMI="):
            self.settings["cnmi"] = body[6:]
            return ["OK"]
        if cmd == "+CLIP?":
            return [f"+CLIP: {self.settings['clip']},1", "OK"]
        if cmd == "+CREG?":
            return [f"+CREG: {self.settings['creg']},{self.registration}", "OK"]
        if cmd == "+CSQ":
            return [f"+CSQ: {self.rssi},99", "OK"]
        if cmd == "+COPS?":
            if self.registration in (1, 5):
                return [f'+COPS: 0,0,"{self.operator}"', "OK"]
            return ["+COPS: 0", "OK"]
        if cmd == "+CSCA?":
            return ['+CSCA: "+447785016005",145', "OK"]
        if cmd.startswith(("+COPS=", "+CSMP=", "+CVHU=", "+CSCS=", "+CSCA=")):
            return ["OK"]
        if cmd == "+CPMS=?":
            return ['+CPMS: ("SM"),("SM"),("SM")', "OK"]
        if cmd.startswith("+CPMS"):
            n = len(self.sim)
            return [f"+CPMS: {n},{self.slots},{n},{self.slots},{n},{self.slots}", "OK"]
        if cmd.startswith(("+CMGS=", "+CMGR=", "+CMGD=", "+CMGL")):
            return self._sms_command(cmd, body)
        return [self._error(4) if self.settings["cmee"] else "ERROR"]

    def _sms_command(self, cmd: str, body: str) -> list[str]:
        if self.settings["cmgf"] != 1:
            return ["+CMS ERROR: 303"]  # operation not supported (PDU mode is not simulated)
        if cmd.startswith("+CMGS="):
            number = body[6:].strip('"')
            if not re.fullmatch(r"\+?\d{3,20}", number):
                return ["+CMS ERROR: 304"]  # invalid text mode parameter
            if self.prompt_delay:
                time.sleep(self.prompt_delay)  # the modem's own thread: it is slow, not us
            self._sms_to = number
            self._write(b"\r\n> ")
            return []
        if cmd.startswith("+CMGR="):
            index = int(body[6:]) if body[6:].isdigit() else -1
            message = self.sim.get(index)
            if message is None:
                return ["+CMS ERROR: 321"]  # invalid memory index
            if message.unreadable:
                return ["+CMS ERROR: 500"]  # unknown error
            status = "REC READ" if message.read else "REC UNREAD"
            message.read = True
            return [f'+CMGR: "{status}","{message.sender}",,"{message.stamp}"', message.text,
                    "OK"]
        if cmd.startswith("+CMGL"):
            lines = []
            for index, message in sorted(self.sim.items()):
                status = "REC READ" if message.read else "REC UNREAD"
                lines += [f'+CMGL: {index},"{status}","{message.sender}",,"{message.stamp}"',
                          message.text]
            return [*lines, "OK"]
        args = body[6:].split(",")
        if len(args) > 1 and args[1].strip() == "4":
            self.sim.clear()
        elif args[0].isdigit():
            self.sim.pop(int(args[0]), None)
        else:
            return ["+CMS ERROR: 321"]
        return ["OK"]
