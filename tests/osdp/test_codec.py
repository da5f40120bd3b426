"""The OSDP codec byte for byte: frames, checks, sequence numbers, payloads, card formats."""

from __future__ import annotations

import pytest

from drivers.osdp import cards, codec, payloads
from drivers.osdp.codec import Cmd, Deframer, Reply
from drivers.osdp.payloads import CardRead


def test_crc_is_aug_ccitt():
    assert codec.crc16(b"123456789") == 0xE5CC
    assert codec.crc16_fast(b"123456789") == 0xE5CC
    for n in range(0, 300, 7):
        data = bytes(range(n % 256)) * 2
        assert codec.crc16_fast(data) == codec.crc16(data)


def test_checksum_is_twos_complement_of_the_sum():
    assert codec.checksum(b"\x53\x65\x07\x00\x00\x60") == (-(0x53 + 0x65 + 7 + 0x60)) & 0xFF
    assert (sum(b"\x01\x02\xff") + codec.checksum(b"\x01\x02\xff")) & 0xFF == 0


def test_the_verified_exchange_with_libosdp():
    """POLL to 0x65 and the ACK libosdp's PD sent back, as captured on this machine."""
    assert codec.encode(0x65, Cmd.POLL) == bytes.fromhex("53 65 08 00 04 60 60 90")
    ack = codec.decode(bytes.fromhex("53 e5 08 00 04 40 d2 96"))
    assert (ack.address, ack.reply, ack.code, ack.data, ack.sequence) == (0x65, True, Reply.ACK,
                                                                          b"", 0)


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"address": 0, "code": Cmd.ID, "data": b"\x00", "sequence": 1},
     "53 00 09 00 05 61 00"),
    ({"address": 0x7F, "code": Cmd.POLL, "sequence": 2, "use_crc": False},
     "53 7f 07 00 02 60"),
    ({"address": 1, "code": Reply.ACK, "sequence": 3, "reply": True},
     "53 81 08 00 07 40"),
])
def test_encode_headers(kwargs, expected):
    frame = codec.encode(**kwargs)
    assert frame.startswith(bytes.fromhex(expected))
    assert len(frame) == frame[2]
    back = codec.decode(frame)
    assert back.code == kwargs["code"] and back.sequence == kwargs["sequence"]


def test_checksum_frames_round_trip():
    frame = codec.encode(5, Cmd.LED, payloads.led_data(payloads.Color.GREEN, 20), 1,
                         use_crc=False)
    assert frame[-1] == codec.checksum(frame[:-1])
    assert codec.decode(frame).data == payloads.led_data(payloads.Color.GREEN, 20)


@pytest.mark.parametrize("damage", [lambda f: f[:-1] + bytes([f[-1] ^ 1]),
                                    lambda f: f[:6] + bytes([f[6] ^ 0x10]) + f[7:]])
def test_a_damaged_frame_fails_its_crc(damage):
    frame = codec.encode(3, Cmd.OUT, payloads.out_data(0, payloads.Output.PULSE_ON, 50), 1)
    with pytest.raises(codec.CheckError):
        codec.decode(damage(frame))


def test_length_and_shape_errors():
    with pytest.raises(codec.FrameError):
        codec.decode(b"\x53\x00")
    with pytest.raises(codec.FrameError):
        codec.decode(bytes.fromhex("54 65 08 00 04 60 60 90"))
    with pytest.raises(codec.FrameError):
        codec.decode(bytes.fromhex("53 65 09 00 04 60 60 90"))


def test_sequence_numbers_count_1_2_3_1():
    seq, seen = 0, []
    for _ in range(5):
        seq = codec.next_sequence(seq)
        seen.append(seq)
    assert seen == [1, 2, 3, 1, 2]


def test_deframer_skips_noise_marks_and_bad_frames():
    good = codec.encode(0x65, Reply.ACK, reply=True)
    bad = bytearray(good)
    bad[-1] ^= 0xFF
    d = Deframer()
    frames = d.feed(b"\x00\xff" + bytes(bad) + b"\xff" + good[:3])
    assert frames == [] and d.bad_checks == 1
    frames = d.feed(good[3:] + good)
    assert [f.code for f in frames] == [Reply.ACK, Reply.ACK]


def test_command_payloads_byte_for_byte():
    assert payloads.out_data(0, payloads.Output.PULSE_ON, 30) == bytes.fromhex("00 05 1e 00")
    assert payloads.led_data(payloads.Color.RED, 20) == bytes.fromhex(
        "00 00 02 0a 00 01 01 14 00 01 0a 00 00 00")
    assert payloads.buz_data(10) == bytes.fromhex("00 02 0a 00 01")
    key = bytes(range(16))
    assert payloads.keyset_data(key) == b"\x01\x10" + key
    assert payloads.comset_data(2, 115200) == bytes.fromhex("02 00 c2 01 00")


def test_reply_payloads():
    pid = payloads.parse_pdid(bytes.fromhex("be ba fe 01 02 af be ad de 03 04 05"))
    assert (pid.vendor, pid.model, pid.version, pid.serial, pid.firmware) == (
        0xFEBABE, 1, 2, 0xDEADBEAF, "3.4.5")
    assert payloads.parse_pdcap(bytes.fromhex("02 01 04 04 01 01")) == {2: (1, 4), 4: (1, 1)}
    read = payloads.parse_raw(bytes.fromhex("00 01 1a 00") + cards.wiegand(12345678))
    assert (read.reader, read.format, read.bits) == (0, 1, 26)
    assert payloads.parse_keypad(b"\x00\x05123\x7f\x0d") == (0, b"123*#")
    assert payloads.parse_nak(b"\x04") == codec.Nak.SEQUENCE
    with pytest.raises(codec.FrameError):
        payloads.parse_raw(bytes.fromhex("00 01 1a 00 01"))
    with pytest.raises(codec.FrameError):
        payloads.parse_keypad(b"\x00\x09123")


@pytest.mark.parametrize(("number", "size", "fmt", "expected"), [
    (12345678, 26, "wiegand26", "0012345678"),
    (0xFFFFFF, 26, "wiegand26", "0016777215"),
    (0, 26, "wiegand26", "0000000000"),
    (4_000_000_000, 34, "wiegand34", "4000000000"),
    (12345678, 26, "wiegand34", None),  # the wrong bit count for the reader's format
])
def test_card_formats(number, size, fmt, expected):
    read = CardRead(0, 1, size, cards.wiegand(number, size))
    assert cards.card_number(read, fmt) == expected


def test_bad_parity_is_not_a_card():
    data = bytearray(cards.wiegand(12345678))
    data[1] ^= 0x10
    assert cards.card_number(CardRead(0, 1, 26, bytes(data)), "wiegand26") is None


def test_raw_format_is_the_whole_number():
    assert cards.card_number(CardRead(0, 0, 16, b"\x30\x39"), "raw") == "0000012345"
