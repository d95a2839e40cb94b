"""Factories for credential tests: keys, self-signed DSCs, key rings and signed QR codes.

Every code is built through the production encode path (``pipeline.encode_envelope``), so a
test code differs from a real one only in what a test deliberately changes.
"""

from __future__ import annotations

import copy
import hashlib
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from jointcheck.credentials import base45, cose, pipeline
from jointcheck.credentials.keys import Role, TrustedKey
from jointcheck.credentials.verify import VerifierContext

NOW = datetime(2021, 9, 1, 8, 0, tzinfo=UTC)
EKU_TEST = "1.3.6.1.4.1.1847.2021.1.1"
EKU_VACCINATION = "1.3.6.1.4.1.1847.2021.1.2"
EKU_RECOVERY = "1.3.6.1.4.1.1847.2021.1.3"


@cache
def ec_key(seed: int = 0, curve: str = "P-256") -> ec.EllipticCurvePrivateKey:
    """A private EC key; ``seed`` only distinguishes keys (cached, so tests stay fast)."""
    del seed
    return ec.generate_private_key(ec.SECP384R1() if curve == "P-384" else ec.SECP256R1())


@cache
def rsa_key(seed: int = 0, bits: int = 2048) -> rsa.RSAPrivateKey:
    del seed
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def make_dsc(
    private_key: cose.PrivateKey,
    *,
    not_before: datetime = NOW - timedelta(days=365),
    not_after: datetime = NOW + timedelta(days=365),
    eku: tuple[str, ...] | None = None,
    country: str = "CN",
) -> x509.Certificate:
    """A self-signed document signing certificate, with an extended key usage if given."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.COMMON_NAME, "jointcheck test DSC"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if eku is not None:
        usages = [x509.ObjectIdentifier(oid) for oid in eku]
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    return builder.sign(private_key, hashes.SHA256())


def kid_of(certificate: x509.Certificate) -> bytes:
    """hcert spec A.1: the first 8 bytes of the SHA-256 of the DSC in DER."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(der).digest()[:8]


@dataclass(frozen=True)
class Signer:
    """A DSC with its private key, as an issuer holds it and a verifier trusts it."""

    private_key: cose.PrivateKey
    certificate: x509.Certificate
    alg: cose.Algorithm
    roles: frozenset[Role] = frozenset({Role.DCC_SIGNER})
    kid_override: bytes | None = None

    @property
    def kid(self) -> bytes:
        return self.kid_override if self.kid_override is not None else kid_of(self.certificate)

    @property
    def trusted(self) -> TrustedKey:
        public_key = self.certificate.public_key()
        assert isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey)
        return TrustedKey(
            kid=self.kid,
            public_key=public_key,
            roles=self.roles,
            issuer="test DSC",
            not_before=self.certificate.not_valid_before_utc,
            not_after=self.certificate.not_valid_after_utc,
            certificate=self.certificate,
        )


def signer(
    alg: cose.Algorithm = cose.Algorithm.ES256,
    *,
    seed: int = 0,
    roles: frozenset[Role] = frozenset({Role.DCC_SIGNER}),
    **dsc: Any,
) -> Signer:
    key: cose.PrivateKey = ec_key(seed) if alg is cose.Algorithm.ES256 else rsa_key(seed)
    return Signer(key, make_dsc(key, **dsc), alg, roles)


@dataclass
class KeyRingFake:
    """A key ring over a list of trusted keys (the trust list's look-up, without the file)."""

    keys: list[TrustedKey] = field(default_factory=list)

    def keys_for(self, kid: bytes) -> list[TrustedKey]:
        return [key for key in self.keys if key.kid == kid]


@dataclass
class RevocationsFake:
    entries: set[tuple[str, str]] = field(default_factory=set)

    def is_revoked(self, kind: str, value: str) -> bool:
        return (kind, value) in self.entries


def context(*signers: Signer, at: datetime = NOW, **kwargs: Any) -> VerifierContext:
    return VerifierContext(at=at, keys=KeyRingFake([s.trusted for s in signers]), **kwargs)


