"""SMART Health Cards: each class of bad input gives its own reason code, never an exception.

Every case starts from a real example (``tests/vectors/shc``) or a card signed by a test
issuer, and changes one thing.
"""

from __future__ import annotations

import json
import tracemalloc
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import factories as f
import pytest
import shc_cards as c
from hypothesis import given, settings
from hypothesis import strategies as st

from jointcheck.credentials.keys import Role, TrustedKey
from jointcheck.credentials.model import Verification
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.shc import verify_shc
from jointcheck.credentials.shc_jws import MAX_INFLATED, b64url_encode, inflate
from jointcheck.credentials.shc_numeric import MAX_DIGITS, encode_numeric
from jointcheck.credentials.verify import VerifierContext

ISSUER = c.ShcIssuer()


def _example_segments(n: int = 0) -> list[str]:
    return c.example_jws(n).split(".")


def _with_header(**changes: object) -> str:
    _, payload, signature = _example_segments()
    new = {"zip": "DEF", "alg": "ES256", "kid": c.EXAMPLE_KID, **changes}
    new = {k: v for k, v in new.items() if v is not None}
    return encode_numeric(".".join([b64url_encode(json.dumps(new).encode()), payload, signature]))


def _with_body(body: bytes) -> str:
    header, _, signature = _example_segments()
    return encode_numeric(".".join([header, b64url_encode(body), signature]))


def _tampered_payload() -> str:
    payload = c.example_payload(0)
    payload["vc"]["credentialSubject"]["fhirBundle"]["entry"][0]["resource"]["birthDate"] = (
        "1991-01-20"
    )
    return _with_body(c.deflate(json.dumps(payload, separators=(",", ":")).encode()))


def _tampered_signature() -> str:
    header, payload, signature = _example_segments()
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    return encode_numeric(f"{header}.{payload}.{flipped}")


def _short_signature() -> str:
    header, payload, signature = _example_segments()
    return encode_numeric(f"{header}.{payload}.{signature[:40]}")


def _bomb() -> str:
    # 1 MiB of zeros deflates to about 1 KiB: it fits in a QR code and inflates past the cap.
    return _with_body(c.deflate(bytes(1024 * 1024)))


def _nested() -> str:
    return _with_body(c.deflate(b"[" * 20000 + b"]" * 20000))


def _keys_with(public_key: object) -> list[TrustedKey]:
    return [
        TrustedKey(c.EXAMPLE_KID.encode(), public_key, frozenset({Role.SHC_ISSUER}), c.EXAMPLE_ISS)
    ]  # type: ignore[arg-type]


def _signed(**changes: object) -> Callable[[], str]:
    def build() -> str:
        doc = c.payload(c.patient(), c.immunization("208", "2021-05-01"))
        for key, value in changes.items():
            if key == "types":
                doc["vc"]["type"] = value
            elif key == "drop_bundle":
                del doc["vc"]["credentialSubject"]["fhirBundle"]
            elif key == "entry":
                doc["vc"]["credentialSubject"]["fhirBundle"]["entry"].append(value)
            elif key == "drop":
                del doc[str(value)]
            elif key == "vc_rid":
                doc["vc"]["rid"] = value
            else:
                doc[key] = value
        return ISSUER.card(doc)

    return build


@dataclass(frozen=True)
class Case:
    text: Callable[[], str]
    reason: Reason
    step: str | None
    context: Callable[[], VerifierContext] = lambda: c.ctx(*ISSUER.trusted)


