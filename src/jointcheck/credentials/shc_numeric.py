"""The ``shc:/`` QR text of SMART Health Cards: prefix, numeric encoding, chunks.

SMART Health Cards spec, "Encoding QRs": each JWS character ``c`` is written as the two
digits of ``ord(c) - 45``, after the fixed prefix ``shc:/``; the deprecated chunked form adds
``<index>/<count>/`` between the prefix and the digits ("Chunking Larger SHCs"). A scanner
that has collected every chunk, in any order, reassembles them with ``reassemble_chunks``;
a stream of scanned texts (bulk input) is cut into cards with ``group_chunks``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from jointcheck.credentials.reasons import Reason

PREFIX = "shc:/"
# The most a QR code holds in numeric mode (version 40, level L): issue 2, "Bad input".
MAX_DIGITS = 7089
# A card that needs more chunks than this is not a card a person can scan at a door; the
# spec's own guidance (V22 QR codes, chunks of at most 1191 JWS characters) needs far fewer.
MAX_CHUNKS = 16
# Lowest JWS character is "-" (45), highest "z" (122): 122 - 45 = 77 ("Encoding QRs").
_OFFSET = 45
_MAX_PAIR = ord("z") - _OFFSET
_DIGITS = b"0123456789"
_TENS = bytes.maketrans(_DIGITS, bytes(_OFFSET + 10 * d for d in range(10)))
_ONES = bytes.maketrans(_DIGITS, bytes(range(10)))
_CHUNK_HEADER = re.compile(r"([0-9]{1,3})/([0-9]{1,3})/")
# Prefix, chunk header and a little whitespace on top of the digits.
_MAX_TEXT = MAX_DIGITS + 64


@dataclass(frozen=True, slots=True)
class QrText:
    """One scanned ``shc:/`` text: its digits and, for chunks, its place in the set."""

    digits: str
    index: int = 1
    count: int = 1


def has_prefix(text: str) -> bool:
    # The URI scheme is case-insensitive (RFC 3986, 3.1); QR readers sometimes upper-case it.
    return text[: len(PREFIX)].lower() == PREFIX


def split_qr(text: str) -> QrText | Reason:
    """Strip the prefix and the chunk header; the digits are checked by ``decode_numeric``."""
    text = text.strip()
    if not has_prefix(text):
        return Reason.UNKNOWN_PREFIX
    if len(text) > _MAX_TEXT:
        return Reason.INPUT_TOO_LONG
    rest = text[len(PREFIX) :]
    header = _CHUNK_HEADER.match(rest)
    if header is None:
        qr = QrText(rest)
    else:
        index, count = int(header.group(1)), int(header.group(2))
        if count > MAX_CHUNKS:
            return Reason.INPUT_TOO_LONG
        if not 1 <= index <= count:
            return Reason.SHC_CHUNKS_INCOMPLETE
        qr = QrText(rest[header.end() :], index, count)
    if len(qr.digits) > MAX_DIGITS:
        return Reason.INPUT_TOO_LONG
    return qr


def decode_numeric(digits: str) -> str | Reason:
    """Pairs of digits back to JWS characters; anything else is BAD_NUMERIC."""
    raw = digits.encode("ascii", "replace")
    if not raw or len(raw) % 2 or not raw.isdigit():
        return Reason.BAD_NUMERIC
    # Each pair is 10 * tens + ones + 45. Both halves become byte strings of values; as big
    # integers they add byte by byte without a carry (at most 135 + 9 < 256), which keeps the
    # per-character work in C: the numeric step would otherwise cost more than the signature.
    tens = raw[0::2].translate(_TENS)
    ones = raw[1::2].translate(_ONES)
    chars = (int.from_bytes(tens, "big") + int.from_bytes(ones, "big")).to_bytes(len(tens), "big")
    if max(chars) > _OFFSET + _MAX_PAIR:
        return Reason.BAD_NUMERIC
    return chars.decode("ascii")


def encode_numeric(jws: str) -> str:
    """The ``shc:/`` text of a JWS that fits one QR code (the issuer's side of the encoding)."""
    return PREFIX + "".join(f"{ord(c) - _OFFSET:02d}" for c in jws)


def reassemble_chunks(texts: Iterable[str]) -> str | Reason:
    """The digits of a whole card from its scanned chunks, given in any order.

    The same chunk scanned twice is accepted; two different texts for one index, chunks
    that disagree on the count, or a missing index give SHC_CHUNKS_INCOMPLETE. A single
    unchunked ``shc:/`` text is its own whole card.
    """
    parts: dict[int, str] = {}
    count: int | None = None
    for n, text in enumerate(texts):
        if n >= 2 * MAX_CHUNKS:
            return Reason.INPUT_TOO_LONG
        qr = split_qr(text)
        if isinstance(qr, Reason):
            return qr
        if count is None:
            count = qr.count
        if qr.count != count or parts.setdefault(qr.index, qr.digits) != qr.digits:
            return Reason.SHC_CHUNKS_INCOMPLETE
    if count is None or len(parts) != count:
        return Reason.SHC_CHUNKS_INCOMPLETE
    return "".join(parts[i] for i in range(1, count + 1))


def _chunk_of(text: str) -> QrText | None:
    qr = split_qr(text)
    return qr if isinstance(qr, QrText) and qr.count > 1 else None


def group_chunks(texts: Iterable[str]) -> Iterator[list[str]]:
    """Cut scanned texts into cards: consecutive chunks of one card together, others alone.

    A group of chunks grows while the next text is a chunk with the same count and an index
    not yet in the group (the same chunk again is dropped, so a group never holds more than
    ``count`` texts), and ends once it holds every index. Anything else starts a new group,
    so a lone chunk is a group of one. Chunks carry no card identity: consecutive incomplete
    sets of two cards with the same count and disjoint indexes would make one group.
    """
    group: list[str] = []
    parts: dict[int, str] = {}
    count = 0
    for text in texts:
        qr = _chunk_of(text)
        fits = qr is not None and qr.count == count and parts.get(qr.index, qr.digits) == qr.digits
        if group and not fits:
            yield group
            group, parts, count = [], {}, 0
        if qr is not None and qr.index in parts:
            continue
        group.append(text)
        if qr is not None:
            count = qr.count
            parts[qr.index] = qr.digits
        if len(parts) == count or qr is None:
            yield group
            group, parts, count = [], {}, 0
    if group:
        yield group
