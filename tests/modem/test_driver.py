"""The modem driver against the simulated modem on a pty: start-up, URCs wherever they
come, named errors, SMS, health, a modem that goes silent or reboots."""

from __future__ import annotations

import pytest

from core.devices import MessageReport, Status
from core.model import EventKind
from drivers.modem import codec
from drivers.modem.channel import ModemPort


@pytest.mark.parametrize(("line", "kind", "code", "name"), [
    ("+CME ERROR: 11", "CME", 11, "SIM PIN required"),
    ("+CME ERROR: SIM PIN required", "CME", 11, "SIM PIN required"),
    ("+CMS ERROR: 322", "CMS", 322, "memory full"),
    ("+CMS ERROR: 999", "CMS", 999, "999"),
    ("ERROR", "", None, "error"),
])
def test_errors_are_named(line, kind, code, name):
    error = codec.error_of(line, "AT+X")
    assert (error.kind, error.code, error.name) == (kind, code, name)


@pytest.mark.parametrize(("line", "number", "withheld"), [
    ('+CLIP: "+447546277360",145', "+447546277360", False),
    ('+CLIP: "447546277360",145,"",,"",0', "+447546277360", False),
    ('+CLIP: "07546277360",129', "07546277360", False),
    ('+CLIP: "",128', "", True),
    ('+CLIP: "",145,"",,"",1', "", True),
    ('+CLIP: "",128,,,,2', "", True),
    ('+CLIP: "+4475462773\x9b60",145', "+4475462773?60", False),  # not a dial string
    ('+CLIP: "\x1b[31m07546277360",129', "??31?07546277360", False),
])
def test_caller_id(line, number, withheld):
    assert codec.parse_clip(line) == codec.Caller(number, withheld)


@pytest.mark.parametrize(("rssi", "text"), [
    (0, "____ -113 dBm"), (10, "▂▄__ -93 dBm"), (20, "▂▄▆█ -73 dBm"), (15, "▂▄▆_ -83 dBm"), (31, "▂▄▆█ -51 dBm"),
    (99, "unknown"),
])
def test_signal_as_bars_and_dbm(rssi, text):
    assert codec.signal_text(rssi) == text


async def test_start_up_and_a_reply_with_a_urc_inside(line):
    await line.start()
    await line.online()
    sent = line.sim.commands
    assert sent[:2] == ["AT", "ATE0"]
    assert [c for c in ("AT+CMEE=2", "AT+CLIP=1", "AT+CMGF=1", "AT+CNMI=2,1") if c in sent] == [
        "AT+CMEE=2", "AT+CLIP=1", "AT+CMGF=1", "AT+CNMI=2,1"]
    port = line.driver.port
    line.sim.urc_in_reply = ['+CMTI: "SM",1']
    line.sim.receive_sms("+447700900456", "first")  # index 1, read and deleted
    await line.until(lambda: any(isinstance(e, MessageReport) for e in line.reports))
    assert not line.sim.sim
    with pytest.raises(codec.CmeError) as err:
        await port.command("AT+BOGUS")
    assert err.value.name == "operation not supported"
    assert port.stray_lines == 0


async def test_sms_is_stored_as_plain_text_and_deleted_even_from_a_full_sim(line):
    line.sim.slots = 2
    for n in range(3):  # the third waits at the network until a slot is free
        line.sim.receive_sms("+447700900456", f"Parcel {n}\x1b[31m at the\tdoor")
    await line.start()
    events = await line.until(lambda: len(
        [e for e in line.sink.events if e.kind is EventKind.SMS_RECEIVED]) == 3 and [
        e for e in line.sink.events if e.kind is EventKind.SMS_RECEIVED])
    assert events[0].credential == "+447700900456"
    assert events[0].description == "SMS from +447700900456 : Parcel 0 at the door"
    await line.until(lambda: not line.sim.sim and not line.sim.waiting)
    assert line.runtime.health[line.modem_id].counters["SMS received"] == 3


async def test_health_reaches_the_devices_tab(line):
    line.sim.rssi, line.sim.registration = 10, 5
    await line.start()
    await line.until(lambda: line.runtime.health.get(line.modem_id)
                     and line.runtime.health[line.modem_id].info.get("operator"))
    assert line.runtime.health[line.modem_id].info == {
        "registration": "roaming", "signal": "▂▄__ -93 dBm", "operator": "Doorkeeper Mobile"}
    line.sim.set_registration(3)  # +CREG: 3 as a URC
    await line.until(lambda: line.runtime.health[line.modem_id].info["registration"] == "denied")