CASES = {
    "unknown-prefix": Case(lambda: "HC1:" + c.example_text(0)[5:], Reason.UNKNOWN_PREFIX, "unprefix"),
    "longer-than-a-qr-code": Case(lambda: "shc:/" + "56" * (MAX_DIGITS // 2 + 1), Reason.INPUT_TOO_LONG, "unprefix"),
    "hostile-length": Case(lambda: "shc:/" + "5" * 10_000_000, Reason.INPUT_TOO_LONG, "unprefix"),
    "too-many-chunks": Case(lambda: "shc:/1/99/5676", Reason.INPUT_TOO_LONG, "unprefix"),
    "one-chunk-of-three": Case(lambda: c.example_text(2, 0), Reason.SHC_CHUNKS_INCOMPLETE, "unprefix"),
    "chunk-index-past-count": Case(lambda: "shc:/4/3/5676", Reason.SHC_CHUNKS_INCOMPLETE, "unprefix"),
    "pair-above-77": Case(lambda: c.example_text(0)[:-2] + "78", Reason.BAD_NUMERIC, "numeric"),
    "odd-length": Case(lambda: c.example_text(0)[:-1], Reason.BAD_NUMERIC, "numeric"),
    "not-digits": Case(lambda: "shc:/5676a9", Reason.BAD_NUMERIC, "numeric"),
    "unicode-digits": Case(lambda: "shc:/56٧6", Reason.BAD_NUMERIC, "numeric"),
    "empty": Case(lambda: "shc:/", Reason.BAD_NUMERIC, "numeric"),
    "two-segments": Case(lambda: encode_numeric(".".join(_example_segments()[:2])), Reason.JWS_MALFORMED, "jws"),
    "not-base64url": Case(lambda: encode_numeric("eyJ6aXAiOiJERUYifQ.a:b.c"), Reason.JWS_MALFORMED, "jws"),
    "header-not-json": Case(lambda: encode_numeric("bm90IGpzb24.AA.AA"), Reason.JWS_MALFORMED, "jws"),
    "header-without-zip": Case(lambda: _with_header(zip=None), Reason.JWS_MALFORMED, "jws"),
    "header-without-kid": Case(lambda: _with_header(kid=None), Reason.JWS_MALFORMED, "jws"),
    "payload-not-json": Case(lambda: _with_body(c.deflate(b"not json")), Reason.JWS_MALFORMED, "jws"),
    "payload-nested-too-deep": Case(_nested, Reason.JWS_MALFORMED, "jws"),
    "payload-with-nan": Case(lambda: _with_body(c.deflate(b'{"nbf": NaN}')), Reason.JWS_MALFORMED, "jws"),
    "not-deflate": Case(lambda: _with_body(b"plain bytes, not DEFLATE"), Reason.DECOMPRESSION_FAILED, "decompress"),
    "zlib-header-instead-of-raw": Case(lambda: _with_body(zlib.compress(c.example_payload_bytes(0))), Reason.DECOMPRESSION_FAILED, "decompress"),
    "truncated-deflate": Case(lambda: _with_body(c.deflate(c.example_payload_bytes(0))[:-8]), Reason.DECOMPRESSION_FAILED, "decompress"),
    "inflation-past-the-cap": Case(_bomb, Reason.INFLATION_CAP_EXCEEDED, "decompress"),
    "alg-hs256": Case(lambda: _with_header(alg="HS256"), Reason.UNSUPPORTED_ALGORITHM, "signature"),
    "alg-none": Case(lambda: _with_header(alg="none"), Reason.UNSUPPORTED_ALGORITHM, "signature"),
    "unknown-kid": Case(lambda: c.example_text(0), Reason.UNKNOWN_KID, "signature", lambda: c.ctx(examples=False)),
    "rsa-key-under-the-kid": Case(lambda: c.example_text(0), Reason.ALGORITHM_KEY_MISMATCH, "signature", lambda: c.ctx(*_keys_with(f.rsa_key(0).public_key()), examples=False)),
    "p384-key-under-the-kid": Case(lambda: c.example_text(0), Reason.ALGORITHM_KEY_MISMATCH, "signature", lambda: c.ctx(*_keys_with(f.ec_key(0, "P-384").public_key()), examples=False)),
    "other-p256-key-under-the-kid": Case(lambda: c.example_text(0), Reason.BAD_SIGNATURE, "signature", lambda: c.ctx(*_keys_with(f.ec_key(0).public_key()), examples=False)),
    "tampered-payload": Case(_tampered_payload, Reason.BAD_SIGNATURE, "signature"),
    "tampered-signature": Case(_tampered_signature, Reason.BAD_SIGNATURE, "signature"),
    "non-canonical-base64url": Case(lambda: c.example_text(0)[:-1] + "1", Reason.JWS_MALFORMED, "jws"),
    "short-signature": Case(_short_signature, Reason.BAD_SIGNATURE, "signature"),
    "iss-of-another-issuer": Case(_signed(iss="https://elsewhere.example.org"), Reason.ISSUER_ROLE_MISSING, "signature"),
    "vc-without-health-card-type": Case(_signed(types=["https://smarthealth.cards#immunization"]), Reason.SCHEMA_INVALID, "schema"),
    "vc-type-not-a-list": Case(_signed(types="https://smarthealth.cards#health-card"), Reason.SCHEMA_INVALID, "schema"),
    "no-fhir-bundle": Case(_signed(drop_bundle=True), Reason.SCHEMA_INVALID, "schema"),
    "no-nbf": Case(_signed(drop="nbf"), Reason.SCHEMA_INVALID, "schema"),
    "nbf-a-string": Case(_signed(nbf="1687450764"), Reason.SCHEMA_INVALID, "schema"),
    "nbf-beyond-year-9999": Case(_signed(nbf=1e20), Reason.SCHEMA_INVALID, "schema"),
    "exp-a-boolean": Case(_signed(exp=True), Reason.SCHEMA_INVALID, "schema"),
    "rid-longer-than-24": Case(_signed(vc_rid="A" * 25), Reason.SCHEMA_INVALID, "schema"),
    "entry-without-resource": Case(_signed(entry={"fullUrl": "resource:9"}), Reason.SCHEMA_INVALID, "schema"),
    "immunization-without-date": Case(_signed(entry={"resource": {"resourceType": "Immunization", "status": "completed", "vaccineCode": {"coding": [{"system": c.CVX, "code": "208"}]}}}), Reason.SCHEMA_INVALID, "schema"),
    "not-yet-valid": Case(lambda: c.example_text(0), Reason.NOT_YET_VALID, "expiry", lambda: c.ctx(at=datetime(2023, 6, 22, 16, 0, tzinfo=UTC))),
    "expired": Case(lambda: c.example_text(3), Reason.EXPIRED, "expiry", lambda: c.ctx(at=datetime(2024, 6, 22, tzinfo=UTC))),
}  # fmt: skip


@pytest.mark.parametrize("name", CASES)
def test_bad_input_gives_its_reason_at_its_step(name):
    case = CASES[name]
    result = verify_shc(case.text(), case.context())
    assert isinstance(result, Verification)
    assert result.reason is case.reason, result.detail
    assert not result.valid
    assert result.credential is None
    if case.step is not None:
        assert result.steps[case.step] is False
        later = list(result.steps)[list(result.steps).index(case.step) + 1 :]
        assert all(result.steps[s] is None for s in later)


def test_the_signed_cases_differ_from_a_valid_card_only_in_their_change():
    assert verify_shc(_signed()(), c.ctx(*ISSUER.trusted)).reason is Reason.OK


def test_a_gigabyte_bomb_is_refused_at_the_cap():
    # A full flush resets the window, so every 1 MiB block compresses to the same bytes:
    # 1,024 copies and the final block are a valid stream of 1 GiB of zeros.
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    piece = compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    bomb = piece * 1024 + compressor.flush()
    assert inflate(bomb) is Reason.INFLATION_CAP_EXCEEDED
    assert inflate(c.deflate(bytes(MAX_INFLATED))) == bytes(MAX_INFLATED)


def test_clock_skew_admits_a_card_signed_moments_ahead_of_the_checkpoint_clock():
    nbf = datetime.fromtimestamp(1687450764.656, UTC)
    slightly_behind = c.ctx(at=nbf - timedelta(seconds=10))
    assert verify_shc(c.example_text(0), slightly_behind).valid
    far_behind = c.ctx(at=nbf - timedelta(minutes=5))
    assert verify_shc(c.example_text(0), far_behind).reason is Reason.NOT_YET_VALID


# --- whatever arrives, a reason code -------------------------------------------------------

EXAMPLE = c.example_text(0)
CONTEXT = c.ctx()
REASONS = frozenset(Reason) - {Reason.OK}


def _outcome(text: str) -> Reason:
    result = verify_shc(text, CONTEXT)
    assert isinstance(result, Verification)
    return result.reason


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(5, len(EXAMPLE) - 1), st.sampled_from("0123456789")),
        min_size=1,
        max_size=4,
    )
)
def test_digits_changed_in_a_real_card_give_a_reason(changes):
    text = list(EXAMPLE)
    for position, digit in changes:
        text[position] = digit
    mutated = "".join(text)
    assert _outcome(mutated) in (REASONS if mutated != EXAMPLE else {Reason.OK})


