"""OSDP Secure Channel (AES-128): the handshake's sums and the session's MAC and encryption.

Handshake (each step a frame with an SCB and no MAC)::

    CP  CHLNG   SCB 03 11 key   RND.A (8)                     key: 0 = SCBK-D, 1 = SCBK
    PD  CCRYPT  SCB 03 12 key   cUID (8) RND.B (8) PD cryptogram (16)
    CP  SCRYPT  SCB 03 13 key   CP cryptogram (16)
    PD  RMAC_I  SCB 03 14 01    RMAC-I (16)

Session keys are AES(SCBK, 01 82|01 01|01 02 ‖ RND.A[0..5] ‖ 00..) = S-ENC,
S-MAC1, S-MAC2. PD cryptogram = AES(S-ENC, RND.A ‖ RND.B); CP cryptogram =
AES(S-ENC, RND.B ‖ RND.A); RMAC-I = AES(S-MAC2, AES(S-MAC1, CP cryptogram)).

Afterwards a command carries SCB 02 15 (MAC only) or 02 17 (data encrypted);
a reply 02 16 or 02 18. The MAC is AES-CBC over the frame from SOM to the
data (0x80 then zeros to a multiple of 16 when needed): every block but the
last with S-MAC1, the last with S-MAC2, chained from the last MAC of the
other side (R-MAC for a command, starting at RMAC-I; C-MAC for a reply); the
frame carries its first 4 bytes. Data is AES-CBC with S-ENC, always padded
with 0x80 then zeros, the IV being the bitwise inverse of that same last MAC.
"""

from __future__ import annotations

import hmac
import os

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from drivers.osdp import codec
from drivers.osdp.codec import Cmd, Frame, FrameError

SCBK_D = bytes(range(0x30, 0x40))  # the install key every reader starts with
SCS_CHLNG, SCS_CCRYPT, SCS_SCRYPT, SCS_RMAC_I = 0x11, 0x12, 0x13, 0x14
SCS_CMD_MAC, SCS_REPLY_MAC, SCS_CMD_ENC, SCS_REPLY_ENC = 0x15, 0x16, 0x17, 0x18


class SecureError(FrameError):
    """A secure-channel frame that fails its MAC, its padding or the handshake."""


def aes(key: bytes, block: bytes) -> bytes:
    """AES-128-ECB of one block."""
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def _cbc(key: bytes, iv: bytes, data: bytes, decrypt: bool = False) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
    ctx = cipher.decryptor() if decrypt else cipher.encryptor()
    return ctx.update(data) + ctx.finalize()


def session_keys(scbk: bytes, rnd_a: bytes) -> tuple[bytes, bytes, bytes]:
    """(S-ENC, S-MAC1, S-MAC2) from the base key and the CP's random."""
    tail = rnd_a[:6] + bytes(8)
    return (aes(scbk, b"\x01\x82" + tail), aes(scbk, b"\x01\x01" + tail),
            aes(scbk, b"\x01\x02" + tail))


def _invert(block: bytes) -> bytes:
    return bytes(b ^ 0xFF for b in block)


def pad(data: bytes) -> bytes:
    """0x80 then zeros up to a multiple of 16 (always at least the 0x80)."""
    data = data + b"\x80"
    return data + bytes(-len(data) % 16)


def unpad(data: bytes) -> bytes:
    """Strip the zeros and the 0x80 marker; SecureError if the marker is missing."""
    end = len(data.rstrip(b"\x00"))
    if end == 0 or data[end - 1] != 0x80:
        raise SecureError("bad padding")
    return data[:end - 1]


