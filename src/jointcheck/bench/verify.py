"""``bench verify``: full-pipeline verifications per second against bare signature checks.

Workload (issue 2, "Performance"): 10,000 distinct EU DCC vaccination certificates, signed by
four ES256 and two PS256 document signing certificates (each code a different person, UVCI
and issue time; a revocation list of 100,000 other UVCIs), plus every dcc-testdata case whose signature verifies (each at its own
validation clock, against its own DSC). The pipeline runs ``verify()`` on the QR text: prefix,
Base45, zlib, COSE, CWT, kid look-up, signature, schema of its own ``ver``, key usage,
revocation and validity, and builds the typed certificate. The baseline, measured in the same
run, is the bare ``cryptography`` call on the same signatures with each code's algorithm
(ECDSA P-256 or RSA-PSS over the precomputed Sig_structure, ECDSA signature already in DER).

Nothing is cached between verifications except what a verifier legitimately keeps: the
compiled schema of each version and the key objects of the trust list.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID

from jointcheck.bench import BenchReport, Figure
from jointcheck.credentials import cose, pipeline
from jointcheck.credentials.hcert import uvci_hash
from jointcheck.credentials.keys import Role, TrustedKey
from jointcheck.credentials.revocation import RevocationList, entry_hash
from jointcheck.credentials.verify import VerifierContext, verify

SUITE = Path(__file__).resolve().parents[3] / "tests" / "vectors" / "dcc-testdata"
TARGET = 0.7
CODES = 10_000
QUICK_CODES = 300
NOW = datetime(2021, 9, 1, 8, 0, tzinfo=UTC)
_SHA256 = hashes.SHA256()
_PSS = padding.PSS(mgf=padding.MGF1(_SHA256), salt_length=32)
_PRODUCTS = (
    ("BBIBP-CorV", "ORG-100020693"),
    ("CoronaVac", "Sinovac-Biotech"),
    ("Convidecia", "ORG-100013793"),
    ("EU/1/20/1528", "ORG-100030215"),
)


@dataclass
class KeyRingDict:
    keys: dict[bytes, list[TrustedKey]]

    def keys_for(self, kid: bytes) -> list[TrustedKey]:
        return self.keys.get(kid, [])


@dataclass(frozen=True)
class Code:
    text: str
    ctx: VerifierContext
    bare: Callable[[], None]
    alg: str


def _dsc(private_key: cose.PrivateKey, n: int) -> TrustedKey:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"bench DSC {n}")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(n + 1)
        .not_valid_before(NOW - timedelta(days=365))
        .not_valid_after(NOW + timedelta(days=730))
        .add_extension(
            x509.ExtendedKeyUsage([x509.ObjectIdentifier("1.3.6.1.4.1.1847.2021.1.2")]),
            critical=False,
        )
        .sign(private_key, _SHA256)
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    public_key = certificate.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise TypeError("a DSC key is EC or RSA")
    return TrustedKey(
        hashlib.sha256(der).digest()[:8],
        public_key,
        frozenset({Role.DCC_SIGNER}),
        certificate=certificate,
    )


def _claims(i: int, rng: random.Random) -> dict[int, Any]:
    product, holder = _PRODUCTS[i % len(_PRODUCTS)]
    iat = NOW - timedelta(days=1, seconds=i)
    entry = {
        "tg": "840539006", "vp": "J07BB01", "mp": product, "ma": holder,
        "dn": 2, "sd": 2, "dt": f"2021-0{1 + i % 8}-{10 + i % 18}", "co": "CN",
        "is": "Fangzi District Health Commission", "ci": f"URN:UVCI:01:CN:FZ{i:012d}#{i % 10}",
    }  # fmt: skip
    surname = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(6))
    payload = {
        "ver": "1.3.0",
        "nam": {"fn": surname.title(), "fnt": surname, "gn": "San", "gnt": "SAN"},
        "dob": f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}",
        "v": [entry],
    }
    exp = iat + timedelta(days=365)
    return {1: "CN", 6: int(iat.timestamp()), 4: int(exp.timestamp()), -260: {1: payload}}


def _bare(text: str, key: TrustedKey) -> Callable[[], None]:
    """The bare cryptography call on this code's signature, everything else precomputed."""
    envelope = pipeline.decode_envelope(text, "HC1:")
    if not isinstance(envelope, pipeline.Envelope):
        raise TypeError(f"not a decodable code: {envelope.reason}")
    sign1 = envelope.sign1
    message = cose.sig_structure(sign1.protected, sign1.payload)
    public_key = key.public_key
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        half = len(sign1.signature) // 2
        der = encode_dss_signature(
            int.from_bytes(sign1.signature[:half], "big"),
            int.from_bytes(sign1.signature[half:], "big"),
        )
        ecdsa = ec.ECDSA(_SHA256)
        return lambda: public_key.verify(der, message, ecdsa)
    rsa_key = public_key
    return lambda: rsa_key.verify(sign1.signature, message, _PSS, _SHA256)


