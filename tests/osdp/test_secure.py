"""Secure Channel: the handshake's sums, MACs, encryption, and refusals."""

from __future__ import annotations

import pytest

from drivers.osdp import codec
from drivers.osdp.codec import Cmd, Reply
from drivers.osdp.secure import (
    SCBK_D,
    SCS_CCRYPT,
    SCS_RMAC_I,
    SecureError,
    Session,
    aes,
    pad,
    reader_reply,
    session_keys,
    unpad,
)

KEY = bytes(range(0xA0, 0xB0))
RND_A = bytes.fromhex("0102030405060708")
RND_B = bytes.fromhex("1112131415161718")


def test_aes_known_answer():
    """FIPS-197 C.1: AES-128 of 00112233... under 000102...0f."""
    out = aes(bytes(range(16)), bytes.fromhex("00112233445566778899aabbccddeeff"))
    assert out.hex() == "69c4e0d86a7b0430d8cdb78070b4c55a"


def test_session_keys_follow_the_spec():
    s_enc, s_mac1, s_mac2 = session_keys(KEY, RND_A)
    assert s_enc == aes(KEY, b"\x01\x82" + RND_A[:6] + bytes(8))
    assert s_mac1 == aes(KEY, b"\x01\x01" + RND_A[:6] + bytes(8))
    assert s_mac2 == aes(KEY, b"\x01\x02" + RND_A[:6] + bytes(8))


def _reader_side(key: bytes, session: Session, address: int = 1):
    """What a reader holding `key` answers to our CHLNG and SCRYPT."""
    s_enc, s_mac1, s_mac2 = session_keys(key, session.rnd_a)
    ccrypt = codec.encode(address, Reply.CCRYPT, bytes(8) + RND_B
                          + aes(s_enc, session.rnd_a + RND_B), 1, reply=True,
                          scb=bytes((3, SCS_CCRYPT, 1)))
    rmac = aes(s_mac2, aes(s_mac1, aes(s_enc, RND_B + session.rnd_a)))
    rmac_i = codec.encode(address, Reply.RMAC_I, rmac, 2, reply=True,
                          scb=bytes((3, SCS_RMAC_I, 1)))
    return codec.decode(ccrypt), codec.decode(rmac_i)


def _handshake(reader_key: bytes = KEY) -> Session:
    session = Session(KEY, rnd_a=RND_A)
    challenge = codec.decode(session.challenge(1, 0))
    assert (challenge.code, challenge.scb, challenge.data) == (Cmd.CHLNG, b"\x03\x11\x01", RND_A)
    ccrypt, rmac_i = _reader_side(reader_key, session)
    session.on_ccrypt(ccrypt)
    scrypt = codec.decode(session.server_cryptogram(1, 1))
    assert scrypt.scb == b"\x03\x13\x01"
    assert scrypt.data == aes(session.s_enc, RND_B + RND_A)
    session.on_rmac_i(rmac_i)
    return session


def test_handshake_then_mac_and_encryption_both_ways():
    session = _handshake()
    assert session.active
    frame = codec.decode(session.wrap(1, Cmd.OUT, b"\x00\x05\x1e\x00", 2))
    assert frame.scb == b"\x02\x17" and len(frame.mac) == 4 and len(frame.data) == 16
    assert codec.decode(session.wrap(1, Cmd.POLL, b"", 3)).scb == b"\x02\x15"
    reply = codec.decode(reader_reply(session, 1, Reply.RAW, b"\x00\x01\x1a\x00abcd", 3))
    assert session.unwrap(reply) == b"\x00\x01\x1a\x00abcd"
    ack = codec.decode(reader_reply(session, 1, Reply.ACK, b"", 1))
    assert session.unwrap(ack) == b""


def test_a_reader_with_another_key_is_refused():
    with pytest.raises(SecureError, match="wrong key"):
        _handshake(reader_key=SCBK_D)


def test_bad_mac_plaintext_and_bad_rmac_are_refused():
    session = _handshake()
    session.wrap(1, Cmd.POLL, b"", 1)
    good = bytearray(reader_reply(session, 1, Reply.ACK, b"", 1))
    good[-3] ^= 0x01  # a MAC byte, CRC made right again
    forged = codec.encode(1, Reply.ACK, b"", 1, reply=True, scb=b"\x02\x16",
                          mac=bytes(good[-6:-2]))
    with pytest.raises(SecureError, match="bad MAC"):
        session.unwrap(codec.decode(forged))
    with pytest.raises(SecureError, match="outside"):
        session.unwrap(codec.decode(codec.encode(1, Reply.ACK, reply=True)))
    fresh = Session(KEY, rnd_a=RND_A)
    ccrypt, _ = _reader_side(KEY, fresh)
    fresh.on_ccrypt(ccrypt)
    bad = codec.encode(1, Reply.RMAC_I, bytes(16), 2, reply=True, scb=b"\x03\x14\x01")
    with pytest.raises(SecureError):
        fresh.on_rmac_i(codec.decode(bad))
    assert not fresh.active


def test_install_mode_uses_the_default_key():
    session = Session(KEY, install=True, rnd_a=RND_A)
    assert session.scbk == SCBK_D == bytes.fromhex("303132333435363738393a3b3c3d3e3f")
    assert codec.decode(session.challenge(1, 0)).scb == b"\x03\x11\x00"


@pytest.mark.parametrize("n", [0, 1, 15, 16, 17])
def test_padding_round_trip(n):
    data = bytes(range(1, n + 1))
    padded = pad(data)
    assert len(padded) % 16 == 0 and len(padded) > n
    assert unpad(padded) == data
    with pytest.raises(SecureError):
        unpad(bytes(16))
