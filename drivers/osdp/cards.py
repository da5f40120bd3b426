"""Card formats: the bits of a RAW reply turned into the 10-digit APass number the store holds.

- ``wiegand26``: P + 8-bit facility + 16-bit card + P (even parity over the
  first 13 bits, odd over the last 13); the 24 bits between the parities as
  one decimal number, ten digits with leading zeros.
- ``wiegand34``: P + 32 bits + P (even over the first 17, odd over the last
  17); the 32 bits as ten digits (2^32 - 1 = 4294967295 fits).
- ``raw``: every bit read, as one number in ten digits (a longer number is
  passed on whole, and the access engine will not know it).

A read whose bit count or parity does not fit the reader's format gives None.
"""

from __future__ import annotations

from drivers.osdp.payloads import CardRead

DIGITS = 10


def bits_value(read: CardRead) -> int:
    """The read's bits (MSB first) as an unsigned number."""
    return int.from_bytes(read.data, "big") >> (len(read.data) * 8 - read.bits)


def _parity_ok(value: int, bits: int) -> bool:
    half = bits // 2
    first = value >> half  # the leading parity bit and the first half of the data
    last = value & ((1 << half) - 1)
    return bin(first).count("1") % 2 == 0 and bin(last).count("1") % 2 == 1


def card_number(read: CardRead, card_format: str) -> str | None:
    """The APass number of a card read, or None if it does not fit the format."""
    value = bits_value(read)
    if card_format == "raw":
        return str(value).zfill(DIGITS)
    size = {"wiegand26": 26, "wiegand34": 34}.get(card_format)
    if size is None or read.bits != size or not _parity_ok(value, size):
        return None
    return str((value >> 1) & ((1 << (size - 2)) - 1)).zfill(DIGITS)


def wiegand(number: int, size: int = 26) -> bytes:
    """The bits of a card (with parities) as a RAW reply carries them (for tests and demos)."""
    data_bits = size - 2
    if not 0 <= number < 1 << data_bits:
        raise ValueError(f"{number} does not fit {data_bits} bits")
    half = data_bits // 2
    first, last = number >> half, number & ((1 << half) - 1)
    even = bin(first).count("1") % 2
    odd = 1 - bin(last).count("1") % 2
    value = (even << (size - 1)) | (number << 1) | odd
    nbytes = (size + 7) // 8
    return (value << (nbytes * 8 - size)).to_bytes(nbytes, "big")
