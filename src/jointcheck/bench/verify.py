"""``bench verify``: full-pipeline verifications per second against bare signature checks.

Workload (issue 2, "Performance"): 10,000 distinct codes of the four kinds a checkpoint scans,
each a different person, credential id and issue time, issued through the production path
(``credentials.issue`` for ours):
- ``JKM1:`` health codes, signed by a health code issuer;
- ``HC1:`` vaccination certificates of our district (with the subject claim), signed by a
  vaccination issuer;
- ``JJZ1:`` contraindication certificates, signed by a level-3 hospital;
- foreign ``HC1:`` DCCs signed by document signing certificates (DSCs with an EKU);
plus every dcc-testdata case whose signature verifies (each at its own validation clock,
against its own DSC). Each issuer signs with an ES256 (ECDSA P-256) and a PS256 (RSA-2048 PSS)
key, two ES256 codes for every PS256 one. A revocation list of 100,000 other entries (UVCI
hashes and credential ids) makes every verification pay for a real look-up.

The pipeline runs ``verify()`` on the QR text: prefix, Base45, zlib, COSE, CWT, kid look-up,
signature, the format's content checks (DCC: schema of its own ``ver``, key usage), revocation
and validity, and builds the typed credential. The baseline is the bare ``cryptography`` call
on the same signatures with each code's algorithm (ECDSA P-256 or RSA-PSS over the
precomputed Sig_structure, the ECDSA signature already in DER).

Both are timed in the same process, alternating over chunks of 250 codes of one algorithm, in
CPU time of this (single-threaded) process (``time.process_time``), best of three per chunk;
the overall figures are the sums over the same chunks as the per-algorithm ones, and the
machine's load average is printed beside them. Nothing is cached between verifications except what a
verifier legitimately keeps: the compiled schema of each version and the key objects of the
trust list.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID

from jointcheck.bench import BenchReport, Figure
from jointcheck.credentials import cose, issue, pipeline
from jointcheck.credentials.hcert import uvci_hash
from jointcheck.credentials.issue import Holder, IssuingKey
from jointcheck.credentials.keys import Role, TrustedKey
from jointcheck.credentials.model import CodeColour
from jointcheck.credentials.native import CATEGORIES
from jointcheck.credentials.revocation import RevocationList, entry_hash
from jointcheck.credentials.verify import VerifierContext, verify

SUITE = Path(__file__).resolve().parents[3] / "tests" / "vectors" / "dcc-testdata"
TARGET = 0.7
CODES = 10_000
QUICK_CODES = 300
ROUNDS = 3
CHUNK = 250
ALGORITHMS = ("ES256", "PS256")
NOW = datetime(2021, 9, 1, 8, 0, tzinfo=UTC)
KINDS = ("health code", "vaccination", "contraindication", "foreign DCC")
SUBJECT_KEY = bytes(range(32))
_SHA256 = hashes.SHA256()
_PSS = padding.PSS(mgf=padding.MGF1(_SHA256), salt_length=32)
_PRODUCTS = (
    ("BBIBP-CorV", "ORG-100020693"),
    ("CoronaVac", "Sinovac-Biotech"),
    ("Convidecia", "ORG-100013793"),
    ("EU/1/20/1528", "ORG-100030215"),
)
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
# GB 11643-1999: weights of the first 17 digits and the check character of the sum mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass
class KeyRingDict:
    keys: dict[bytes, list[TrustedKey]]

    def keys_for(self, kid: bytes) -> list[TrustedKey]:
        return self.keys.get(kid, [])

    def add(self, key: TrustedKey) -> None:
        self.keys.setdefault(key.kid, []).append(key)


@dataclass(frozen=True)
class Code:
    text: str
    ctx: VerifierContext
    bare: Callable[[], None]
    alg: str
    kind: str


@dataclass(frozen=True)
class Signer:
    """One issuer key: how it signs and how the trust list knows it."""

    issuing: IssuingKey
    trusted: TrustedKey

    @property
    def alg(self) -> str:
        return self.issuing.alg.name


def _private_keys() -> list[cose.PrivateKey]:
    """Two ES256 codes for every PS256 one: P-256, P-256, RSA-2048."""
    ec_key: cose.PrivateKey = ec.generate_private_key(ec.SECP256R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return [ec_key, ec_key, rsa_key]


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


def _issuer(private_key: cose.PrivateKey, role: Role, level: int | None = None) -> Signer:
    """A key of our district's trust list (no certificate: validity from the list)."""
    issuing = IssuingKey.of(private_key)
    trusted = TrustedKey(
        issuing.kid,
        private_key.public_key(),
        frozenset({role}),
        issuer=f"bench {role.value}",
        not_before=NOW - timedelta(days=365),
        not_after=NOW + timedelta(days=730),
        level=level,
    )
    return Signer(issuing, trusted)


