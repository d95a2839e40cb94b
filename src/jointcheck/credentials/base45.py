"""Base45 (RFC 9285): the text encoding of the ``HC1:`` and our native QR payloads.

Decoding runs on every scan, so it is table-driven and vectorised through Python's big
integers instead of a loop per character: the translated digits are read as one little-endian
integer, the three digits of every group are masked out with one AND each, combined with two
multiplications, and the 16-bit values are sliced back out of the product. Every step is a
C-level operation on the whole input (docs/performance.md, "verify").

Decoding is strict (RFC 9285 section 4.4): a character outside the alphabet, a length of
3n+1, or a group worth more than 0xFFFF (two characters: more than 0xFF) is a failure, given
as ``None``; the caller turns it into ``Reason.BAD_BASE45``.
"""

from __future__ import annotations

ALPHABET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_INVALID = 0xFF
_DIGITS = bytes(ALPHABET.index(c) if c in ALPHABET else _INVALID for c in range(256))
# A group of three digits is at most 44 + 44*45 + 44*2025 < 2**17, so it fits a 24-bit field
# without carrying into the next group; the mask selects one digit of every 24-bit field.
# Sized for the longest QR payload (4,296 alphanumeric characters, ISO/IEC 18004 table 7).
_MAX_GROUPS = 4296 // 3 + 1
_LOW_DIGITS = int.from_bytes(b"\xff\x00\x00" * _MAX_GROUPS, "little")


def decode(text: str | bytes) -> bytes | None:
    """Decode Base45 text; ``None`` if it is not valid Base45 (RFC 9285 section 4.4)."""
    if isinstance(text, str):
        if not text.isascii():
            return None
        text = text.encode("ascii")
    digits = text.translate(_DIGITS)
    if _INVALID in digits:
        return None
    groups, rest = divmod(len(digits), 3)
    if rest == 1 or groups > _MAX_GROUPS:
        return None
    full = groups * 3
    packed = int.from_bytes(memoryview(digits)[:full] if rest else digits, "little")
    values = (
        (packed & _LOW_DIGITS)
        + 45 * ((packed >> 8) & _LOW_DIGITS)
        + 2025 * ((packed >> 16) & _LOW_DIGITS)
    ).to_bytes(full, "little")
    # The third byte of every 24-bit field is the part of the group above 0xFFFF.
    if values[2::3].count(0) != groups:
        return None
    out = bytearray(2 * groups + rest // 2)
    out[0 : 2 * groups : 2] = values[1::3]
    out[1 : 2 * groups : 2] = values[0::3]
    if rest:
        last = digits[-2] + 45 * digits[-1]
        if last > 0xFF:  # noqa: PLR2004 - one byte: RFC 9285 section 4.4
            return None
        out[-1] = last
    return bytes(out)


def encode(data: bytes) -> str:
    """Encode bytes as Base45 (RFC 9285 section 4): two bytes to three characters."""
    out = bytearray()
    for i in range(0, len(data) - 1, 2):
        value = data[i] * 256 + data[i + 1]
        high, value = divmod(value, 2025)
        mid, low = divmod(value, 45)
        out += bytes((ALPHABET[low], ALPHABET[mid], ALPHABET[high]))
    if len(data) % 2:
        mid, low = divmod(data[-1], 45)
        out += bytes((ALPHABET[low], ALPHABET[mid]))
    return out.decode("ascii")
