"""A checkpoint verifier's memory with a district-sized trust bundle, and revocation look-ups.

``verifier-memory`` (issue 2, performance): a verifier process that imports the whole
credential pipeline, loads a signed trust list of 1,000 issuer keys and a signed revocation
list of 1,000,000 entries, and verifies codes against them. Its peak RSS is measured in a
fresh subprocess (``peak_rss_kib``), so nothing the benchmark itself built is counted.
Target: at most 150 MB.

``revocation``: look-ups per second on the 1,000,000-entry list (hits and misses, with and
without hashing the looked-up value), bytes per entry on disk and in memory, beside the
obvious alternative measured in the same run: a Python ``set`` of the same 16-byte entries.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from jointcheck.bench import BenchReport, Figure
from jointcheck.credentials import issue, trust
from jointcheck.credentials.keyfiles import kid_for_spki, public_pem
from jointcheck.credentials.keys import Role
from jointcheck.credentials.model import CodeColour
from jointcheck.credentials.revocation import (
    ENTRY_BYTES,
    HEADER_BYTES,
    RevocationList,
    encode_revocation_list,
    entry_hash,
    open_revocation_list,
)

TARGET_MB = 150.0
AT = datetime(2021, 9, 1, 8, 0, tzinfo=UTC)
SUBJECT_KEY = bytes(32)
HOLDER = issue.Holder("11010519491231002X", "张三", "1949-12-31")


def _trust_payload(keys: list[ec.EllipticCurvePrivateKey]) -> dict[str, object]:
    payload = trust.new_payload(1, "370704", AT - timedelta(days=1))
    issuers = []
    for i, key in enumerate(keys):
        spki = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        role = Role.HEALTH_CODE_ISSUER if i % 2 == 0 else Role.MEDICAL_INSTITUTION
        issuers.append(
            trust.issuer_entry(
                kid=kid_for_spki(key.public_key()),
                roles=[role],
                issuer=f"issuer {i}",
                spki=spki,
                level=3 if role is Role.MEDICAL_INSTITUTION else None,
            )
        )
    return {**payload, "issuers": issuers}


def _bundle(folder: Path, n_keys: int, n_revoked: int) -> None:
    """Write the signed trust list, revocation list, root key and sample codes to FOLDER."""
    root = ec.generate_private_key(ec.SECP256R1())
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(n_keys)]
    (folder / "root.pem").write_bytes(public_pem(root.public_key()))
    (folder / "trust.json").write_bytes(trust.sign_trust_list(_trust_payload(keys), root))
    hashes = (entry_hash("credential_id", f"{i:032x}") for i in range(n_revoked))
    (folder / "revoked.jcrl").write_bytes(
        encode_revocation_list(hashes, version=1, issued_at=AT, root_key=root)
    )
    codes = [
        issue.issue_health_code(
            issue.IssuingKey.of(keys[(2 * i) % n_keys]),  # even: health code issuers
            SUBJECT_KEY,
            HOLDER,
            colour=CodeColour.GREEN,
            issued_at=AT,
            # Even codes carry a revoked credential id, odd ones a fresh one.
            credential_id=(i * (n_revoked // 200) if i % 2 == 0 else n_revoked + i).to_bytes(
                16, "big"
            ),
        )
        for i in range(200)
    ]
    (folder / "codes.txt").write_text("\n".join(codes), encoding="ascii")


def peak_rss_kib() -> int:
    """This process's peak RSS in KiB.

    ``ru_maxrss`` survives ``execve`` on Linux: a child forked from a large parent starts with
    the parent's peak. The kernel's VmHWM belongs to the new address space, so it is used
    where it exists (Linux), and ``getrusage`` elsewhere.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(folder: Path) -> dict[str, float]:
    """Run in the fresh subprocess: load the bundle, verify the codes, report RSS (KiB)."""
    from jointcheck.credentials.keyfiles import read_public_key
    from jointcheck.credentials.verify import VerifierContext, verify

    imported = peak_rss_kib()
    root = read_public_key(folder / "root.pem")
    start = time.perf_counter()
    keys = trust.open_trust_list((folder / "trust.json").read_bytes(), root)
    revoked = open_revocation_list((folder / "revoked.jcrl").read_bytes(), root)
    loaded = time.perf_counter() - start
    ctx = VerifierContext(at=AT + timedelta(seconds=60), keys=keys, revocations=revoked)
    codes = (folder / "codes.txt").read_text(encoding="ascii").splitlines()
    reasons = [verify(code, ctx).reason.value for code in codes]
    return {
        "imported_kib": imported,
        "peak_kib": peak_rss_kib(),
        "load_s": loaded,
        "valid": reasons.count("OK"),
        "revoked_codes": reasons.count("REVOKED"),
        "codes": len(codes),
        "keys": len(keys.keys),
        "revoked": revoked.count,
    }