def _signers() -> dict[str, list[Signer]]:
    """Each kind's issuer keys, in the order codes use them."""
    roles = {
        "health code": (Role.HEALTH_CODE_ISSUER, None),
        "vaccination": (Role.VACCINATION_ISSUER, None),
        "contraindication": (Role.MEDICAL_INSTITUTION, 3),
    }
    signers = {
        kind: [_issuer(key, role, level) for key in _private_keys()]
        for kind, (role, level) in roles.items()
    }
    signers["foreign DCC"] = [
        Signer(IssuingKey(key, dsc.kid), dsc)
        for n, key in enumerate(_private_keys())
        for dsc in [_dsc(key, n)]
    ]
    return signers


def _holder(i: int, rng: random.Random) -> Holder:
    born = date(1940, 1, 1) + timedelta(days=i * 7 % 25_000)
    body = f"370704{born:%Y%m%d}{i % 1000:03d}"
    check = _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]
    name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))
    return Holder(body + check, name, born.isoformat())


def _foreign_claims(i: int, rng: random.Random) -> dict[int, Any]:
    product, holder = _PRODUCTS[i % len(_PRODUCTS)]
    iat = NOW - timedelta(days=1, seconds=i)
    entry = {
        "tg": "840539006", "vp": "J07BB01", "mp": product, "ma": holder,
        "dn": 2, "sd": 2, "dt": f"2021-0{1 + i % 8}-{10 + i % 18}", "co": "AT",
        "is": "Ministry of Health, Austria", "ci": f"URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD{i:06d}#{i % 10}",
    }  # fmt: skip
    surname = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(6))
    payload = {
        "ver": "1.3.0",
        "nam": {"fn": surname.title(), "fnt": surname, "gn": "Anna", "gnt": "ANNA"},
        "dob": f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}",
        "v": [entry],
    }
    exp = iat + timedelta(days=365)
    return {1: "AT", 6: int(iat.timestamp()), 4: int(exp.timestamp()), -260: {1: payload}}


def _issue(kind: str, i: int, signer: Signer, rng: random.Random) -> str:
    """Code number ``i`` of ``kind``, each with its own person, ids and issue time."""
    key = signer.issuing
    if kind == "foreign DCC":
        claims = _foreign_claims(i, rng)
        return pipeline.encode_envelope(claims, key.private_key, key.kid, key.alg, "HC1:")
    holder = _holder(i, rng)
    if kind == "health code":
        colour = (CodeColour.GREEN, CodeColour.GREEN, CodeColour.YELLOW)[i % 3]
        return issue.issue_health_code(
            key, SUBJECT_KEY, holder, colour=colour, issued_at=NOW - timedelta(seconds=i % 120),
            credential_id=rng.randbytes(16), nonce=rng.randbytes(12),
        )  # fmt: skip
    if kind == "contraindication":
        start = date(2021, 6, 1) + timedelta(days=i % 90)
        return issue.issue_contraindication(
            key, SUBJECT_KEY, holder, category=list(CATEGORIES)[i % len(CATEGORIES)],
            valid_from=start, valid_to=start + timedelta(days=180),
            issued_at=NOW - timedelta(days=91, seconds=i), credential_id=rng.randbytes(16),
        )  # fmt: skip
    payload = issue.vaccination_payload(
        holder, product=_PRODUCTS[i % 3][0], dose=1 + i % 3, doses=3,
        on=date(2021, 3, 1) + timedelta(days=i % 150), issuer="Fangzi District CDC",
        uvci=issue.make_uvci("FZ", f"{i:010d}"),
    )  # fmt: skip
    issued_at = NOW - timedelta(days=1, seconds=i)
    return issue.issue_vaccination(key, SUBJECT_KEY, holder, payload, issued_at=issued_at)


def _bare(text: str, key: TrustedKey) -> Callable[[], None]:
    """The bare cryptography call on this code's signature, everything else precomputed."""
    envelope = pipeline.decode_envelope(text, text[: text.index(":") + 1])
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
    """100,000 revoked entries, none of the benchmark's: half UVCIs, half credential ids."""
    uvcis = (
        entry_hash("uvci", uvci_hash(f"URN:UVCI:01:CN:REVOKED{rng.getrandbits(64):020d}"))
        for _ in range(50_000)
    )
    ids = (entry_hash("credential_id", rng.randbytes(16).hex()) for _ in range(50_000))
    return RevocationList.of([*uvcis, *ids])