@settings(max_examples=200, deadline=None)
@given(st.integers(len("shc:/"), len(EXAMPLE) - 1))
def test_a_truncated_card_gives_a_reason(length):
    assert _outcome(EXAMPLE[:length]) in REASONS


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.text(alphabet="0123456789/", max_size=300))
def test_arbitrary_text_after_the_prefix_gives_a_reason(tail):
    assert _outcome("shc:/" + tail) in REASONS


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200), st.binary(max_size=400), st.binary(max_size=70))
def test_arbitrary_jws_segments_give_a_reason(header, body, signature):
    jws = ".".join(b64url_encode(part) for part in (header, body, signature))
    assert _outcome(encode_numeric(jws)) in REASONS


def test_the_largest_payload_under_the_cap_stays_small_in_memory():
    # A payload of empty objects is the most Python objects 64 KiB of JSON can make.
    iss = json.dumps(c.EXAMPLE_ISS).encode()
    body = b'{"iss":' + iss + b',"a":[' + b",".join([b"{}"] * ((MAX_INFLATED - 80) // 3)) + b"]}"
    text = _with_body(c.deflate(body))
    assert len(text) - len("shc:/") <= MAX_DIGITS
    tracemalloc.start()
    try:
        result = verify_shc(text, CONTEXT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.reason is Reason.BAD_SIGNATURE
    assert peak < 10 * 1024 * 1024
