"""The simulated modem's fidelity: driven by an independent client (python-gsmmodem-new),
and byte by byte for what a real modem does that a client may not expect."""

from __future__ import annotations

import os
import select
import threading
import time

import pytest
from gsmmodem.modem import GsmModem

from drivers.modem.simulated import SimulatedModem


@pytest.fixture
def sim():
    modem = SimulatedModem(ring_interval=30)
    yield modem
    modem.close()


def talk(sim: SimulatedModem, data: bytes, until: bytes = b"OK\r\n", timeout: float = 2.0) -> bytes:
    """Write to the modem as a client would (the pty's slave) and read until `until`."""
    os.write(sim.slave, data)
    got = b""
    deadline = time.monotonic() + timeout
    while until not in got and time.monotonic() < deadline:
        ready, _, _ = select.select([sim.slave], [], [], 0.05)
        if ready:
            got += os.read(sim.slave, 4096)
    return got


def test_an_independent_client_connects_takes_a_call_and_messages(sim):
    calls, messages = [], []
    heard = threading.Event()
    modem = GsmModem(sim.path, 115200,
                     incomingCallCallbackFunc=lambda c: (calls.append(c), heard.set()),
                     smsReceivedCallbackFunc=lambda s: (messages.append(s), heard.set()))
    modem.smsTextMode = True
    modem.connect()
    try:
        assert {"ATE0", "AT+CLIP=1", "AT+CMGF=1"} <= set(sim.commands)
        sim.ring("+447700900123")
        assert heard.wait(3)
        heard.clear()
        assert (calls[0].number, calls[0].ton) == ("+447700900123", "145")
        calls[0].hangup()
        assert [c.ended for c in sim.calls] == ["rejected"]
        sim.receive_sms("+447700900456", "Hello door")
        assert heard.wait(3)
        assert (messages[0].number, messages[0].text) == ("+447700900456", "Hello door")
        sent = modem.sendSms("+447700900789", "Door code changed")
        assert sent.reference == 1 and sim.sent == [("+447700900789", "Door code changed")]
    finally:
        modem.close()


def test_echo_until_ate0_then_errors_by_cmee(sim):
    assert talk(sim, b"AT\r") == b"AT\r\r\nOK\r\n"
    assert talk(sim, b"ATE0\r") == b"ATE0\r\r\nOK\r\n"
    assert talk(sim, b"AT+BOGUS\r", b"ERROR\r\n") == b"\r\nERROR\r\n"
    talk(sim, b"AT+CMEE=1\r")
    assert talk(sim, b"AT+BOGUS\r", b"\r\n", 0.3).strip() == b"+CME ERROR: 4"
    talk(sim, b"AT+CMEE=2\r")
    assert b"+CME ERROR: operation not supported" in talk(sim, b"AT+BOGUS\r", b"supported\r\n")
    assert talk(sim, b"AT+CMGR=1\r", b"303\r\n").strip() == b"+CMS ERROR: 303"  # PDU mode


def test_urcs_inside_a_reply_and_a_reboot_mid_command(sim):
    talk(sim, b"ATE0\rAT+CLIP=1\r", b"OK\r\n\r\nOK\r\n")
    sim.urc_in_reply = ['+CMTI: "SM",3']
    assert talk(sim, b"AT+CSQ\r") == b'\r\n+CSQ: 20,99\r\n\r\n+CMTI: "SM",3\r\n\r\nOK\r\n'
    sim.reboot_on = "AT+COPS?"
    assert talk(sim, b"AT+COPS?\r", b"READY\r\n") == (
        b"\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n")  # no answer, settings lost
    assert talk(sim, b"AT\r") == b"AT\r\r\nOK\r\n"  # echoing again


def test_a_full_sim_keeps_messages_at_the_network_and_a_slow_prompt(sim):
    sim.slots = 1
    talk(sim, b"ATE0\rAT+CMGF=1\rAT+CNMI=2,1\r", b"OK\r\n\r\nOK\r\n\r\nOK\r\n")
    assert sim.receive_sms("+447700900456", "one") == 1
    assert sim.receive_sms("+447700900457", "two") is None
    assert b"+CPMS: 1,1" in talk(sim, b'AT+CPMS="SM"\r')
    assert talk(sim, b"AT+CMGD=1\r", b'"SM",1\r\n') == b'\r\nOK\r\n\r\n+CMTI: "SM",1\r\n'
    sim.prompt_delay = 0.3
    started = time.monotonic()
    assert talk(sim, b'AT+CMGS="+447700900789"\r', b"> ") == b"\r\n> "
    assert time.monotonic() - started >= 0.3
    assert talk(sim, b"hello\x1a", b"OK\r\n") == b"\r\n+CMGS: 1\r\n\r\nOK\r\n"