def _generated(count: int) -> list[Code]:
    rng = random.Random(2021)
    signers = _signers()
    ring = KeyRingDict({})
    for kind_signers in signers.values():
        for signer in {id(s.trusted): s for s in kind_signers}.values():
            if signer.trusted.kid not in ring.keys:
                ring.add(signer.trusted)
    ctx = VerifierContext(at=NOW, keys=ring, revocations=_revocations(rng))
    codes = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        signer = signers[kind][i // len(KINDS) % len(signers[kind])]
        text = _issue(kind, i, signer, rng)
        codes.append(Code(text, ctx, _bare(text, signer.trusted), signer.alg, kind))
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
            text = case["PREFIX"]
            codes.append(Code(text, ctx, _bare(text, key), alg, "dcc-testdata"))
    return codes


def _time(codes: list[Code], rounds: int) -> dict[str, tuple[float, float]]:
    """CPU seconds of the full pipeline and of the bare calls over each algorithm's codes.

    The codes go in chunks of ``CHUNK``, each timed through the pipeline and then bare, so
    that both paths see the same machine load within a fraction of a second; each chunk's
    time is the best of ``rounds``. CPU time of this process (one thread) rather than wall
    time: time the scheduler gives to other processes is not counted against either path.
    """
    chunks = [
        (alg, subset[i : i + CHUNK])
        for alg in ALGORITHMS
        for subset in [[code for code in codes if code.alg == alg]]
        for i in range(0, len(subset), CHUNK)
    ]
    best = [[float("inf")] * 2 for _ in chunks]
    for _ in range(rounds):
        for n, (_, chunk) in enumerate(chunks):
            for i, run in enumerate((_pipeline_pass(chunk), _bare_pass(chunk))):
                start = time.process_time()
                run()
                best[n][i] = min(best[n][i], time.process_time() - start)
    return {
        alg: (
            sum(b[0] for (a, _), b in zip(chunks, best, strict=True) if a == alg),
            sum(b[1] for (a, _), b in zip(chunks, best, strict=True) if a == alg),
        )
        for alg in ALGORITHMS
    }


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
    rounds = 1 if quick else ROUNDS
    load_before = os.getloadavg()[0]
    seconds = _time(codes, rounds)
    full_rate = len(codes) / sum(full for full, _ in seconds.values())
    bare_rate = len(codes) / sum(bare for _, bare in seconds.values())
    counts = {alg: sum(code.alg == alg for code in codes) for alg in ALGORITHMS}
    by_alg = {
        alg: (counts[alg] / full, counts[alg] / bare) for alg, (full, bare) in seconds.items()
    }
    figures = [
        Figure("codes", len(codes), "codes"),
        Figure("dcc-testdata codes", len(suite), "codes"),
        *(Figure(f"{kind} codes", sum(c.kind == kind for c in codes), "codes") for kind in KINDS),
        Figure("full pipeline", full_rate, "verifications/s"),
        Figure("bare cryptography", bare_rate, "verifications/s"),
        Figure("ratio", full_rate / bare_rate, "x bare"),
    ]
    for alg, (full_alg, bare_alg) in by_alg.items():
        figures += [
            Figure(f"{alg} full pipeline", full_alg, "verifications/s"),
            Figure(f"{alg} bare cryptography", bare_alg, "verifications/s"),
            Figure(f"{alg} ratio", full_alg / bare_alg, "x bare"),
        ]
    figures += [
        Figure("load average before", load_before, "runnable"),
        Figure("load average after", os.getloadavg()[0], "runnable"),
    ]
    return BenchReport(
        name="verify",
        figures=tuple(figures),
        target=f"full pipeline >= {TARGET}x the bare signature rate (one core)",
        met=full_rate / bare_rate >= TARGET,
        notes=(
            "ES256: ECDSA P-256 + SHA-256; PS256: RSA-2048 (suite: also 3072) PSS + SHA-256",
            (
                "pipeline: prefix, Base45, zlib, COSE, CWT, kid, signature, content checks"
                " (DCC: schema, EKU), revocation, validity, typed credential"
            ),
            (
                "CPU time of one thread (time.process_time); pipeline and bare alternate"
                f" over chunks of {CHUNK} codes, best of {ROUNDS} per chunk"
            ),
        ),
    )
