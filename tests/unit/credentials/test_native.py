"""Health codes (JKM1:) and contraindication certificates (JJZ1:): what a checkpoint sees."""

from __future__ import annotations

from datetime import date, timedelta

import district as d
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jointcheck.credentials.keys import Role
from jointcheck.credentials.model import (
    CodeColour,
    ContraindicationCertificate,
    CredentialType,
    HealthCode,
)
from jointcheck.credentials.native import (
    CONTRAINDICATION_CLAIM,
    CONTRAINDICATION_PREFIX,
    HEALTH_CODE_CLAIM,
    HEALTH_CODE_PREFIX,
    verify_contraindication,
    verify_health_code,
)
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.revocation import RevocationList, entry_hash
from jointcheck.credentials.subject import SUBJECT_CLAIM, subject_hash
from jointcheck.credentials.verify import verify

SKEW = timedelta(seconds=30)


def test_health_code_round_trip_shows_colour_masked_name_and_subject() -> None:
    text = d.health_code(colour=CodeColour.YELLOW, reason="14天内到访中风险地区")
    assert text.startswith(HEALTH_CODE_PREFIX)
    result = verify_health_code(text, d.context())
    assert result.reason is Reason.OK, result
    code = result.credential
    assert isinstance(code, HealthCode)
    assert code.type is CredentialType.HEALTH_CODE
    assert code.colour is CodeColour.YELLOW
    assert code.reason == "14天内到访中风险地区"
    assert code.masked_name == "张*三"
    assert code.subject.fnt == "ZHANG"
    assert code.subject.gnt == "XIAOSAN"
    assert code.subject.dob == d.DOB
    assert code.subject.id_hash == subject_hash(d.SUBJECT_KEY, d.ID_NUMBER).hex()
    assert code.expires_at - code.issued_at == timedelta(seconds=180)
    assert code.kid == d.kid(d.HEALTH_SEED)
    assert all(result.steps[s] for s in ("unprefix", "base45", "decompress", "cose", "signature"))
    assert result.steps["expiry"] is True


def test_health_code_carries_no_name_or_id_number_in_clear() -> None:
    claims = d.claims_of(d.health_code(), HEALTH_CODE_PREFIX)
    flat = repr(claims)
    assert d.NAME not in flat
    assert d.ID_NUMBER not in flat


def test_each_rendering_has_a_fresh_nonce_but_the_same_credential_id() -> None:
    a = verify_health_code(d.health_code(credential_id=b"person-1"), d.context()).credential
    b = verify_health_code(d.health_code(credential_id=b"person-1"), d.context()).credential
    assert isinstance(a, HealthCode)
    assert isinstance(b, HealthCode)
    assert a.credential_id == b.credential_id
    assert a.nonce != b.nonce


def test_tampered_colour_is_a_bad_signature() -> None:
    def to_green(claims: dict) -> None:
        claims[HEALTH_CODE_CLAIM][2] = "green"

    forged = d.tamper(d.health_code(colour=CodeColour.RED), HEALTH_CODE_PREFIX, to_green)
    result = verify_health_code(forged, d.context())
    assert result.reason is Reason.BAD_SIGNATURE
    assert result.steps["signature"] is False
    assert result.credential is None


@pytest.mark.parametrize(
    ("after", "reason"),
    [
        (timedelta(seconds=180), Reason.OK),
        (timedelta(seconds=180) + SKEW, Reason.OK),  # within the clock-skew allowance
        (timedelta(seconds=180) + SKEW + timedelta(seconds=1), Reason.EXPIRED),
        (timedelta(minutes=10), Reason.EXPIRED),
        (-SKEW, Reason.OK),
        (-SKEW - timedelta(seconds=1), Reason.NOT_YET_VALID),
    ],
)
def test_health_code_goes_stale_after_its_ttl_plus_skew(after: timedelta, reason: Reason) -> None:
    result = verify_health_code(d.health_code(), d.context(at=d.NOW + after, clock_skew=SKEW))
    assert result.reason is reason
    if reason is not Reason.OK:
        assert result.steps["expiry"] is False