def run(quick: bool) -> BenchReport:
    n_keys, n_revoked = (100, 10_000) if quick else (1_000, 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _bundle(folder, n_keys, n_revoked)
        out = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "jointcheck.bench.trust_memory", str(folder)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
    result = json.loads(out.stdout)
    peak_mb = result["peak_kib"] / 1024
    return BenchReport(
        name="verifier-memory",
        figures=(
            Figure("trust-list keys", result["keys"], "keys"),
            Figure("revoked entries", result["revoked"], "entries"),
            Figure("RSS after importing the pipeline", result["imported_kib"] / 1024, "MB"),
            Figure("peak RSS with the bundle loaded", peak_mb, "MB"),
            Figure("added by the bundle", peak_mb - result["imported_kib"] / 1024, "MB"),
            Figure("bundle load time", result["load_s"], "s"),
            Figure("codes verified valid", result["valid"], f"of {result['codes']}"),
            Figure("codes refused as revoked", result["revoked_codes"], f"of {result['codes']}"),
        ),
        target=f"peak RSS <= {TARGET_MB:.0f} MB with 1,000 keys and 1,000,000 revoked entries",
        met=None if quick else peak_mb <= TARGET_MB,
    )


def _rate(lookup: object, probes: list[bytes]) -> float:
    assert callable(lookup)  # noqa: S101 - a bench-internal invariant
    start = time.perf_counter()
    for probe in probes:
        lookup(probe)
    return len(probes) / (time.perf_counter() - start)


def run_revocation(quick: bool) -> BenchReport:
    n = 10_000 if quick else 1_000_000
    hashes = [entry_hash("credential_id", f"{i:032x}") for i in range(n)]
    root = ec.generate_private_key(ec.SECP256R1())
    data = encode_revocation_list(hashes, version=1, issued_at=AT, root_key=root)
    tracemalloc.start()
    listed: RevocationList = open_revocation_list(data, root.public_key())
    ours = tracemalloc.get_traced_memory()[0] + len(data)
    tracemalloc.stop()
    # The alternative as a verifier would build it from the same file: a set of bytes.
    body = data[HEADER_BYTES : HEADER_BYTES + ENTRY_BYTES * n]
    tracemalloc.start()
    baseline = {body[i : i + ENTRY_BYTES] for i in range(0, len(body), ENTRY_BYTES)}
    theirs = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    hits = hashes[:: max(1, n // 100_000)]
    misses = [entry_hash("credential_id", f"miss{i}") for i in range(len(hits))]
    ours_rate = _rate(listed.contains, hits + misses)
    set_rate = _rate(baseline.__contains__, hits + misses)
    values = [f"{i:032x}" for i in range(0, n, max(1, n // 100_000))]
    start = time.perf_counter()
    for value in values:
        listed.is_revoked("credential_id", value)
    hashed_rate = len(values) / (time.perf_counter() - start)
    return BenchReport(
        name="revocation",
        figures=(
            Figure("entries", n, "entries"),
            Figure("file bytes per entry", len(data) / n, "B"),
            Figure("memory bytes per entry (jointcheck)", ours / n, "B"),
            Figure("memory bytes per entry (Python set, baseline)", theirs / n, "B"),
            Figure("memory ratio set / jointcheck", theirs / ours, "x"),
            Figure("look-ups of a 16-byte entry (jointcheck)", ours_rate, "/s"),
            Figure("look-ups of a 16-byte entry (Python set)", set_rate, "/s"),
            Figure("speed ratio jointcheck / set", ours_rate / set_rate, "x"),
            Figure("is_revoked(kind, value) incl. SHA-256", hashed_rate, "/s"),
            Figure("longest bucket (entries compared at most)", listed.longest_run(), "entries"),
        ),
        target="1,000,000 entries add at most 64 MB; O(1) look-up",
        met=None if quick else ours <= 64 * 1024 * 1024,
    )


if __name__ == "__main__":
    sys.stdout.write(json.dumps(measure(Path(sys.argv[1]))))
