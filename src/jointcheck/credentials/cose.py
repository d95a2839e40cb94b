"""COSE_Sign1 (RFC 9052, formerly RFC 8152) by hand, with cbor2 and cryptography.

Only what the hcert spec asks (3.3.2): ES256 (ECDSA P-256 + SHA-256, alg -7) and PS256
(RSASSA-PSS + SHA-256, alg -37). Building it here, rather than through a general COSE library,
keeps the hot path to one signature call (docs/performance.md, "verify") and lets every failure
be a reason code.

- ``parse_sign1``: the structure ``[protected: bstr, unprotected: map, payload: bstr,
  signature: bstr]``, optionally under tag 18 (COSE_Sign1), itself optionally under tag 61
  (CWT, RFC 8392 section 6). The kid comes from the protected header, else the unprotected one
  (hcert spec 3.3.3); so does the algorithm (RFC 9052 section 3.1 recommends the protected
  one, and dcc-testdata common/CO20 expects an unprotected one to verify). An attacker who
  swaps an unprotected algorithm gains nothing: the key type must match it and the
  signature still covers the payload.
- ``verify_sign1``: the algorithm must match the key type (ES256 wants a P-256 key, PS256 an
  RSA key of at least 2,048 bits), else ``ALGORITHM_KEY_MISMATCH``; then the signature over
  ``Sig_structure`` (RFC 9052 section 4.4) with empty external AAD.
- ``sign1``: issuance; kid and alg in the protected header.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import Any, NamedTuple, cast

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from jointcheck.credentials import cbor_safe
from jointcheck.credentials.keys import PublicKey
from jointcheck.credentials.reasons import Reason

TAG_COSE_SIGN1 = 18
TAG_CWT = 61
HEADER_ALG = 1
HEADER_KID = 4
MIN_RSA_BITS = 2048
_P256_BYTES = 32
_SIGN1_FIELDS = 4


class Algorithm(IntEnum):
    """COSE algorithm identifiers (IANA COSE Algorithms registry)."""

    ES256 = -7
    PS256 = -37


PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
_ALGORITHMS = frozenset(Algorithm)

_SHA256 = hashes.SHA256()
_ECDSA_SHA256 = ec.ECDSA(_SHA256)
# hcert spec 3.3.2 / RFC 8230 section 2: PSS with MGF1-SHA-256 and a salt of the digest length.
_PSS = padding.PSS(mgf=padding.MGF1(_SHA256), salt_length=32)
# CBOR of the array header (4 items) and the text "Signature1" (RFC 9052 section 4.4).
_SIG1_PREFIX = b"\x84\x6aSignature1"
_EMPTY_AAD = b"\x40"
# isinstance against a tuple, not a ``X | Y`` union, which is built anew on every call.
_ARRAYS = (list, tuple)
# cbor2 decodes the content of a tag as immutable: the unprotected header of a tagged
# COSE_Sign1 is its frozendict, which is not a dict; named before Mapping, whose ABC check
# costs about a microsecond a call.
_FROZEN_MAP = type(cbor2.loads(b"\xd2\xa0").value)
_MAPS = (dict, _FROZEN_MAP, Mapping)


class Sign1(NamedTuple):
    """A parsed COSE_Sign1. ``protected`` is the header as signed (bytes), ``alg`` may be an
    unsupported value (checked by ``verify_sign1``); ``kid`` is None when neither header has one.

    A NamedTuple rather than a frozen dataclass: it is built on every scan, and a frozen
    dataclass pays one ``object.__setattr__`` per field (docs/performance.md, "verify").
    """

    protected: bytes
    protected_header: dict[Any, Any]
    unprotected_header: dict[Any, Any]
    payload: bytes
    signature: bytes
    alg: int | None
    kid: bytes | None


def parse_sign1(data: bytes) -> Sign1 | Reason:
    """Parse COSE_Sign1 bytes: a ``Sign1`` or the reason it is not one."""
    if len(data) <= cbor_safe.MAX_CBOR_BYTES:
        common = _common_form(data)
        if common is not None:
            return _sign1(*common)
    return parse_sign1_decoded(data)


def _bstr(data: bytes, pos: int) -> tuple[bytes, int] | None:
    """The definite-length byte string at ``pos`` and the position after it, else None."""
    if pos >= len(data) or data[pos] >> 5 != 2:  # noqa: PLR2004 - CBOR major type 2
        return None
    info = data[pos] & 0x1F
    if info < 24:  # noqa: PLR2004 - CBOR: the length is in the initial byte
        start, length = pos + 1, info
    elif info <= 27:  # noqa: PLR2004 - 1, 2, 4 or 8 length bytes follow
        start = pos + 1 + (1 << (info - 24))
        if start > len(data):
            return None
        length = int.from_bytes(data[pos + 1 : start], "big")
    else:  # reserved, or indefinite length: left to the decoder
        return None
    end = start + length
    return (data[start:end], end) if end <= len(data) else None


def _common_form(data: bytes) -> tuple[bytes, dict[Any, Any], bytes, bytes] | None:
    """The COSE_Sign1 of (nearly) every QR code, read by hand: ``[tag 61] [tag 18]
    [protected bstr, {}, payload bstr, signature bstr]`` with definite lengths and nothing
    after it. None for any other form, which ``parse_sign1_decoded`` reads whole: so either
    way the result is the decoder's (tests/unit/credentials/test_cose_common_form.py)."""
    pos = 2 if data.startswith(b"\xd8\x3d") else 0  # tag 61 (CWT)
    if data.startswith(b"\xd2", pos):  # tag 18 (COSE_Sign1)
        pos += 1
    if not data.startswith(b"\x84", pos):  # an array of four
        return None
    protected = _bstr(data, pos + 1)
    if protected is None or not data.startswith(b"\xa0", protected[1]):  # an empty map
        return None
    payload = _bstr(data, protected[1] + 1)
    signature = _bstr(data, payload[1]) if payload is not None else None
    if payload is None or signature is None or signature[1] != len(data):
        return None
    return protected[0], {}, payload[0], signature[0]