_VACCINATION = {
    "tg": "840539006",
    "vp": "J07BX03",
    "mp": "BBIBP-CorV",
    "ma": "ORG-100020693",
    "dn": 2,
    "sd": 2,
    "dt": "2021-07-01",
    "co": "CN",
    "is": "Fangzi District Health Commission",
    "ci": "URN:UVCI:01:CN:FZ0000000001#A",
}
_TEST = {
    "tg": "840539006",
    "tt": "LP6464-4",
    "nm": "Roche LightCycler qPCR",
    "sc": "2021-08-31T08:00:00Z",
    "tr": "260415000",
    "tc": "Fangzi Hospital",
    "co": "CN",
    "is": "Fangzi District Health Commission",
    "ci": "URN:UVCI:01:CN:FZ0000000002#B",
}
_RECOVERY = {
    "tg": "840539006",
    "fr": "2021-05-01",
    "co": "CN",
    "is": "Fangzi District Health Commission",
    "df": "2021-05-12",
    "du": "2021-11-01",
    "ci": "URN:UVCI:01:CN:FZ0000000003#C",
}
_ENTRIES = {"v": _VACCINATION, "t": _TEST, "r": _RECOVERY}


def dcc_payload(kind: str = "v", *, ver: str = "1.3.0", **entry: Any) -> dict[str, Any]:
    """A DCC payload (``-260/1``) valid against the 1.3.0 schema: one v, t or r entry."""
    return {
        "ver": ver,
        "nam": {"fn": "张", "fnt": "ZHANG", "gn": "三", "gnt": "SAN"},
        "dob": "1990-01-01",
        kind: [{**copy.deepcopy(_ENTRIES[kind]), **entry}],
    }


def dcc_claims(
    payload: dict[str, Any] | None = None,
    *,
    iat: datetime = NOW - timedelta(days=1),
    exp: datetime = NOW + timedelta(days=180),
    iss: str | None = "CN",
) -> dict[Any, Any]:
    claims: dict[Any, Any] = {
        pipeline.CLAIM_IAT: int(iat.timestamp()),
        pipeline.CLAIM_EXP: int(exp.timestamp()),
        pipeline.CLAIM_HCERT: {1: payload if payload is not None else dcc_payload()},
    }
    if iss is not None:
        claims[pipeline.CLAIM_ISS] = iss
    return claims


def issue(claims: dict[Any, Any], by: Signer, prefix: str = "HC1:") -> str:
    return pipeline.encode_envelope(claims, by.private_key, by.kid, by.alg, prefix)


def issue_dcc(by: Signer, payload: dict[str, Any] | None = None, **times: Any) -> str:
    return issue(dcc_claims(payload, **times), by)


# Hostile and broken inputs.


def wrap(cose_bytes: bytes, prefix: str = "HC1:") -> str:
    """QR text around arbitrary COSE bytes: zlib, Base45, prefix (hcert spec 4.2)."""
    return prefix + base45.encode(zlib.compress(cose_bytes, 9))


def cose_bytes(text: str, prefix: str = "HC1:") -> bytes:
    """The (decompressed) COSE bytes inside QR text."""
    compressed = base45.decode(text.removeprefix(prefix))
    assert compressed is not None
    return zlib.decompress(compressed)


def zlib_bomb(size: int) -> bytes:
    """A valid zlib stream (RFC 1950) that inflates to ``size`` zero bytes (a multiple of
    1 MiB), built without compressing them: after a full flush each further MiB of zeros
    compresses to the same block, so the stream is one first block, the same block repeated,
    an empty final block and the Adler-32 of ``size`` zeros."""
    mib = 1 << 20
    assert size % mib == 0
    assert size >= mib
    zeros = bytes(mib)
    compressor = zlib.compressobj(9)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    # Adler-32 of n zeros: A stays 1, B grows by 1 per byte (RFC 1950 section 8.2).
    adler = ((size % 65521) << 16) | 1
    empty_final_block = b"\x03\x00"
    return first + repeated * (size // mib - 1) + empty_final_block + adler.to_bytes(4, "big")


def raw_sign1(
    payload: bytes,
    private_key: cose.PrivateKey,
    kid: bytes,
    alg: int,
    *,
    unprotected: dict[Any, Any] | None = None,
) -> bytes:
    """COSE_Sign1 signed with any key under any declared ``alg`` (r || s at the key's own
    size), for inputs that ``cose.sign1`` refuses to make, such as ES256 over a P-384 key."""
    protected = cbor2.dumps({cose.HEADER_ALG: alg, cose.HEADER_KID: kid})
    message = cose.sig_structure(protected, payload)
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        size = (private_key.curve.key_size + 7) // 8
        r, s = decode_dss_signature(private_key.sign(message, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    else:
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        signature = private_key.sign(message, pss, hashes.SHA256())
    return cbor2.dumps(
        cbor2.CBORTag(cose.TAG_COSE_SIGN1, [protected, unprotected or {}, payload, signature])
    )
