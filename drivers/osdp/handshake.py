"""Meeting a reader: its identity and capabilities (ID, CAP), then the Secure Channel.

The handshake is CHLNG -> CCRYPT, SCRYPT -> RMAC_I (see drivers.osdp.secure for
the cryptography). A reader still on the install key (SCBK-D) is sent its own
key with KEYSET and spoken to with that key from the next session on. These
functions do the exchanges through the driver's `transact` (a frame and its
reply) and `exchange` (a command and its reply's code and plain data); what
to do with a refusal (an alarm, back-off) stays with the driver.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable

from drivers.osdp import codec, payloads
from drivers.osdp.codec import Cmd, FrameError, Reply
from drivers.osdp.reader import ReaderState
from drivers.osdp.secure import SCS_CCRYPT, SecureError, Session

log = logging.getLogger(__name__)

#: send (or send again) a frame; its reply, or None if none came
Transact = Callable[[ReaderState, bytes, int], Awaitable[codec.Frame | None]]
#: one command; its reply's code and plain data, or None (no reply, or not trusted)
Exchange = Callable[[ReaderState, int, bytes], Awaitable[tuple[int, bytes] | None]]


async def identify(reader: ReaderState, exchange: Exchange) -> bool:
    """ID and CAP into `reader.info` (shown on the Devices tab); False if the reader is silent."""
    ident = await exchange(reader, Cmd.ID, b"\x00")
    if ident is None:
        return False
    if ident[0] == Reply.PDID:
        with contextlib.suppress(FrameError):
            pid = payloads.parse_pdid(ident[1])
            reader.info.update(vendor=f"{pid.vendor:06X}", model=str(pid.model),
                               version=str(pid.version), serial=f"{pid.serial:08X}",
                               firmware=pid.firmware)
    cap = await exchange(reader, Cmd.CAP, b"\x00")
    if cap is None:
        return False
    if cap[0] == Reply.PDCAP:
        reader.info["capabilities"] = payloads.describe_caps(payloads.parse_pdcap(cap[1]))
    return True


async def secure(reader: ReaderState, transact: Transact, exchange: Exchange) -> bool | str:
    """The handshake (install key first when commissioning).

    True once the channel is active (`reader.session` set); False when there was
    no answer or the reader was just commissioned (start again later); a reason
    string when the reader must be refused.
    """
    key = reader.config.scbk
    if key is None:
        return "no secure channel key"  # only readers with a key come here
    install = reader.config.install and not reader.commissioned
    session = Session(key, install=install)
    why = await handshake(reader, session, transact)
    if why and install:  # perhaps it already has its key
        session = Session(key)
        why = await handshake(reader, session, transact)
    if why is None and not session.active:
        return False  # no answer: the offline logic takes it from here
    if why:
        return why
    reader.session = session
    if session.key_selector == 0:
        keyset = await exchange(reader, Cmd.KEYSET, payloads.keyset_data(key))
        if keyset is None or keyset[0] != Reply.ACK:
            return "KEYSET not accepted"
        reader.commissioned = True
        log.warning("osdp: reader %d commissioned with its own key; set install = false",
                    reader.config.address)
        reader.reset()  # the new key is used from the next session
        return False
    return True


async def handshake(reader: ReaderState, session: Session, transact: Transact) -> str | None:
    """CHLNG/CCRYPT/SCRYPT/RMAC_I; the reason it failed, or None (see session.active)."""
    address = reader.config.address
    reply = await transact(reader, session.challenge(address, reader.sequence), Cmd.CHLNG)
    if reply is None:
        return None
    if reply.code == Reply.NAK or reply.scb_type != SCS_CCRYPT:
        reader.counters["NAKs"] += reply.code == Reply.NAK
        return "the reader does not take the challenge"
    try:
        session.on_ccrypt(reply)
        reply = await transact(
            reader, session.server_cryptogram(address, reader.sequence), Cmd.SCRYPT)
        if reply is None:
            return None
        session.on_rmac_i(reply)
    except SecureError as err:
        reader.counters["MAC errors"] += 1
        return str(err)
    return None
