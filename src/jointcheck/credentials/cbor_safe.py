"""Decoding untrusted CBOR (RFC 8949) with bounds: size, nesting depth, no surprising tags.

The input of every scan is attacker-controlled (hcert spec 6.3). cbor2 does the parsing; this
module only fences it in:

- size: at most ``MAX_CBOR_BYTES`` (the decompression cap, so that raw uncompressed input is
  bounded the same way); lengths declared beyond the data end as a premature-end error inside
  cbor2 without allocating them;
- depth: at most ``MAX_DEPTH`` nested containers (a DCC needs 5), else ``CBOR_TOO_DEEP``;
- tags whose decoding runs code or builds graphs are kept as plain ``CBORTag`` values instead
  of being interpreted: shared references (28/29) could build cyclic structures, regular
  expressions (35) compile attacker text, MIME (36) runs the e-mail parser, sets (258) and
  rationals/decimals/bignums (2-5, 30) have no meaning in a credential;
- date-time tags (RFC 8949 3.4.1-3.4.2) become the ISO 8601 strings of the JSON data model
  that the DCC schema speaks of (hcert spec 3.3.7; the dcc-testdata DECODE check compares
  them as ISO 8601 UTC strings): tag 0 keeps its text, tag 1 becomes UTC ``...Z``. A tag 0
  without text or a tag 1 without a number stays a ``CBORTag``, which no schema accepts;
- trailing bytes after the item are malformed (``decode``), except inside what the signature
  covers (``decode_signed``).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import cbor2

from jointcheck.credentials.reasons import Reason

MAX_DEPTH = 16
MAX_CBOR_BYTES = 64 * 1024
_UNINTERPRETED_TAGS = (2, 3, 4, 5, 28, 29, 30, 35, 36, 258)


def _keep_tag(tag: int) -> Any:  # noqa: ANN401 - cbor2's callback protocol is untyped
    def keep(value: Any, immutable: bool) -> cbor2.CBORTag:  # noqa: ANN401, ARG001 - same
        return cbor2.CBORTag(tag, value)

    return keep


class _DateTimeText(str):
    """Text that came from a date-time tag: a tag around it is not a text string (RFC 8949
    3.4.1 requires tag 0 to enclose text, tag 1 a number), so nesting stays a ``CBORTag``."""

    __slots__ = ()


def _datetime_text(value: Any, immutable: bool) -> Any:  # noqa: ANN401, ARG001 - cbor2 callback
    if isinstance(value, str) and not isinstance(value, _DateTimeText):
        return _DateTimeText(value)
    return cbor2.CBORTag(0, value)


def _epoch_text(value: Any, immutable: bool) -> Any:  # noqa: ANN401, ARG001 - cbor2 callback
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            stamp = datetime.fromtimestamp(value, UTC).isoformat()
        except (OverflowError, OSError, ValueError):  # out of datetime's range, NaN
            pass
        else:
            return _DateTimeText(stamp.replace("+00:00", "Z"))
    return cbor2.CBORTag(1, value)


_SEMANTIC = {tag: _keep_tag(tag) for tag in _UNINTERPRETED_TAGS}
_SEMANTIC |= {0: _datetime_text, 1: _epoch_text}


def decode(data: bytes) -> tuple[Reason, Any]:
    """Decode one CBOR item: ``(Reason.OK, value)`` or ``(CBOR_MALFORMED | CBOR_TOO_DEEP, None)``.

    Bytes after the item are malformed: one credential is one CBOR item."""
    if len(data) > MAX_CBOR_BYTES:
        return Reason.CBOR_MALFORMED, None
    stream = io.BytesIO(data)
    decoder = cbor2.CBORDecoder(stream, max_depth=MAX_DEPTH, semantic_decoders=_SEMANTIC)
    try:
        value = decoder.decode()
    except cbor2.CBORDecodeError as exc:
        return _failure(exc), None
    if stream.tell() != len(data):
        return Reason.CBOR_MALFORMED, None
    return Reason.OK, value


def decode_signed(data: bytes) -> tuple[Reason, Any]:
    """Decode a CBOR item that the COSE signature covers whole (the protected header,
    the payload), with the same bounds as ``decode``. Bytes after the item cannot have been
    added by anyone but the signer, so they are not looked for: that saves the stream object
    (a sixth of the cost of decoding a DCC payload, docs/performance.md)."""
    if len(data) > MAX_CBOR_BYTES:
        return Reason.CBOR_MALFORMED, None
    try:
        return Reason.OK, cbor2.loads(data, max_depth=MAX_DEPTH, semantic_decoders=_SEMANTIC)
    except cbor2.CBORDecodeError as exc:
        return _failure(exc), None


def _failure(exc: cbor2.CBORDecodeError) -> Reason:
    return Reason.CBOR_TOO_DEEP if "nesting depth" in str(exc) else Reason.CBOR_MALFORMED


def encode(value: Any) -> bytes:  # noqa: ANN401 - any CBOR-encodable value
    """Encode deterministically enough for signing (RFC 8949 section 4.2 preferred encoding)."""
    return cbor2.dumps(value, canonical=False)