def _revocations(rng: random.Random) -> RevocationList:
    """A revocation list of 100,000 UVCIs (none of the benchmark's), so that every
    verification pays for a real look-up."""
    return RevocationList.of(
        entry_hash("uvci", uvci_hash(f"URN:UVCI:01:CN:REVOKED{rng.getrandbits(64):020d}"))
        for _ in range(100_000)
    )


def _generated(count: int) -> list[Code]:
    rng = random.Random(2021)
    signers: list[tuple[cose.PrivateKey, cose.Algorithm]] = [
        (ec.generate_private_key(ec.SECP256R1()), cose.Algorithm.ES256) for _ in range(4)
    ]
    signers += [
        (rsa.generate_private_key(public_exponent=65537, key_size=2048), cose.Algorithm.PS256)
        for _ in range(2)
    ]
    trusted = [_dsc(key, n) for n, (key, _) in enumerate(signers)]
    ring = KeyRingDict({})
    for key in trusted:
        ring.keys.setdefault(key.kid, []).append(key)
    ctx = VerifierContext(at=NOW, keys=ring, revocations=_revocations(rng))
    codes = []
    for i in range(count):
        n = i % len(signers)
        private_key, alg = signers[n]
        text = pipeline.encode_envelope(_claims(i, rng), private_key, trusted[n].kid, alg, "HC1:")
        codes.append(Code(text, ctx, _bare(text, trusted[n]), alg.name))
    return codes


def _suite(limit: int | None) -> list[Code]:
    """The dcc-testdata cases whose full verification succeeds at their own clock."""
    codes = []
    for path in sorted(SUITE.glob("**/2DCode/raw/*.json"))[:limit]:
        case = json.loads(path.read_text("utf-8"))
        der = base64.b64decode(case["TESTCTX"]["CERTIFICATE"])
        try:
            certificate = x509.load_der_x509_certificate(der)
            public_key = certificate.public_key()
        except ValueError:
            continue
        if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
            continue
        key = TrustedKey(
            hashlib.sha256(der).digest()[:8],
            public_key,
            frozenset({Role.DCC_SIGNER}),
            certificate=certificate,
        )
        at = datetime.fromisoformat(case["TESTCTX"]["VALIDATIONCLOCK"])
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        ctx = VerifierContext(at=at, keys=KeyRingDict({key.kid: [key]}))
        if verify(case["PREFIX"], ctx).valid:
            alg = "ES256" if isinstance(public_key, ec.EllipticCurvePublicKey) else "PS256"
            codes.append(Code(case["PREFIX"], ctx, _bare(case["PREFIX"], key), alg))
    return codes


def _time(passes: list[Callable[[], None]], rounds: int) -> list[float]:
    """Seconds of each pass: the best of ``rounds`` alternating timings (so that both paths
    see the same machine load when other work shares the CPU)."""
    best = [float("inf")] * len(passes)
    for _ in range(rounds):
        for i, run in enumerate(passes):
            start = time.perf_counter()
            run()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def _pipeline_pass(codes: list[Code]) -> Callable[[], None]:
    def run() -> None:
        for code in codes:
            if not verify(code.text, code.ctx).valid:
                raise AssertionError("a benchmark code failed to verify")

    return run


def _bare_pass(codes: list[Code]) -> Callable[[], None]:
    def run() -> None:
        for code in codes:
            code.bare()

    return run


def run(quick: bool) -> BenchReport:
    generated = _generated(QUICK_CODES if quick else CODES)
    suite = _suite(20 if quick else None)
    codes = generated + suite
    rounds = 1 if quick else 3
    full, bare = _time([_pipeline_pass(codes), _bare_pass(codes)], rounds)
    by_alg = {}
    for alg in ("ES256", "PS256"):
        subset = [code for code in codes if code.alg == alg]
        full_alg, bare_alg = _time([_pipeline_pass(subset), _bare_pass(subset)], rounds)
        by_alg[alg] = (len(subset) / full_alg, len(subset) / bare_alg)
    ratio = bare / full
    figures = [
        Figure("codes", len(codes), "codes"),
        Figure("dcc-testdata codes", len(suite), "codes"),
        Figure("full pipeline", len(codes) / full, "verifications/s"),
        Figure("bare cryptography", len(codes) / bare, "verifications/s"),
        Figure("ratio", ratio, "x bare"),
    ]
    for alg, (full_rate, bare_rate) in by_alg.items():
        figures += [
            Figure(f"{alg} full pipeline", full_rate, "verifications/s"),
            Figure(f"{alg} bare cryptography", bare_rate, "verifications/s"),
            Figure(f"{alg} ratio", full_rate / bare_rate, "x bare"),
        ]
    return BenchReport(
        name="verify",
        figures=tuple(figures),
        target=f"full pipeline >= {TARGET}x the bare signature rate (one core)",
        met=ratio >= TARGET,
        notes=(
            "ES256: ECDSA P-256 + SHA-256; PS256: RSA-2048 (suite: also 3072) PSS + SHA-256",
            (
                "pipeline: prefix, Base45, zlib, COSE, CWT, kid, signature, schema, EKU,"
                " revocation, validity, typed certificate"
            ),
        ),
    )