def parse_sign1_decoded(data: bytes) -> Sign1 | Reason:
    """``parse_sign1`` through the bounded CBOR decoder, for every form."""
    reason, item = cbor_safe.decode(data)
    if reason is not Reason.OK:
        return reason
    if isinstance(item, cbor2.CBORTag) and item.tag == TAG_CWT:
        item = item.value
    if isinstance(item, cbor2.CBORTag) and item.tag == TAG_COSE_SIGN1:
        item = item.value
    # cbor2 decodes the content of a tag as immutable (tuple, frozendict).
    if not isinstance(item, _ARRAYS) or len(item) != _SIGN1_FIELDS:
        return Reason.NOT_COSE_SIGN1
    protected, unprotected, payload, signature = item
    if not (
        isinstance(protected, bytes)
        and isinstance(unprotected, _MAPS)
        and isinstance(payload, bytes)  # a detached payload (nil) has no place in a QR code
        and isinstance(signature, bytes)
    ):
        return Reason.NOT_COSE_SIGN1
    return _sign1(protected, dict(unprotected), payload, signature)


def _sign1(
    protected: bytes, unprotected: dict[Any, Any], payload: bytes, signature: bytes
) -> Sign1 | Reason:
    header = _protected_header(protected)
    if isinstance(header, Reason):
        return header
    kid = header.get(HEADER_KID, unprotected.get(HEADER_KID))
    alg = header.get(HEADER_ALG, unprotected.get(HEADER_ALG))
    if (kid is not None and not isinstance(kid, bytes)) or (
        alg is not None and (not isinstance(alg, int) or isinstance(alg, bool))
    ):
        return Reason.NOT_COSE_SIGN1
    return Sign1(protected, header, unprotected, payload, signature, alg, kid)


def _protected_header(protected: bytes) -> dict[Any, Any] | Reason:
    # RFC 9052 section 3: an empty bstr stands for the empty map.
    if not protected:
        return {}
    reason, header = cbor_safe.decode_signed(protected)
    if reason is not Reason.OK:
        return reason
    if not isinstance(header, dict):
        return Reason.NOT_COSE_SIGN1
    return header


def _bstr_header(length: int) -> bytes:
    # RFC 8949 section 3.1, major type 2: a byte string's length in the shortest form.
    if length < 24:  # noqa: PLR2004 - CBOR: lengths below 24 live in the initial byte
        return bytes((0x40 | length,))
    if length <= 0xFF:  # noqa: PLR2004 - CBOR one-byte length
        return bytes((0x58, length))
    if length <= 0xFFFF:  # noqa: PLR2004 - CBOR two-byte length
        return b"\x59" + length.to_bytes(2, "big")
    return b"\x5a" + length.to_bytes(4, "big")


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """``["Signature1", protected, external_aad = h'', payload]`` (RFC 9052 section 4.4)."""
    return b"".join(
        (
            _SIG1_PREFIX,
            _bstr_header(len(protected)),
            protected,
            _EMPTY_AAD,
            _bstr_header(len(payload)),
            payload,
        )
    )


