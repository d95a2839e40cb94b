"""The shared transport steps: what a verifier sees for well-formed and broken envelopes."""

from __future__ import annotations

import zlib

import cbor2
import factories as f
import pytest

from jointcheck.credentials import base45, cose, pipeline
from jointcheck.credentials.keys import Role, TrustedKey
from jointcheck.credentials.reasons import Reason


def _dcc_role(key: TrustedKey) -> bool:
    return Role.DCC_SIGNER in key.roles


@pytest.mark.parametrize("alg", [cose.Algorithm.ES256, cose.Algorithm.PS256])
def test_issued_envelope_decodes_and_verifies(alg: cose.Algorithm) -> None:
    signer = f.signer(alg)
    text = f.issue_dcc(signer)
    envelope = pipeline.decode_envelope(text, "HC1:")
    assert isinstance(envelope, pipeline.Envelope)
    assert envelope.sign1.kid == signer.kid
    assert envelope.claims.iss == "CN"
    assert envelope.claims.exp is not None
    assert envelope.claims.exp > f.NOW
    reason, key = pipeline.verify_envelope_signature(
        envelope, f.KeyRingFake([signer.trusted]), _dcc_role
    )
    assert (reason, key) == (Reason.OK, signer.trusted)
    assert envelope.steps["signature"] is True


def test_every_key_with_the_kid_is_tried() -> None:
    # hcert spec A.1: an 8-byte kid may collide; the second key with the kid signed this code.
    real = f.signer(seed=1)
    other = f.Signer(f.ec_key(2), f.make_dsc(f.ec_key(2)), cose.Algorithm.ES256)
    colliding = TrustedKey(real.kid, other.trusted.public_key, frozenset({Role.DCC_SIGNER}))
    ring = f.KeyRingFake([colliding, real.trusted])
    envelope = pipeline.decode_envelope(f.issue_dcc(real), "HC1:")
    assert isinstance(envelope, pipeline.Envelope)
    assert pipeline.verify_envelope_signature(envelope, ring, _dcc_role) == (
        Reason.OK,
        real.trusted,
    )


def test_a_key_without_the_role_is_named() -> None:
    signer = f.signer(roles=frozenset({Role.HEALTH_CODE_ISSUER}))
    envelope = pipeline.decode_envelope(f.issue_dcc(signer), "HC1:")
    assert isinstance(envelope, pipeline.Envelope)
    reason, _ = pipeline.verify_envelope_signature(
        envelope, f.KeyRingFake([signer.trusted]), _dcc_role
    )
    assert reason is Reason.ISSUER_ROLE_MISSING


def test_uncompressed_payload_is_refused() -> None:
    # dcc-testdata common/Z2 expects COMPRESSION to fail on a COSE that was not compressed.
    signer = f.signer()
    signed = cose.sign1(cbor2.dumps(f.dcc_claims()), signer.private_key, signer.kid, signer.alg)
    result = pipeline.decode_envelope("HC1:" + base45.encode(signed), "HC1:")
    assert not isinstance(result, pipeline.Envelope)
    assert result.reason is Reason.DECOMPRESSION_FAILED
    assert result.steps["base45"] is True
    assert result.steps["decompress"] is False
    assert result.steps["cose"] is None


def test_inflation_stops_at_the_cap() -> None:
    assert pipeline.inflate(zlib.compress(bytes(64 * 1024)))[0] is Reason.OK
    assert pipeline.inflate(zlib.compress(bytes(64 * 1024 + 1)))[0] is (
        Reason.INFLATION_CAP_EXCEEDED
    )


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({1: 5}, Reason.CWT_MALFORMED),  # iss must be text
        ({4: "tomorrow"}, Reason.CWT_MALFORMED),  # exp must be a NumericDate
        ({6: True}, Reason.CWT_MALFORMED),
        ({4: 10**30}, Reason.CWT_MALFORMED),
        ({4: float("nan")}, Reason.CWT_MALFORMED),
        ({6: -1}, Reason.CWT_MALFORMED),
        ([1, 2], Reason.CWT_MALFORMED),
    ],
)
def test_malformed_claims(claims: object, reason: Reason) -> None:
    assert pipeline.decode_claims(cbor2.dumps(claims)) is reason
