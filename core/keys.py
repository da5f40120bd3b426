"""OpenSSH public key lines ("ssh-ed25519 AAAA… comment"), pure: parse, check, fingerprint.

A line is `type base64 [comment]`. The base64 blob is the SSH wire encoding of the
key, which begins with the key type as a length-prefixed string (RFC 4253 §6.6);
that embedded type must equal the one written in front, so a blob cannot pass for
another kind of key. The fingerprint is OpenSSH's: "SHA256:" and the unpadded
base64 of the SHA-256 of the blob (what `ssh-keygen -lf` prints).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from core.errors import ValidationError
from core.text import safe_text

KEY_TYPES = frozenset({
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
})
KEY_LINE_MAX = 8 * 1024  # bytes of the whole line; a 16384-bit RSA key still fits
COMMENT_MAX = 100
FIELD = "key"


@dataclass(frozen=True)
class PublicKey:
    """A checked public key: its type, its base64 blob, a printable comment."""

    type: str
    blob: str  # base64, as written in the line
    comment: str = ""

    @property
    def line(self) -> str:
        """The key as stored: type and base64, with the comment when there is one."""
        return f"{self.type} {self.blob} {self.comment}".rstrip()

    @property
    def identity(self) -> str:
        """Type and base64 only: what two lines must share to be the same key."""
        return f"{self.type} {self.blob}"

    @property
    def fingerprint(self) -> str:
        """OpenSSH's SHA256 fingerprint."""
        return fingerprint(base64.b64decode(self.blob))


def fingerprint(blob: bytes) -> str:
    """"SHA256:" + unpadded base64 of the SHA-256 of the key blob."""
    digest = hashlib.sha256(blob).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _embedded_type(blob: bytes) -> str | None:
    """The key type at the start of a wire-format blob, or None if it has none."""
    if len(blob) < 4:
        return None
    (length,) = struct.unpack(">I", blob[:4])
    if length == 0 or length > 64 or len(blob) < 4 + length:
        return None
    try:
        return blob[4:4 + length].decode("ascii")
    except UnicodeDecodeError:
        return None


def _comment(text: str) -> str:
    """The comment made printable (control and escape characters dropped) and cut short."""
    return " ".join(safe_text(text).split())[:COMMENT_MAX]


def parse_public_key(line: str | None) -> PublicKey:
    """Check one OpenSSH public key line; ValidationError (field "key") says what is wrong."""
    text = (line or "").strip()
    if not text:
        raise ValidationError("Paste a public key line, e.g. 'ssh-ed25519 AAAA… you@host'.",
                              field=FIELD)
    if len(text.encode("utf-8", "replace")) > KEY_LINE_MAX:
        raise ValidationError(f"A public key line is at most {KEY_LINE_MAX // 1024} KB.",
                              field=FIELD)
    if "\n" in text or "\r" in text:
        raise ValidationError("Paste one key at a time (one line).", field=FIELD)
    parts = text.split(None, 2)
    key_type = parts[0]
    if key_type not in KEY_TYPES:
        shown = safe_text(key_type)[:40]
        raise ValidationError(f"Unknown key type {shown!r}; use one of "
                              f"{', '.join(sorted(KEY_TYPES))}.", field=FIELD)
    if len(parts) < 2:
        raise ValidationError("The key's base64 part is missing.", field=FIELD)
    encoded = parts[1]
    try:
        blob = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("The key's base64 part is damaged.", field=FIELD) from None
    embedded = _embedded_type(blob)
    if embedded != key_type:
        raise ValidationError(f"The key data is not a {key_type} key.", field=FIELD)
    # Re-encode so that equal keys are stored alike whatever padding was pasted.
    return PublicKey(key_type, base64.b64encode(blob).decode("ascii"),
                     _comment(parts[2]) if len(parts) > 2 else "")


def same_key(a: str, b: str) -> bool:
    """Whether two key lines hold the same key (type and base64; comments aside)."""
    try:
        return parse_public_key(a).identity == parse_public_key(b).identity
    except ValidationError:
        return False
