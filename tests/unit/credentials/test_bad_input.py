"""Bad input, one real example per class (issue 2, "Bad input"): nothing crashes, nothing
hangs, and each class gives its own reason code.

The table is meant to grow: a format adds its rows as ``BadInput(name, reason, run)``, where
``run`` builds the input and returns the ``Verification`` (or the ``Reason`` of the single
step it exercises).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import cbor2
import factories as f
import native_bad_input
import pytest

from jointcheck.credentials import cose, pipeline
from jointcheck.credentials.keys import Role
from jointcheck.credentials.model import Verification
from jointcheck.credentials.reasons import MESSAGES, Reason
from jointcheck.credentials.verify import VerifierContext, verify


@dataclass(frozen=True)
class BadInput:
    name: str
    reason: Reason
    run: Callable[[], Verification | Reason]


def _verify(
    text: Callable[[], str], ctx: Callable[[], VerifierContext] | None = None
) -> Callable[[], Verification]:
    def run() -> Verification:
        signer = f.signer()
        return verify(text(), ctx() if ctx is not None else f.context(signer))

    return run


def _signed_claims(claims: object) -> str:
    signer = f.signer()
    return f.wrap(cose.sign1(cbor2.dumps(claims), signer.private_key, signer.kid, signer.alg))


def _p384_under_es256() -> Verification:
    key = f.ec_key(3, "P-384")
    dsc = f.make_dsc(key)
    signer = f.Signer(key, dsc, cose.Algorithm.ES256)
    text = f.wrap(f.raw_sign1(cbor2.dumps(f.dcc_claims()), key, signer.kid, cose.Algorithm.ES256))
    return verify(text, f.context(signer))


def _rsa_under_es256() -> Verification:
    signer = f.signer(cose.Algorithm.PS256, seed=4)
    text = f.wrap(f.raw_sign1(cbor2.dumps(f.dcc_claims()), signer.private_key, signer.kid, -7))
    return verify(text, f.context(signer))


def _eddsa() -> Verification:
    signer = f.signer()
    text = f.wrap(f.raw_sign1(cbor2.dumps(f.dcc_claims()), signer.private_key, signer.kid, -8))
    return verify(text, f.context(signer))


def _bad_signature() -> Verification:
    signer = f.signer()
    raw = bytearray(f.cose_bytes(f.issue_dcc(signer)))
    raw[-1] ^= 0x01  # the last byte of the signature
    return verify(f.wrap(bytes(raw)), f.context(signer))


def _truncated_cbor() -> Verification:
    raw = f.cose_bytes(f.issue_dcc(f.signer()))
    return verify(f.wrap(raw[: len(raw) // 2]), f.context(f.signer()))


def _revoked() -> Verification:
    signer = f.signer()
    uvci = f.dcc_payload()["v"][0]["ci"]
    # The DCC revocation design's UCI hash: the first 128 bits of SHA-256 of the UVCI.
    entry = hashlib.sha256(uvci.encode()).digest()[:16].hex()
    revocations = f.RevocationsFake({("uvci", entry)})
    return verify(f.issue_dcc(signer), f.context(signer, revocations=revocations))


def _one_gigabyte_bomb() -> Reason:
    return pipeline.inflate(f.zlib_bomb(1 << 30))[0]


_VALID_DSC = f.signer()
_SHORT_DSC = f.signer(seed=5, not_after=f.NOW + timedelta(days=30))
_TEST_ONLY_DSC = f.signer(seed=6, eku=(f.EKU_TEST,))
_HEALTH_CODE_KEY = f.signer(seed=7, roles=frozenset({Role.HEALTH_CODE_ISSUER}))

BAD_INPUTS = [
    BadInput("unknown prefix", Reason.UNKNOWN_PREFIX, _verify(lambda: "HC9:6BFOXN*TS0BI$ZD")),
    BadInput("no prefix at all", Reason.UNKNOWN_PREFIX, _verify(lambda: "6BFOXN*TS0BI$ZD")),
    BadInput("bad base45", Reason.BAD_BASE45, _verify(lambda: "HC1:6bfoxn*ts0bi")),
    BadInput("base45 group over 0xFFFF", Reason.BAD_BASE45, _verify(lambda: "HC1:GGW")),
    BadInput(
        "longer than a QR code holds", Reason.INPUT_TOO_LONG, _verify(lambda: "HC1:" + "A" * 4293)
    ),
    BadInput("longer than any QR mode holds", Reason.INPUT_TOO_LONG, _verify(lambda: "7" * 7090)),
    BadInput("a zlib stream inflating to 1 GB", Reason.INFLATION_CAP_EXCEEDED, _one_gigabyte_bomb),
    BadInput(
        "a QR-sized zlib bomb",
        Reason.INFLATION_CAP_EXCEEDED,
        _verify(lambda: f.wrap(bytes(2 * 1024 * 1024))),
    ),
    BadInput(
        "garbage instead of zlib",
        Reason.DECOMPRESSION_FAILED,
        _verify(lambda: "HC1:" + "ABCDEFGHI" * 10),
    ),
    BadInput("truncated CBOR", Reason.CBOR_MALFORMED, _truncated_cbor),
    BadInput(
        "CBOR that is not COSE",
        Reason.NOT_COSE_SIGN1,
        _verify(lambda: f.wrap(cbor2.dumps({"hello": "world"}))),
    ),
    BadInput(
        "deeply nested CBOR",
        Reason.CBOR_TOO_DEEP,
        _verify(lambda: f.wrap(b"\x81" * 10_000 + b"\x00")),
    ),
    BadInput(
        "deeply nested CWT claims",
        Reason.CBOR_TOO_DEEP,
        _verify(lambda: _signed_claims({-260: {1: cbor2.loads(b"\x81" * 20 + b"\x00")}})),
    ),
    BadInput(
        "claims without the hcert claim",
        Reason.CWT_MALFORMED,
        _verify(lambda: _signed_claims({1: "CN", 4: 1_700_000_000, 6: 1_600_000_000})),
    ),
    BadInput(
        "unknown kid",
        Reason.UNKNOWN_KID,
        _verify(lambda: f.issue_dcc(f.signer(seed=8)), lambda: f.context(_VALID_DSC)),
    ),
    BadInput("P-384 key under ES256", Reason.ALGORITHM_KEY_MISMATCH, _p384_under_es256),
    BadInput("RSA key under ES256", Reason.ALGORITHM_KEY_MISMATCH, _rsa_under_es256),
    BadInput("EdDSA", Reason.UNSUPPORTED_ALGORITHM, _eddsa),
    BadInput("bad signature", Reason.BAD_SIGNATURE, _bad_signature),
    BadInput(
        "expired",
        Reason.EXPIRED,
        _verify(
            lambda: f.issue_dcc(_VALID_DSC, exp=f.NOW - timedelta(minutes=1)),
            lambda: f.context(_VALID_DSC),
        ),
    ),
    BadInput(
        "not yet valid",
        Reason.NOT_YET_VALID,
        _verify(
            lambda: f.issue_dcc(_VALID_DSC, iat=f.NOW + timedelta(minutes=5)),
            lambda: f.context(_VALID_DSC),
        ),
    ),
    BadInput(
        "expires after its DSC",
        Reason.DSC_VALIDITY,
        _verify(lambda: f.issue_dcc(_SHORT_DSC), lambda: f.context(_SHORT_DSC)),
    ),
    BadInput(
        "issued before its DSC",
        Reason.DSC_VALIDITY,
        _verify(
            lambda: f.issue_dcc(_VALID_DSC, iat=f.NOW - timedelta(days=400)),
            lambda: f.context(_VALID_DSC),
        ),
    ),
    BadInput(
        "vaccination signed by a test-only DSC",
        Reason.KEY_USAGE_MISMATCH,
        _verify(lambda: f.issue_dcc(_TEST_ONLY_DSC), lambda: f.context(_TEST_ONLY_DSC)),
    ),
    BadInput(
        "schema violation (dose number 0)",
        Reason.SCHEMA_INVALID,
        _verify(
            lambda: f.issue_dcc(_VALID_DSC, f.dcc_payload(dn=0)), lambda: f.context(_VALID_DSC)
        ),
    ),
    BadInput(
        "both a vaccination and a test",
        Reason.SCHEMA_INVALID,
        _verify(
            lambda: f.issue_dcc(_VALID_DSC, {**f.dcc_payload(), "t": f.dcc_payload("t")["t"]}),
            lambda: f.context(_VALID_DSC),
        ),
    ),
    BadInput("revoked UVCI", Reason.REVOKED, _revoked),
    BadInput(
        "issuer without the role",
        Reason.ISSUER_ROLE_MISSING,
        _verify(lambda: f.issue_dcc(_HEALTH_CODE_KEY), lambda: f.context(_HEALTH_CODE_KEY)),
    ),
]

# Rows for the native codes, the trust list and the revocation list.
BAD_INPUTS += [BadInput(*row) for row in native_bad_input.ROWS]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[case.name for case in BAD_INPUTS])
def test_bad_input_gives_its_reason(case: BadInput) -> None:
    outcome = case.run()
    reason = outcome.reason if isinstance(outcome, Verification) else outcome
    assert reason is case.reason
    zh, en = MESSAGES[reason]
    assert zh
    assert en
    if isinstance(outcome, Verification):
        assert not outcome.valid
        assert outcome.credential is None


def test_the_same_code_verifies_when_nothing_is_wrong() -> None:
    # The control for the table: the factories' codes are valid unless a row breaks them.
    for signer in (_VALID_DSC, _SHORT_DSC, _TEST_ONLY_DSC, f.signer(cose.Algorithm.PS256)):
        payload = f.dcc_payload("t") if signer is _TEST_ONLY_DSC else None
        exp = f.NOW + timedelta(days=10)
        result = verify(f.issue_dcc(signer, payload, exp=exp), f.context(signer))
        assert result.reason is Reason.OK, signer
        assert all(result.steps.values())


def test_zlib_bomb_factory_builds_a_real_stream() -> None:
    # The 1 GB stream above is only worth something if it is a valid zlib stream.
    assert zlib.decompress(f.zlib_bomb(3 << 20)) == bytes(3 << 20)


def test_steps_stop_at_the_failing_one() -> None:
    result = verify("HC1:6bfoxn", f.context(_VALID_DSC))
    assert result.steps["unprefix"] is True
    assert result.steps["base45"] is False
    assert result.steps["decompress"] is None
    assert result.steps["signature"] is None
