"""The compact JWS of a SMART Health Card: structure, raw DEFLATE payload, ES256 signature.

SMART Health Cards spec, "Health Cards are Compact": the header carries ``alg: ES256``,
``zip: DEF`` and ``kid``; the payload is raw DEFLATE (RFC 1951, no zlib header) of minified
JSON; the signature is ES256 as JWS writes it (RFC 7518, 3.4: ``r || s``, 32 bytes each).
Every failure is a reason code, never an exception (house rule 1).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from jointcheck.credentials.keys import TrustedKey
from jointcheck.credentials.reasons import Reason

# Issue 2, "Bad input": decompression is capped at 64 KiB out, so a DEFLATE bomb costs
# nothing; real cards inflate to a few KiB (the largest example, 02, to 30 KiB).
MAX_INFLATED = 64 * 1024
ES256_SIGNATURE_LENGTH = 64
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


@dataclass(frozen=True, slots=True)
class CompactJws:
    header: dict[str, Any]
    kid: str
    deflated: bytes
    signature: bytes
    signing_input: bytes


def b64url_decode(text: str) -> bytes | None:
    """Unpadded base64url (RFC 7515, 2); None for anything else.

    Only the canonical spelling is accepted: with non-zero unused bits in the last character,
    several texts would decode to one signature, and a copy of a card could pass for another.
    """
    if len(text) % 4 == 1 or _B64URL.fullmatch(text) is None:
        return None
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return data if b64url_encode(data) == text else None


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _reject_constant(name: str) -> None:
    # NaN and Infinity are not JSON (RFC 8259, 6); Python accepts them unless told not to.
    raise ValueError(name)


def load_json_object(raw: bytes | str) -> dict[str, Any] | None:
    """A JSON object, or None: bad UTF-8, bad JSON, a non-object, or nesting too deep."""
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def parse_compact(jws: str) -> CompactJws | Reason:
    """Split and decode ``header.payload.signature``; the header must say ``zip: DEF``."""
    segments = jws.split(".")
    if len(segments) != 3:  # noqa: PLR2004 - a compact JWS has exactly three segments
        return Reason.JWS_MALFORMED
    header_b64, payload_b64, signature_b64 = segments
    header_raw = b64url_decode(header_b64)
    deflated = b64url_decode(payload_b64)
    signature = b64url_decode(signature_b64)
    if header_raw is None or deflated is None or signature is None:
        return Reason.JWS_MALFORMED
    header = load_json_object(header_raw)
    if header is None or header.get("zip") != "DEF":
        return Reason.JWS_MALFORMED
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        return Reason.JWS_MALFORMED
    signing_input = f"{header_b64}.{payload_b64}".encode("ascii")
    return CompactJws(header, kid, deflated, signature, signing_input)


def inflate(deflated: bytes, cap: int = MAX_INFLATED) -> bytes | Reason:
    """Raw DEFLATE, refusing output beyond ``cap`` without ever producing more than cap + 1."""
    inflater = zlib.decompressobj(wbits=-zlib.MAX_WBITS)
    try:
        out = inflater.decompress(deflated, cap + 1)
    except zlib.error:
        return Reason.DECOMPRESSION_FAILED
    if len(out) > cap:
        return Reason.INFLATION_CAP_EXCEEDED
    # Below the cap with input left over means the stream never ended: truncated. Bytes
    # after the end of the stream are not part of any card either.
    if not inflater.eof or inflater.unused_data:
        return Reason.DECOMPRESSION_FAILED
    return out


def _p256(key: TrustedKey) -> ec.EllipticCurvePublicKey | None:
    public = key.public_key
    if isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1):
        return public
    return None


def verify_es256(jws: CompactJws, keys: Sequence[TrustedKey]) -> TrustedKey | Reason:
    """The first key whose signature check passes; ``keys`` are those trusted for this kid.

    Only ES256 is allowed ("Generating and resolving cryptographic keys"), and only with a
    P-256 key: a P-384 or RSA key under the same kid is ALGORITHM_KEY_MISMATCH.
    """
    if jws.header.get("alg") != "ES256":
        return Reason.UNSUPPORTED_ALGORITHM
    usable = [(key, public) for key in keys if (public := _p256(key)) is not None]
    if not usable:
        return Reason.ALGORITHM_KEY_MISMATCH
    if len(jws.signature) != ES256_SIGNATURE_LENGTH:
        return Reason.BAD_SIGNATURE
    half = ES256_SIGNATURE_LENGTH // 2
    der = encode_dss_signature(
        int.from_bytes(jws.signature[:half], "big"), int.from_bytes(jws.signature[half:], "big")
    )
    for key, public in usable:
        try:
            public.verify(der, jws.signing_input, _ECDSA_SHA256)
        except InvalidSignature:
            continue
        return key
    return Reason.BAD_SIGNATURE