class Session:
    """One reader's secure channel: the handshake's state, then MACs and encryption."""

    def __init__(self, scbk: bytes, *, install: bool = False, rnd_a: bytes | None = None) -> None:
        self.scbk = SCBK_D if install else scbk
        self.key_selector = 0 if install else 1
        self.rnd_a = rnd_a if rnd_a is not None else os.urandom(8)
        self.s_enc, self.s_mac1, self.s_mac2 = session_keys(self.scbk, self.rnd_a)
        self.rnd_b = b""
        self.cp_cryptogram = b""
        self.c_mac = bytes(16)
        self.r_mac = bytes(16)
        self.active = False

    # --- handshake -----------------------------------------------------------------------
    def challenge(self, address: int, sequence: int) -> bytes:
        """CHLNG with our random."""
        return codec.encode(address, Cmd.CHLNG, self.rnd_a, sequence,
                            scb=bytes((3, SCS_CHLNG, self.key_selector)))

    def on_ccrypt(self, frame: Frame) -> None:
        """Check the reader's cryptogram (proves it holds the key); SecureError if not."""
        if frame.code != codec.Reply.CCRYPT or frame.scb_type != SCS_CCRYPT:
            raise SecureError(f"expected CCRYPT, got reply 0x{frame.code:02x}")
        if len(frame.data) != 32:
            raise SecureError("CCRYPT of the wrong length")
        self.rnd_b = frame.data[8:16]
        expected = aes(self.s_enc, self.rnd_a + self.rnd_b)
        if not hmac.compare_digest(expected, frame.data[16:32]):
            raise SecureError("the reader's cryptogram does not match: wrong key")
        self.cp_cryptogram = aes(self.s_enc, self.rnd_b + self.rnd_a)

    def server_cryptogram(self, address: int, sequence: int) -> bytes:
        """SCRYPT with our cryptogram."""
        return codec.encode(address, Cmd.SCRYPT, self.cp_cryptogram, sequence,
                            scb=bytes((3, SCS_SCRYPT, self.key_selector)))

    def on_rmac_i(self, frame: Frame) -> None:
        """Check RMAC-I; the session is active afterwards. SecureError if it is wrong."""
        if frame.code != codec.Reply.RMAC_I or frame.scb_type != SCS_RMAC_I:
            raise SecureError(f"expected RMAC_I, got reply 0x{frame.code:02x}")
        expected = aes(self.s_mac2, aes(self.s_mac1, self.cp_cryptogram))
        if len(frame.data) != 16 or not hmac.compare_digest(expected, frame.data):
            raise SecureError("RMAC-I does not match")
        self.r_mac = expected
        self.active = True

    # --- session -------------------------------------------------------------------------
    def _mac(self, iv: bytes, message: bytes) -> bytes:
        if len(message) % 16:
            message = message + b"\x80" + bytes(-(len(message) + 1) % 16)
        if len(message) > 16:
            iv = _cbc(self.s_mac1, iv, message[:-16])[-16:]
        return aes(self.s_mac2, bytes(a ^ b for a, b in zip(iv, message[-16:], strict=True)))

    def seal(self, address: int, code: int, data: bytes, sequence: int, *,
             reply: bool = False) -> tuple[bytes, bytes]:
        """A frame in the session (data encrypted, MAC appended) and its full MAC.

        A command chains from the reader's last MAC, a reply from ours."""
        chain = self.c_mac if reply else self.r_mac
        if data:
            scb = bytes((2, SCS_REPLY_ENC if reply else SCS_CMD_ENC))
            data = _cbc(self.s_enc, _invert(chain), pad(data))
        else:
            scb = bytes((2, SCS_REPLY_MAC if reply else SCS_CMD_MAC))
        draft = codec.encode(address, code, data, sequence, reply=reply, scb=scb, mac=bytes(4))
        mac = self._mac(chain, draft[:-6])
        return codec.encode(address, code, data, sequence, reply=reply, scb=scb,
                            mac=mac[:4]), mac

    def wrap(self, address: int, code: int, data: bytes, sequence: int) -> bytes:
        """A command in the secure channel: data encrypted, MAC appended."""
        frame, self.c_mac = self.seal(address, code, data, sequence)
        return frame

    def unwrap(self, frame: Frame) -> bytes:
        """A reply's plain data after checking its MAC; SecureError if it fails."""
        if frame.scb_type not in (SCS_REPLY_MAC, SCS_REPLY_ENC):
            raise SecureError("a reply outside the secure channel")
        end = len(frame.raw) - (2 if frame.use_crc else 1) - codec.MAC_LEN
        mac = self._mac(self.c_mac, frame.raw[:end])
        if not hmac.compare_digest(mac[:4], frame.mac):
            raise SecureError("bad MAC")
        self.r_mac = mac
        if frame.scb_type == SCS_REPLY_MAC:
            return frame.data
        if not frame.data or len(frame.data) % 16:
            raise SecureError("encrypted data is not whole blocks")
        return unpad(_cbc(self.s_enc, _invert(self.c_mac), frame.data, decrypt=True))


def reader_reply(session: Session, address: int, code: int, data: bytes, sequence: int) -> bytes:
    """What a reader would send in this session (for tests and the fuzzer): the mirror of wrap."""
    return session.seal(address, code, data, sequence, reply=True)[0]
