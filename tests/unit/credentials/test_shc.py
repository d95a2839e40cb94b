"""SMART Health Cards: the public examples verify, chunks reassemble, revocation by rid."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime

import factories as f
import pytest
import shc_cards as c
from hypothesis import given, settings
from hypothesis import strategies as st

from jointcheck.credentials import trust
from jointcheck.credentials.keys import NoRevocations, Role, TrustedKey
from jointcheck.credentials.model import CredentialType, SmartHealthCard
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.revocation import RevocationList, entry_hash
from jointcheck.credentials.shc import STEPS, verify_shc, verify_shc_chunks
from jointcheck.credentials.shc_jws import inflate, parse_compact
from jointcheck.credentials.shc_keys import ShcRevocations, jwks_trust_entries, load_crl, load_jwks
from jointcheck.credentials.shc_numeric import decode_numeric, reassemble_chunks, split_qr
from jointcheck.credentials.verify import verify
from jointcheck.errors import TrustListError

ALL_PASSED = dict.fromkeys(STEPS, True)


def card_of(verification: object) -> SmartHealthCard:
    card = getattr(verification, "credential", None)
    assert isinstance(card, SmartHealthCard)
    return card


@pytest.mark.parametrize("n", [0, 1, 3])
def test_single_qr_examples_verify(n):
    result = verify_shc(c.example_text(n), c.ctx())
    assert result.reason is Reason.OK
    assert result.valid
    assert result.type is CredentialType.SHC_IMMUNIZATION
    assert result.steps == ALL_PASSED
    card = card_of(result)
    assert card.issuer == c.EXAMPLE_ISS
    assert card.bundle == c.example_payload(n)["vc"]["credentialSubject"]["fhirBundle"]


def test_example_02_is_reassembled_from_its_three_chunks_in_any_order():
    for order in itertools.permutations(c.example_chunks()):
        result = verify_shc_chunks(list(order), c.ctx())
        assert result.reason is Reason.OK, order
        assert result.steps == ALL_PASSED
    card = card_of(result)
    assert card.bundle == c.example_payload(2)["vc"]["credentialSubject"]["fhirBundle"]
    assert card.rid == "YjKhdFoxL_g"


def test_chunks_as_one_text_one_per_line():
    text = "\n".join(reversed(c.example_chunks())) + "\n"
    assert verify_shc_chunks(text, c.ctx()).reason is Reason.OK


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_decoded_payload_is_the_minified_example(n):
    texts = c.example_chunks() if n == 2 else [c.example_text(n)]
    digits = reassemble_chunks(texts)
    assert isinstance(digits, str)
    jws_text = decode_numeric(digits)
    assert jws_text == c.example_jws(n)
    jws = parse_compact(jws_text)
    assert not isinstance(jws, Reason)
    assert inflate(jws.deflated) == c.example_payload_bytes(n)


def test_example_00_maps_to_a_typed_card():
    card = card_of(verify_shc(c.example_text(0), c.ctx()))
    assert card.name == "John B. Anyperson"
    assert (card.subject.dob, card.subject.fnt, card.subject.gnt) == (
        "1951-01-20",
        "ANYPERSON",
        "JOHN<B",
    )
    assert card.subject.id_hash is None
    assert card.kid == c.EXAMPLE_KID
    assert card.rid == "MKyCxh7p6uQ"
    assert card.issued_at == datetime.fromtimestamp(1687450764.656, UTC)
    doses = [(v.mp, v.ma, v.vp, v.tg, v.dn, v.sd, v.dt) for v in card.vaccinations]
    assert doses == [
        ("EU/1/20/1507", "ORG-100031184", "1119349007", "840539006", 1, None, date(2021, 1, 1)),
        ("EU/1/20/1507", "ORG-100031184", "1119349007", "840539006", 2, None, date(2021, 1, 29)),
        ("EU/1/20/1507", "ORG-100031184", "1119349007", "840539006", 3, None, date(2022, 9, 5)),
    ]
    assert {v.is_ for v in card.vaccinations} == {c.EXAMPLE_ISS}


def test_example_01_is_signed_by_the_key_with_a_certificate_chain():
    card = card_of(verify_shc(c.example_text(1), c.ctx()))
    assert card.kid == c.X5C_KID
    assert card.rid is None


def test_a_lab_result_card_without_patient_has_an_empty_subject():
    card = card_of(verify_shc_chunks(c.example_chunks(), c.ctx()))
    assert card.vaccinations == ()
    assert (card.subject.dob, card.subject.fnt, card.name) == ("", "", "")


# --- chunks -------------------------------------------------------------------------------


def test_one_chunk_alone_is_incomplete():
    result = verify_shc(c.example_text(2, 1), c.ctx())
    assert result.reason is Reason.SHC_CHUNKS_INCOMPLETE
    assert result.steps["unprefix"] is False
    assert result.steps["numeric"] is None


@pytest.mark.parametrize(
    "texts",
    [
        pytest.param(lambda chunks: chunks[:2], id="missing"),
        pytest.param(
            lambda chunks: [*chunks[:2], chunks[2].replace("shc:/3/3/", "shc:/3/4/")],
            id="count-disagrees",
        ),
        pytest.param(lambda chunks: [*chunks, chunks[1][:-2] + "00"], id="two-texts-for-one-index"),
        pytest.param(lambda chunks: [chunks[0].replace("shc:/1/3/", "shc:/0/3/")], id="index-zero"),
        pytest.param(lambda chunks: [*chunks, c.example_text(0)], id="mixed-with-a-whole-card"),
        pytest.param(lambda chunks: [], id="nothing"),
    ],
)
def test_inconsistent_chunk_sets_are_incomplete(texts):
    result = verify_shc_chunks(texts(c.example_chunks()), c.ctx())
    assert result.reason is Reason.SHC_CHUNKS_INCOMPLETE
    assert not result.valid


def test_a_chunk_scanned_twice_is_accepted():
    chunks = c.example_chunks()
    assert verify_shc_chunks([chunks[1], *chunks, chunks[0]], c.ctx()).reason is Reason.OK


def test_a_whole_card_through_the_chunk_entry_point():
    assert verify_shc_chunks([c.example_text(0)], c.ctx()).reason is Reason.OK


def test_qr_text_tolerates_surrounding_whitespace_and_an_upper_case_scheme():
    assert verify_shc("  " + c.example_text(0) + "\r\n", c.ctx()).reason is Reason.OK
    assert verify_shc("SHC:/" + c.example_text(0)[5:], c.ctx()).reason is Reason.OK
    assert split_qr("shc:/2/3/12") == split_qr("shc:/2/3/12\n")


# --- revocation ---------------------------------------------------------------------------


def test_example_03_is_revoked_by_the_example_crl():
    revocations = ShcRevocations(RevocationList.of([]), [c.example_crl()])
    result = verify_shc(c.example_text(3), c.ctx(revocations=revocations))
    assert result.reason is Reason.REVOKED
    assert not result.valid
    assert result.steps == ALL_PASSED
    assert card_of(result).rid == "vwAjHdarZuc"


def test_the_other_examples_are_not_on_the_crl():
    revocations = ShcRevocations(NoRevocations(), [c.example_crl()])
    assert verify_shc(c.example_text(0), c.ctx(revocations=revocations)).valid
    assert verify_shc(c.example_text(1), c.ctx(revocations=revocations)).valid
    assert verify_shc_chunks(c.example_chunks(), c.ctx(revocations=revocations)).valid


def test_the_example_crl_reads_as_outright_and_timestamped_rids():
    crl = c.example_crl()
    assert crl.kid == c.EXAMPLE_KID
    assert crl.ctr == 1
    assert crl.entries() == [
        ("rid", f"{c.EXAMPLE_KID}.FKDIxsTCGlU"),
        ("rid", f"{c.EXAMPLE_KID}.TqB_qu_6OtM"),
    ]
    assert dict(crl.cutoffs) == {
        f"{c.EXAMPLE_KID}.vwAjHdarZuc": 1687450765.0,
        f"{c.EXAMPLE_KID}.XkNHp2Iyk0Y": 1687450765.0,
    }


def _issuer_crl(issuer: c.ShcIssuer, *rids: str) -> str:
    return json.dumps({"kid": issuer.kid, "method": "rid", "ctr": 2, "rids": list(rids)})


def test_a_timestamped_rid_revokes_only_cards_issued_before_it():
    issuer = c.ShcIssuer()
    crl = load_crl(_issuer_crl(issuer, "lHKzqFUMjhs.1636977600"))
    revocations = ShcRevocations(NoRevocations(), [crl])
    context = c.ctx(*issuer.trusted, revocations=revocations)
    before = issuer.card(c.payload(c.patient(), nbf=1636977599.5, rid="lHKzqFUMjhs"))
    after = issuer.card(c.payload(c.patient(), nbf=1636977600, rid="lHKzqFUMjhs"))
    other = issuer.card(c.payload(c.patient(), nbf=1636977599, rid="AQPCj4wwk6Mt"))
    assert verify_shc(before, context).reason is Reason.REVOKED
    assert verify_shc(after, context).reason is Reason.OK
    assert verify_shc(other, context).reason is Reason.OK


def test_outright_rids_reach_any_revocation_list_through_crl_entries():
    issuer = c.ShcIssuer()
    crl = load_crl(_issuer_crl(issuer, "AQPCj4wwk6Mt"))
    district_list = RevocationList.of(entry_hash(kind, value) for kind, value in crl.entries())
    context = c.ctx(*issuer.trusted, revocations=district_list)
    revoked = issuer.card(c.payload(c.patient(), rid="AQPCj4wwk6Mt"))
    assert verify_shc(revoked, context).reason is Reason.REVOKED
    # The same rid under another issuer's key is another card.
    other = c.ShcIssuer(f.ec_key(901))
    card = other.card(c.payload(c.patient(), rid="AQPCj4wwk6Mt"))
    assert verify_shc(card, c.ctx(*other.trusted, revocations=district_list)).valid


@pytest.mark.parametrize(
    "document",
    [
        '{"kid": "k", "method": "other", "ctr": 1, "rids": []}',
        '{"kid": "k", "method": "rid", "ctr": "1", "rids": []}',
        '{"kid": "k", "method": "rid", "ctr": 1, "rids": ["has space"]}',
        '{"kid": "k", "method": "rid", "ctr": 1, "rids": ["abc.notatime"]}',
        '{"method": "rid", "ctr": 1, "rids": []}',
        "[]",
    ],
)
def test_a_malformed_crl_is_refused(document):
    with pytest.raises(TrustListError):
        load_crl(document)


# --- issuer keys --------------------------------------------------------------------------


def test_the_example_jwks_loads_both_signing_keys_as_shc_issuer_keys():
    keys = load_jwks(c.EXAMPLE_ISS, c.example_jwks())
    assert [k.kid for k in keys] == [c.EXAMPLE_KID.encode(), c.X5C_KID.encode()]
    assert all(k.roles == frozenset({Role.SHC_ISSUER}) for k in keys)
    assert all(k.issuer == c.EXAMPLE_ISS for k in keys)


def _jwks_with(**changes: object) -> dict[str, object]:
    jwks = c.example_jwks()
    jwks["keys"][0].update(changes)
    return jwks


@pytest.mark.parametrize(
    "jwks",
    [
        pytest.param(_jwks_with(kid="not-the-thumbprint"), id="kid-is-not-thumbprint"),
        pytest.param(_jwks_with(d="c2VjcmV0"), id="private-key-published"),
        pytest.param(_jwks_with(crv="P-384"), id="not-p256"),
        pytest.param(_jwks_with(x=c.example_jwks()["keys"][1]["x"]), id="point-off-curve"),
        pytest.param(_jwks_with(x5c=c.example_jwks()["keys"][1]["x5c"]), id="x5c-of-another-key"),
        pytest.param({"keys": "none"}, id="no-keys-array"),
    ],
)
def test_a_bad_jwks_is_refused(jwks):
    with pytest.raises(TrustListError):
        load_jwks(c.EXAMPLE_ISS, jwks)


def test_keys_that_are_not_signing_keys_are_left_out():
    jwks = c.example_jwks()
    jwks["keys"][0]["use"] = "enc"
    jwks["keys"].append({"kty": "RSA", "kid": "rsa", "n": "AQAB", "e": "AQAB"})
    assert [k.kid for k in load_jwks(c.EXAMPLE_ISS, jwks)] == [c.X5C_KID.encode()]


@pytest.mark.parametrize(
    "url", [c.EXAMPLE_ISS + "/", "http://spec.smarthealth.cards/examples/issuer"]
)
def test_the_issuer_url_must_be_https_without_trailing_slash(url):
    with pytest.raises(TrustListError):
        load_jwks(url, c.example_jwks())


def test_an_issuers_key_vouches_only_for_its_own_iss():
    keys = load_jwks("https://another.example.org", c.example_jwks())
    result = verify_shc(c.example_text(0), c.ctx(*keys, examples=False))
    assert result.reason is Reason.ISSUER_ROLE_MISSING
    assert result.steps["signature"] is False


def test_a_key_without_the_shc_issuer_role_is_not_enough():
    key = c.example_keys()[0]
    dcc_role = TrustedKey(key.kid, key.public_key, frozenset({Role.DCC_SIGNER}), c.EXAMPLE_ISS)
    result = verify_shc(c.example_text(0), c.ctx(dcc_role, examples=False))
    assert result.reason is Reason.ISSUER_ROLE_MISSING


# --- through the one entry point ----------------------------------------------------------


def test_verify_dispatches_shc_cards():
    result = verify(c.example_text(0), c.ctx())
    assert result.reason is Reason.OK
    assert result.type is CredentialType.SHC_IMMUNIZATION
    assert list(result.steps) == list(STEPS)


def test_verify_on_one_chunk_asks_for_the_others():
    result = verify(c.example_text(2, 2), c.ctx())
    assert result.reason is Reason.SHC_CHUNKS_INCOMPLETE
    assert result.credential is None


def test_a_card_without_exp_does_not_expire():
    assert verify_shc(c.example_text(0), c.ctx(at=datetime(2100, 1, 1, tzinfo=UTC))).valid


def test_an_issuers_jwks_becomes_trust_list_entries_that_verify_its_cards():
    entries = jwks_trust_entries(c.EXAMPLE_ISS, c.example_jwks())
    keys = [trust.entry_to_key(entry, i) for i, entry in enumerate(entries)]
    assert [(k.kid, k.roles, k.issuer) for k in keys] == [
        (k.kid, k.roles, k.issuer) for k in c.example_keys()
    ]
    assert verify_shc(c.example_text(1), c.ctx(*keys, examples=False)).valid


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)
JWK_MEMBERS = st.fixed_dictionaries(
    {"kty": st.just("EC"), "alg": st.just("ES256")},
    optional={
        "kid": JSON | st.just(c.EXAMPLE_KID),
        "crv": JSON | st.just("P-256"),
        "x": JSON | st.just(c.example_jwks()["keys"][0]["x"]),
        "y": JSON | st.just(c.example_jwks()["keys"][0]["y"]),
        "x5c": JSON,
        "d": JSON,
    },
)


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        JSON, st.builds(lambda keys: {"keys": keys}, st.lists(JWK_MEMBERS | JSON, max_size=3))
    )
)
def test_any_jwks_document_loads_or_is_refused_as_a_trust_list_fault(document):
    try:
        keys = load_jwks(c.EXAMPLE_ISS, json.dumps(document))
    except TrustListError:
        return
    assert all(k.roles == frozenset({Role.SHC_ISSUER}) for k in keys)


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        JSON,
        st.fixed_dictionaries(
            {"kid": st.just("k"), "method": st.just("rid"), "ctr": st.integers(0, 9)},
            optional={
                "rids": st.lists(
                    JSON
                    | st.from_regex(r"[A-Za-z0-9_-]{1,30}(\.[0-9e.+-]{0,12})?", fullmatch=True),
                    max_size=4,
                )
            },
        ),
    )
)
def test_any_crl_document_loads_or_is_refused_as_a_trust_list_fault(document):
    try:
        crl = load_crl(json.dumps(document))
    except TrustListError:
        return
    assert all(value.startswith(f"{crl.kid}.") for _, value in crl.entries())
