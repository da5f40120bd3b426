"""Dial to open over the simulated modem: RING + +CLIP -> the access engine's decision from
memory -> the door's relay on a grant; the call is rejected unanswered; the event names
the number, the holder and the reason."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from core.access import NUMBER_WITHHELD, TELEPHONE_UNKNOWN, VALIDITY_EXPIRED
from core.model import EventKind, EventResult
from tests.conftest import NOW
from tests.modem.conftest import PROVIDER, RESIDENT

LATER = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)  # after Sam's validity
# (case, number as +CLIP gives it, type, validity, residents may dial, when,
#  granted, reason, holder, the number in the event)
CASES = [
    ("resident, international", "+447546277360", 145, 0, True, NOW, True, "", "Appt. 001", RESIDENT),
    ("resident, national form", "07546277360", 129, None, True, NOW, True, "", "Appt. 001",
     RESIDENT),
    ("resident, no + on type 145", "447546277360", 145, None, True, NOW, True, "", "Appt. 001",
     RESIDENT),
    ("resident where the site does not allow it", RESIDENT, 145, None, False, NOW, False,
     TELEPHONE_UNKNOWN, "", RESIDENT),
    ("provider with the task's right", PROVIDER, 145, None, True, NOW, True, "", "Sam",
     PROVIDER),
    ("provider past his validity", PROVIDER, 145, None, True, LATER, False, VALIDITY_EXPIRED,
     "Sam", PROVIDER),
    ("unknown number", "+447700900999", 145, None, True, NOW, False, TELEPHONE_UNKNOWN, "",
     "+447700900999"),
    ("withheld (type 128)", "", 128, None, True, NOW, False, NUMBER_WITHHELD, "", ""),
    ("withheld (validity 1)", "+447546277360", 145, 1, True, NOW, False, NUMBER_WITHHELD, "",
     ""),
    ("not available (validity 2)", "", 145, 2, True, NOW, False, NUMBER_WITHHELD, "", ""),
]


async def test_dial_to_open_decisions(line, estate):
    await line.start()
    await line.online()
    site = line.runtime.snapshot.sites[estate.site.id].site
    for (case, number, ton, validity, residents_may, when, granted, reason, holder,
         shown) in CASES:
        site.residents_dial_to_open = residents_may
        line.driver.clock = lambda when=when: when
        opened, events = len(line.relays.opened), len(line.sink.events)
        call = line.sim.ring(number, ton, validity)
        event = await line.until(lambda n=events: next(
            (e for e in line.sink.events[n:] if e.kind is EventKind.OPEN_BY_TELEPHONE), None))
        await line.until(lambda call=call: call.ended)
        assert call.ended == "rejected", case  # never answered: free for the caller
        assert (event.result is EventResult.OPENING) == granted, case
        assert (event.reason, event.credential) == (reason, shown), case
        assert holder in event.name, (case, event.name)
        assert (len(line.relays.opened) > opened) == granted, case
        if granted:
            assert line.relays.opened[-1][1].door_id == estate.door.id, case
    assert "ATA" not in line.sim.commands


async def test_a_call_that_rings_again_is_decided_once(line):
    await line.start()
    await line.online()
    line.sim.ring_interval = 0.05
    call = line.sim.ring(RESIDENT, rings=3)
    await line.until(lambda: call.ended)
    await asyncio.sleep(0)  # the decision was made from the first RING's +CLIP
    assert len([e for e in line.sink.events if e.kind is EventKind.OPEN_BY_TELEPHONE]) == 1
    assert "Resident" in line.sink.events[-1].description


async def test_a_call_announced_inside_another_commands_reply_is_decided(line):
    await line.start()
    await line.online()
    line.sim.urc_in_reply = ["RING", f'+CLIP: "{RESIDENT}",145']  # inside the next poll's reply
    await line.until(lambda: line.relays.opened)
    await line.until(lambda: "ATH" in line.sim.commands)
    assert line.driver.port.stray_lines == 0


async def test_a_caller_id_with_control_characters_is_nobody_and_shown_as_garbled(line):
    """+4475462773<8-bit CSI>60: cleaned by dropping the control character, it was the
    resident's number in the stored event (though the call was denied), and the CSI,
    cleaned off the description, took " P" of "Pattern" with it."""
    await line.start()
    await line.online()
    for number in ("+4475462773\x9b60", "\x1b[31m+447546277360\x1b]0;x\x07"):
        events = len(line.sink.events)
        call = line.sim.ring(number)
        event = await line.until(lambda n=events: next(
            (e for e in line.sink.events[n:] if e.kind is EventKind.OPEN_BY_TELEPHONE), None))
        await line.until(lambda call=call: call.ended)
        assert event.result is EventResult.OPENING_DENIED and event.reason == TELEPHONE_UNKNOWN
        assert event.credential != RESIDENT and "?" in event.credential, number
        assert event.description == f"Tel number : {event.credential} Pattern : " \
                                    f"{TELEPHONE_UNKNOWN}"
        assert event.credential.isprintable() and event.description.isprintable()
    assert not line.relays.opened