def test_skew_is_a_verifier_setting() -> None:
    late = d.NOW + timedelta(seconds=200)
    assert (
        verify_health_code(d.health_code(), d.context(at=late, clock_skew=SKEW)).reason is Reason.OK
    )
    strict = d.context(at=late, clock_skew=timedelta(0))
    assert verify_health_code(d.health_code(), strict).reason is Reason.EXPIRED


@pytest.mark.parametrize("seed", [d.HOSPITAL_SEED, d.VACCINATION_SEED])
def test_health_code_from_a_key_without_the_role_is_refused(seed: int) -> None:
    result = verify_health_code(d.health_code(seed), d.context())
    assert result.reason is Reason.ISSUER_ROLE_MISSING


def test_health_code_from_an_unlisted_key_is_unknown_kid() -> None:
    result = verify_health_code(d.health_code(d.STRANGER_SEED), d.context())
    assert result.reason is Reason.UNKNOWN_KID


def test_revoked_credential_id_is_refused() -> None:
    text = d.health_code(credential_id=bytes.fromhex("00112233445566778899aabbccddeeff"))
    revoked = RevocationList.of([entry_hash("credential_id", "00112233445566778899aabbccddeeff")])
    assert verify_health_code(text, d.context(revocations=revoked)).reason is Reason.REVOKED
    assert verify_health_code(d.health_code(), d.context(revocations=revoked)).reason is Reason.OK


def test_health_code_issued_outside_its_key_validity_is_refused() -> None:
    retired = d.entry(
        d.STRANGER_SEED, [Role.HEALTH_CODE_ISSUER], not_after=d.NOW - timedelta(days=1)
    )
    result = verify_health_code(d.health_code(d.STRANGER_SEED), d.context(retired))
    assert result.reason is Reason.DSC_VALIDITY


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c[HEALTH_CODE_CLAIM].__setitem__(2, "blue"),
        lambda c: c[HEALTH_CODE_CLAIM].__setitem__(4, b"short"),
        lambda c: c.pop(SUBJECT_CLAIM),
        lambda c: c.pop(7),
        lambda c: c.pop(4),
        lambda c: c.__setitem__(HEALTH_CODE_CLAIM, "green"),
    ],
    ids=["colour", "nonce", "subject", "cti", "exp", "body"],
)
def test_malformed_but_signed_health_code_is_schema_invalid(change) -> None:
    text = d.resign(d.health_code(), HEALTH_CODE_PREFIX, change, d.HEALTH_SEED)
    result = verify_health_code(text, d.context())
    assert result.reason is Reason.SCHEMA_INVALID
    assert result.steps["signature"] is True
    assert result.steps["schema"] is False


def test_contraindication_round_trip_takes_the_level_from_the_trust_list() -> None:
    text = d.contraindication(category="pregnancy")
    assert text.startswith(CONTRAINDICATION_PREFIX)
    result = verify_contraindication(text, d.context())
    assert result.reason is Reason.OK, result
    cert = result.credential
    assert isinstance(cert, ContraindicationCertificate)
    assert cert.level == 3
    assert cert.institution == f"issuer {d.HOSPITAL_SEED}"
    assert cert.category == "pregnancy"
    assert (cert.valid_from, cert.valid_to) == (date(2021, 8, 1), date(2022, 1, 31))
    assert cert.masked_name == "张*三"
    assert cert.subject.id_hash == subject_hash(d.SUBJECT_KEY, d.ID_NUMBER).hex()


def test_a_clinic_cannot_claim_a_higher_level() -> None:
    clinic = d.entry(d.STRANGER_SEED, [Role.MEDICAL_INSTITUTION], level=1)

    def claim_level_3(claims: dict) -> None:
        claims[CONTRAINDICATION_CLAIM]["level"] = 3

    text = d.resign(
        d.contraindication(d.STRANGER_SEED), CONTRAINDICATION_PREFIX, claim_level_3, d.STRANGER_SEED
    )
    cert = verify_contraindication(text, d.context(clinic)).credential
    assert isinstance(cert, ContraindicationCertificate)
    assert cert.level == 1