# What each trusted key can carry, keyed by the key object's id; the entry keeps the key alive,
# so an id is never reused while its entry exists (as dsc.py does for certificates). A key's
# type, curve and size never change, and reading them is an ABC isinstance, a new curve object
# or a property call on every scan otherwise (docs/performance.md, "verify").
_KEY_ALGS: dict[int, tuple[PublicKey, Algorithm | None, bool]] = {}
_KEY_CACHE_SIZE = 4096


def _key_alg(key: PublicKey) -> tuple[PublicKey, Algorithm | None, bool]:
    """(key, the algorithm its type can carry, whether its curve or size allows it)."""
    cached = _KEY_ALGS.get(id(key))
    if cached is not None and cached[0] is key:
        return cached
    # A trust list may hold other key types (Ed25519): no algorithm of ours.
    kind, strong = None, False
    if isinstance(key, ec.EllipticCurvePublicKey):
        kind, strong = Algorithm.ES256, isinstance(key.curve, ec.SECP256R1)
    elif isinstance(key, rsa.RSAPublicKey):
        kind, strong = Algorithm.PS256, key.key_size >= MIN_RSA_BITS
    if len(_KEY_ALGS) >= _KEY_CACHE_SIZE:
        _KEY_ALGS.clear()
    entry = _KEY_ALGS[id(key)] = (key, kind, strong)
    return entry


def key_matches(alg: int | None, key: PublicKey) -> Reason:
    """Whether ``key`` can carry ``alg``: OK, UNSUPPORTED_ALGORITHM or ALGORITHM_KEY_MISMATCH.

    ES256 wants a P-256 key, PS256 an RSA key of at least ``MIN_RSA_BITS``."""
    if alg not in _ALGORITHMS:
        return Reason.UNSUPPORTED_ALGORITHM
    _, kind, strong = _key_alg(key)
    return Reason.OK if alg == kind and strong else Reason.ALGORITHM_KEY_MISMATCH


def verify_sign1(sign1: Sign1, key: PublicKey) -> Reason:
    """Verify the signature with one key: OK, UNSUPPORTED_ALGORITHM, ALGORITHM_KEY_MISMATCH
    or BAD_SIGNATURE."""
    alg = sign1.alg
    if alg not in _ALGORITHMS:
        return Reason.UNSUPPORTED_ALGORITHM
    _, kind, strong = _key_alg(key)
    if alg != kind or not strong:
        return Reason.ALGORITHM_KEY_MISMATCH
    message = sig_structure(sign1.protected, sign1.payload)
    signature = sign1.signature
    try:
        if kind is Algorithm.ES256:  # a P-256 key
            # RFC 9053 section 2.1: ECDSA signatures are r || s, fixed width, not DER.
            if len(signature) != 2 * _P256_BYTES:
                return Reason.BAD_SIGNATURE
            der = encode_dss_signature(
                int.from_bytes(signature[:_P256_BYTES], "big"),
                int.from_bytes(signature[_P256_BYTES:], "big"),
            )
            cast("ec.EllipticCurvePublicKey", key).verify(der, message, _ECDSA_SHA256)
        else:
            cast("rsa.RSAPublicKey", key).verify(signature, message, _PSS, _SHA256)
    except InvalidSignature:
        return Reason.BAD_SIGNATURE
    return Reason.OK


def sign1(payload: bytes, key: PrivateKey, kid: bytes, alg: Algorithm) -> bytes:
    """Sign ``payload`` as a tagged COSE_Sign1 with ``alg`` and ``kid`` in the protected header."""
    protected = cbor2.dumps({HEADER_ALG: int(alg), HEADER_KID: kid})
    message = sig_structure(protected, payload)
    if alg is Algorithm.ES256:
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError("ES256 needs an EC P-256 private key")
        r, s = decode_dss_signature(key.sign(message, _ECDSA_SHA256))
        signature = r.to_bytes(_P256_BYTES, "big") + s.to_bytes(_P256_BYTES, "big")
    else:
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("PS256 needs an RSA private key")
        signature = key.sign(message, _PSS, _SHA256)
    return cbor2.dumps(cbor2.CBORTag(TAG_COSE_SIGN1, [protected, {}, payload, signature]))