async def test_a_silent_modem_is_offline_within_5_s_then_started_up_again(line):
    await line.start()
    await line.online()
    line.sim.silent = True
    await line.until(lambda: line.statuses(Status.OFFLINE), timeout=5.0)
    assert line.sink.events[-1].kind is EventKind.DEVICE_OFFLINE  # the alarm
    starts = line.driver.state.counters["start-ups"]
    line.sim.silent = False
    await line.until(lambda: line.driver.state.online
                     and line.driver.state.counters["start-ups"] > starts)
    assert line.sink.events[-1].kind is EventKind.DEVICE_ONLINE


async def test_a_reboot_mid_command_is_noticed_and_settings_restored(line):
    await line.start()
    await line.online()
    line.sim.reboot_on = "AT+CSQ"
    await line.until(lambda: line.sim.reboots == 1)
    await line.until(lambda: line.driver.state.counters["start-ups"] >= 2)
    assert line.sim.settings["clip"] == 1 and not line.sim.settings["echo"]


async def test_a_locked_sim_is_an_alarm_naming_it_then_unlocked_with_the_pin(line):
    line.sim.pin, line.sim.unlocked = "1234", False
    await line.start()
    offline = await line.until(lambda: line.statuses(Status.OFFLINE))
    assert "SIM PIN required" in offline[0].detail
    await line.driver.stop()
    line.reports.clear()
    await line.start(pin="1234")
    await line.online()
    assert 'AT+CPIN="1234"' in line.sim.commands


def test_a_port_that_does_not_exist_is_named():
    port = ModemPort("/dev/nonexistent-modem", 115200, lambda urc, text: None)
    assert port.port == "/dev/nonexistent-modem" and not port.is_open


@pytest.mark.parametrize(("lines", "why"), [
    (["ERROR"], "refuses every command: error"),
    (["+CME ERROR: phone failure"], "refuses every command: phone failure"),
    (["+CSQ: 20,0"], "answers, but never with OK or an error"),  # never a final result
], ids=["error", "cme-error", "no-final-result"])
async def test_a_modem_that_answers_but_never_succeeds_is_offline_then_recovers(line, lines,
                                                                               why):
    """Before: a modem answering ERROR to everything was sent ~10,000 commands a second
    and stayed online; one talking without a final result stayed online too. Neither
    was an alarm, as the modem was heard from."""
    await line.start()
    await line.online()
    sent = len(line.sim.commands)
    line.sim.answer_all = lines
    offline = await line.until(lambda: line.statuses(Status.OFFLINE), timeout=5.0)
    assert offline[0].detail == why
    assert line.sink.events[-1].kind is EventKind.DEVICE_OFFLINE  # the alarm
    assert len(line.sim.commands) - sent < 50  # a few commands, then back-off
    line.sim.answer_all = None
    await line.until(lambda: line.driver.state.online, timeout=5.0)
    assert line.sink.events[-1].kind is EventKind.DEVICE_ONLINE


async def test_a_modem_refusing_everything_from_the_start_is_an_alarm(line):
    line.sim.answer_all = ["ERROR"]
    await line.start()
    offline = await line.until(lambda: line.statuses(Status.OFFLINE), timeout=5.0)
    assert offline[0].detail == "refuses every command: error"
    assert not line.driver.state.online


async def test_a_message_the_modem_cannot_read_is_reported_and_holds_back_nothing(line):
    """A corrupt SIM slot (AT+CMGR: +CMS ERROR: 500): before, it was asked for again and
    again, the messages after it were never read and the health never polled (then,
    once a failing modem went offline, it flapped offline and online)."""
    await line.start()
    await line.online()
    index = line.sim.receive_sms("+447700900456", "lost")
    line.sim.sim[index].unreadable = True
    line.sim.receive_sms("+447700900457", "Parcel at the door")
    events = await line.until(lambda: len(
        found := [e for e in line.sink.events if e.kind is EventKind.SMS_RECEIVED]) == 2
        and found)
    assert sorted(e.description for e in events) == [
        "SMS from +447700900457 : Parcel at the door",
        "SMS from unknown : (a message the modem could not read: unknown error; deleted)"]
    assert not line.sim.sim  # both deleted: the SIM does not fill up
    assert line.driver.state.counters["unreadable SMS"] == 1
    assert not line.statuses(Status.OFFLINE)
