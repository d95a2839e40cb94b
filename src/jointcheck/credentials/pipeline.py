"""The transport steps every base45 credential shares: prefix, Base45, zlib, COSE, CWT.

``decode_envelope`` turns QR text into an ``Envelope`` (the parsed COSE_Sign1 and its CWT
claims) or a failed ``Verification`` naming the first step that failed;
``verify_envelope_signature`` finds the signing key; ``encode_envelope`` is the reverse path
for issuance. Each format module (``hcert``, the native codes) adds its own content checks.

Steps, in the order ``steps`` records them (``jointcheck verify --json``): ``unprefix``,
``base45``, ``decompress``, ``cose`` (COSE structure and CWT claims decoded), ``signature``
(kid found and signature verified), then the format's ``schema``, ``expiry``, ``key_usage``.

Bounds (issue 2, "Bad input"): text longer than a QR code holds is refused before any
decoding (ISO/IEC 18004 table 7: 4,296 alphanumeric characters, 7,089 digits); inflation stops
at 64 KiB of output, whatever the stream claims.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from jointcheck.credentials import base45, cbor_safe, cose
from jointcheck.credentials.keys import KeyRing, TrustedKey
from jointcheck.credentials.model import CredentialType, Verification
from jointcheck.credentials.reasons import Reason

MAX_ALPHANUMERIC_CHARS = 4296
MAX_NUMERIC_DIGITS = 7089
MAX_INFLATED_BYTES = 64 * 1024

STEPS = ("unprefix", "base45", "decompress", "cose", "signature", "schema", "expiry", "key_usage")

# CWT claim keys (RFC 8392 section 4; hcert spec 3.3.1).
CLAIM_ISS = 1
CLAIM_EXP = 4
CLAIM_IAT = 6
CLAIM_HCERT = -260
_ALGORITHMS = frozenset(int(alg) for alg in cose.Algorithm)
# NumericDate bounds that datetime can represent (up to 9999-12-31T23:59:59Z).
_MAX_NUMERIC_DATE = 253_402_300_799
# isinstance against tuples, not ``X | Y`` unions, which are built anew on every call.
_NUMBERS = (int, float)
_MAPS = (dict, Mapping)


class Claims(NamedTuple):
    """The CWT claims map with the registered claims read and type-checked (a NamedTuple,
    like ``cose.Sign1``, because it is built on every scan)."""

    iss: str | None
    iat: datetime | None
    exp: datetime | None
    raw: Mapping[Any, Any]


class Envelope(NamedTuple):
    prefix: str
    sign1: cose.Sign1
    claims: Claims
    steps: dict[str, bool | None]


def new_steps() -> dict[str, bool | None]:
    return dict.fromkeys(STEPS)


def failure(
    reason: Reason,
    steps: dict[str, bool | None],
    step: str | None,
    credential_type: CredentialType | None = None,
    detail: str = "",
) -> Verification:
    """A failed ``Verification``: ``step`` (if any) is marked False, later steps stay None."""
    if step is not None:
        steps[step] = False
    return Verification(reason, credential_type, dict(steps), detail=detail)


def too_long(text: str, *, numeric: bool = False) -> bool:
    """Whether ``text`` is longer than any QR code can hold in its mode."""
    return len(text) > (MAX_NUMERIC_DIGITS if numeric else MAX_ALPHANUMERIC_CHARS)


def inflate(data: bytes) -> tuple[Reason, bytes]:
    """zlib (RFC 1950) inflate, stopping at ``MAX_INFLATED_BYTES`` of output.

    ``max_length`` makes zlib stop producing output at the cap, so a stream that would inflate
    to a gigabyte costs 64 KiB and a fraction of a millisecond. A stream that ends early, or
    has bytes after its end, is not a credential (hcert spec 4.2.1: the CWT SHALL be zlib
    compressed; uncompressed payloads are refused, as dcc-testdata case Z2 expects).
    """
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_INFLATED_BYTES + 1)
    except zlib.error:
        return Reason.DECOMPRESSION_FAILED, b""
    if len(out) > MAX_INFLATED_BYTES:
        return Reason.INFLATION_CAP_EXCEEDED, b""
    if not inflater.eof or inflater.unused_data:
        return Reason.DECOMPRESSION_FAILED, b""
    return Reason.OK, out


def _numeric_date(value: Any) -> datetime | Reason | None:  # noqa: ANN401 - untrusted CBOR
    # RFC 8392 section 2: a NumericDate may carry a fraction. hcert spec 3.3.5 asks issuers
    # for integers, but ES issues fractions (dcc-testdata ES 1001...) and 3.3.7 asks
    # verifiers to be permissive; NaN and infinities are not dates.
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, _NUMBERS):
        return Reason.CWT_MALFORMED
    if not 0 <= value <= _MAX_NUMERIC_DATE:  # also false for NaN
        return Reason.CWT_MALFORMED
    return datetime.fromtimestamp(value, UTC)


def decode_claims(payload: bytes) -> Claims | Reason:
    """The CWT claims map (RFC 8392): iss text, iat and exp integer NumericDates."""
    reason, raw = cbor_safe.decode_signed(payload)
    if reason is not Reason.OK:
        return reason
    if not isinstance(raw, _MAPS):  # dict first: a plain isinstance, no ABC look-up
        return Reason.CWT_MALFORMED
    iss = raw.get(CLAIM_ISS)
    if iss is not None and not isinstance(iss, str):
        return Reason.CWT_MALFORMED
    iat = _numeric_date(raw.get(CLAIM_IAT))
    exp = _numeric_date(raw.get(CLAIM_EXP))
    if isinstance(iat, Reason):
        return iat
    if isinstance(exp, Reason):
        return exp
    return Claims(iss, iat, exp, raw)


def unwrap(text: str, prefix: str, steps: dict[str, bool | None]) -> bytes | Verification:
    """Prefix, Base45 and zlib: the COSE bytes inside QR text, or the failure."""
    if too_long(text):
        return failure(Reason.INPUT_TOO_LONG, steps, None)
    if not text.startswith(prefix):
        return failure(Reason.UNKNOWN_PREFIX, steps, "unprefix")
    steps["unprefix"] = True
    compressed = base45.decode(text[len(prefix) :])
    if compressed is None:
        return failure(Reason.BAD_BASE45, steps, "base45")
    steps["base45"] = True
    reason, raw = inflate(compressed)
    if reason is not Reason.OK:
        return failure(reason, steps, "decompress")
    steps["decompress"] = True
    return raw


def decode_envelope(text: str, prefix: str) -> Envelope | Verification:
    """Run the transport steps on QR text that starts with ``prefix``."""
    steps = new_steps()
    raw = unwrap(text, prefix, steps)
    if isinstance(raw, Verification):
        return raw
    sign1 = cose.parse_sign1(raw)
    if isinstance(sign1, Reason):
        return failure(sign1, steps, "cose")
    claims = decode_claims(sign1.payload)
    if isinstance(claims, Reason):
        return failure(claims, steps, "cose")
    steps["cose"] = True
    return Envelope(prefix, sign1, claims, steps)


def verify_envelope_signature(
    envelope: Envelope, keyring: KeyRing, accept: Callable[[TrustedKey], bool]
) -> tuple[Reason, TrustedKey | None]:
    """Find the key that signed ``envelope`` and may sign it; records the ``signature`` step.

    Every key with the kid is tried (hcert spec 3.3.3 and A.1: kids are truncated hashes and
    may collide). Keys that ``accept`` (the format's role rule) are tried first; a signature
    that verifies only under a key without the role is ISSUER_ROLE_MISSING. Otherwise the
    reason is BAD_SIGNATURE if some key could carry the algorithm, else ALGORITHM_KEY_MISMATCH.
    """
    sign1 = envelope.sign1
    reason = _signature_reason(sign1, keyring, accept)
    envelope.steps["signature"] = reason[0] is Reason.OK
    return reason


def _signature_reason(
    sign1: cose.Sign1, keyring: KeyRing, accept: Callable[[TrustedKey], bool]
) -> tuple[Reason, TrustedKey | None]:
    if sign1.alg not in _ALGORITHMS:
        return Reason.UNSUPPORTED_ALGORITHM, None
    keys = keyring.keys_for(sign1.kid) if sign1.kid else []
    if not keys:
        return Reason.UNKNOWN_KID, None
    outcomes, refused = [], []
    for key in keys:  # the keys ``accept``s, in order, before any other
        if not accept(key):
            refused.append(key)
            continue
        outcome = cose.verify_sign1(sign1, key.public_key)
        if outcome is Reason.OK:
            return Reason.OK, key
        outcomes.append(outcome)
    for key in refused:
        if cose.verify_sign1(sign1, key.public_key) is Reason.OK:
            return Reason.ISSUER_ROLE_MISSING, key
    if Reason.BAD_SIGNATURE in outcomes or not outcomes:
        return Reason.BAD_SIGNATURE, None
    return Reason.ALGORITHM_KEY_MISMATCH, None


def encode_envelope(
    claims: Mapping[Any, Any],
    key: cose.PrivateKey,
    kid: bytes,
    alg: cose.Algorithm,
    prefix: str,
) -> str:
    """Issuance: claims -> CBOR -> COSE_Sign1 -> zlib -> Base45 -> prefix (hcert spec 4.2)."""
    signed = cose.sign1(cbor_safe.encode(dict(claims)), key, kid, alg)
    return prefix + base45.encode(zlib.compress(signed, 9))
