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

A third path measures the floor: the pipeline's own signature step (``cose.verify_sign1``)
alone, on codes decoded beforehand; no work on the other steps can bring the pipeline past it.

The three are timed in the same process, alternating over chunks of 250 codes of one
algorithm, in CPU time of this (single-threaded) process (``time.process_time``), best of three
per chunk; the overall figures are the sums over the same chunks as the per-algorithm ones, and
the machine's load average is printed beside them. Nothing is cached between verifications
except what a verifier legitimately keeps: the compiled schema of each version and the key
objects of the trust list. The codes themselves are made in ``verify_codes``.
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
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from jointcheck.bench import BenchReport, Figure, verify_codes
from jointcheck.bench.verify_codes import KINDS, NOW, KeyRingDict
from jointcheck.credentials import cose, pipeline
from jointcheck.credentials.keys import Role, TrustedKey
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.verify import VerifierContext, verify

SUITE = Path(__file__).resolve().parents[3] / "tests" / "vectors" / "dcc-testdata"
TARGET = 0.7
CODES = 10_000
QUICK_CODES = 300
ROUNDS = 3
CHUNK = 250
ALGORITHMS = ("ES256", "PS256")
_SHA256 = hashes.SHA256()
_PSS = padding.PSS(mgf=padding.MGF1(_SHA256), salt_length=32)


@dataclass(frozen=True)
class Code:
    text: str
    ctx: VerifierContext
    bare: Callable[[], None]
    alg: str
    kind: str
    signature: Callable[[], None]


def _signature_step(text: str, key: TrustedKey) -> Callable[[], None]:
    """The pipeline's own signature call (``cose.verify_sign1``: key check, Sig_structure,
    DER signature, the cryptography call) on this code, decoded beforehand: the floor."""
    envelope = pipeline.decode_envelope(text, text[: text.index(":") + 1])
    if not isinstance(envelope, pipeline.Envelope):
        raise TypeError(f"not a decodable code: {envelope.reason}")
    sign1, public_key = envelope.sign1, key.public_key
    return lambda: _check(cose.verify_sign1(sign1, public_key))


def _check(reason: Reason) -> None:
    if reason is not Reason.OK:
        raise AssertionError("a benchmark code failed to verify")


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


def _generated(count: int) -> list[Code]:
    rng = random.Random(2021)
    signers = verify_codes.signers()
    ring = KeyRingDict({})
    for kind_signers in signers.values():
        for signer in {id(s.trusted): s for s in kind_signers}.values():
            if signer.trusted.kid not in ring.keys:
                ring.add(signer.trusted)
    ctx = VerifierContext(at=NOW, keys=ring, revocations=verify_codes.revocations(rng))
    codes = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        signer = signers[kind][i // len(KINDS) % len(signers[kind])]
        text = verify_codes.issue_code(kind, i, signer, rng)
        key = signer.trusted
        codes.append(
            Code(text, ctx, _bare(text, key), signer.alg, kind, _signature_step(text, key))
        )
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
            bare, step = _bare(text, key), _signature_step(text, key)
            codes.append(Code(text, ctx, bare, alg, "dcc-testdata", step))
    return codes


def _time(codes: list[Code], rounds: int) -> dict[str, tuple[float, float, float]]:
    """CPU seconds of the full pipeline, of the bare calls and of the pipeline's signature
    step alone over each algorithm's codes.

    The codes go in chunks of ``CHUNK``, each timed through the pipeline, then bare, then
    through the signature step alone, so that the paths see the same machine load within a
    fraction of a second; each chunk's time is the best of ``rounds``. CPU time of this
    process (one thread) rather than wall time: time the scheduler gives to other processes
    is not counted against any path.
    """
    chunks = [
        (alg, subset[i : i + CHUNK])
        for alg in ALGORITHMS
        for subset in [[code for code in codes if code.alg == alg]]
        for i in range(0, len(subset), CHUNK)
    ]
    best = [[float("inf")] * 3 for _ in chunks]
    for _ in range(rounds):
        for n, (_, chunk) in enumerate(chunks):
            passes = (_pipeline_pass(chunk), _bare_pass(chunk), _signature_pass(chunk))
            for i, run in enumerate(passes):
                start = time.process_time()
                run()
                best[n][i] = min(best[n][i], time.process_time() - start)
    return {
        alg: (
            sum(b[0] for (a, _), b in zip(chunks, best, strict=True) if a == alg),
            sum(b[1] for (a, _), b in zip(chunks, best, strict=True) if a == alg),
            sum(b[2] for (a, _), b in zip(chunks, best, strict=True) if a == alg),
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


def _signature_pass(codes: list[Code]) -> Callable[[], None]:
    def run() -> None:
        for code in codes:
            code.signature()

    return run


def run(quick: bool) -> BenchReport:
    generated = _generated(QUICK_CODES if quick else CODES)
    suite = _suite(20 if quick else None)
    codes = generated + suite
    rounds = 1 if quick else ROUNDS
    load_before = os.getloadavg()[0]
    seconds = _time(codes, rounds)
    full_rate = len(codes) / sum(full for full, _, _ in seconds.values())
    bare_rate = len(codes) / sum(bare for _, bare, _ in seconds.values())
    floor_rate = len(codes) / sum(step for _, _, step in seconds.values())
    counts = {alg: sum(code.alg == alg for code in codes) for alg in ALGORITHMS}
    by_alg = {
        alg: (counts[alg] / full, counts[alg] / bare, counts[alg] / step)
        for alg, (full, bare, step) in seconds.items()
    }
    figures = [
        Figure("codes", len(codes), "codes"),
        Figure("dcc-testdata codes", len(suite), "codes"),
        *(Figure(f"{kind} codes", sum(c.kind == kind for c in codes), "codes") for kind in KINDS),
        Figure("full pipeline", full_rate, "verifications/s"),
        Figure("bare cryptography", bare_rate, "verifications/s"),
        Figure("ratio", full_rate / bare_rate, "x bare"),
        Figure("signature step alone", floor_rate, "verifications/s"),
        Figure("signature step alone ratio", floor_rate / bare_rate, "x bare"),
    ]
    for alg, (full_alg, bare_alg, floor_alg) in by_alg.items():
        figures += [
            Figure(f"{alg} full pipeline", full_alg, "verifications/s"),
            Figure(f"{alg} bare cryptography", bare_alg, "verifications/s"),
            Figure(f"{alg} ratio", full_alg / bare_alg, "x bare"),
            Figure(f"{alg} signature step alone ratio", floor_alg / bare_alg, "x bare"),
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
                "CPU time of one thread (time.process_time); pipeline, bare and signature"
                f" step alternate over chunks of {CHUNK} codes, best of {ROUNDS} per chunk"
            ),
            (
                "signature step alone: the pipeline's cose.verify_sign1 on codes decoded"
                " beforehand, the bound that no work on the other steps can pass"
            ),
        ),
    )