@pytest.mark.parametrize(
    ("at", "reason"),
    [
        (d.NOW, Reason.OK),
        # Valid-from is a day in Asia/Shanghai: 2021-08-01 starts at 2021-07-31T16:00Z.
        (d.NOW.replace(month=7, day=31, hour=16, minute=0), Reason.OK),
        (d.NOW.replace(month=7, day=31, hour=15, minute=0), Reason.NOT_YET_VALID),
        (d.NOW.replace(year=2022, month=1, day=31, hour=15, minute=59), Reason.OK),
        (d.NOW.replace(year=2022, month=1, day=31, hour=17), Reason.EXPIRED),
    ],
)
def test_contraindication_is_valid_between_its_days(at, reason: Reason) -> None:
    text = d.contraindication(issued_at=d.NOW - timedelta(days=40))
    assert verify_contraindication(text, d.context(at=at)).reason is reason


def test_contraindication_from_a_health_code_issuer_is_refused() -> None:
    result = verify_contraindication(d.contraindication(d.HEALTH_SEED), d.context())
    assert result.reason is Reason.ISSUER_ROLE_MISSING


def test_contraindication_with_a_diagnosis_instead_of_a_category_is_schema_invalid() -> None:
    def diagnose(claims: dict) -> None:
        claims[CONTRAINDICATION_CLAIM][2] = "G40.9 epilepsy"

    text = d.resign(d.contraindication(), CONTRAINDICATION_PREFIX, diagnose, d.HOSPITAL_SEED)
    assert verify_contraindication(text, d.context()).reason is Reason.SCHEMA_INVALID


def test_revoked_contraindication_is_refused() -> None:
    text = d.contraindication(credential_id=b"\x01" * 16)
    revoked = RevocationList.of([entry_hash("credential_id", "01" * 16)])
    assert verify_contraindication(text, d.context(revocations=revoked)).reason is Reason.REVOKED


def test_a_health_code_is_not_a_contraindication_certificate() -> None:
    result = verify_contraindication(d.health_code(), d.context())
    assert result.reason is Reason.UNKNOWN_PREFIX


_cbor_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.text(max_size=20),
    st.binary(max_size=40),
    st.sampled_from(["green", "yellow", "red", "allergy", "2021-08-01", "2022-01-31"]),
)
_cbor = st.recursive(
    _cbor_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.integers(-3, 6), st.text(max_size=3)), inner, max_size=5),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from([HEALTH_CODE_PREFIX, CONTRAINDICATION_PREFIX]),
    claim=st.sampled_from([SUBJECT_CLAIM, HEALTH_CODE_CLAIM, CONTRAINDICATION_CLAIM, 4, 5, 6, 7]),
    value=_cbor,
)
def test_any_signed_claim_value_gives_a_reason_never_an_exception(
    prefix: str, claim: int, value: object
) -> None:
    issue = d.health_code if prefix == HEALTH_CODE_PREFIX else d.contraindication
    seed = d.HEALTH_SEED if prefix == HEALTH_CODE_PREFIX else d.HOSPITAL_SEED
    text = d.resign(issue(), prefix, lambda claims: claims.__setitem__(claim, value), seed)
    result = verify(text, d.context())
    # Signed by the right key: only the content or the times can be wrong.
    assert result.reason in {
        Reason.OK,
        Reason.SCHEMA_INVALID,
        Reason.CWT_MALFORMED,
        Reason.EXPIRED,
        Reason.NOT_YET_VALID,
        Reason.DSC_VALIDITY,
    }, result
    assert (result.credential is not None) is result.valid


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from([HEALTH_CODE_PREFIX, CONTRAINDICATION_PREFIX]),
    tail=st.text(max_size=200),
)
def test_any_text_after_our_prefixes_gives_a_reason(prefix: str, tail: str) -> None:
    result = verify(prefix + tail, d.context())
    assert result.reason in {
        Reason.BAD_BASE45,
        Reason.DECOMPRESSION_FAILED,
        Reason.CBOR_MALFORMED,
        Reason.NOT_COSE_SIGN1,
    }, result
    assert result.steps["unprefix"] is True
