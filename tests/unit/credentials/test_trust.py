"""The trust list (issue 2): signed by the district root, versions only grow, O(1) by kid."""

from __future__ import annotations

import base64
import json

import district as d
import factories as f
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jointcheck.credentials import trust
from jointcheck.credentials.keyfiles import kid_for_certificate
from jointcheck.credentials.keys import Role
from jointcheck.credentials.reasons import Reason
from jointcheck.errors import TrustListError


def test_signed_list_loads_and_resolves_kids_with_roles_and_level() -> None:
    listed = d.trust_list(version=7)
    assert listed.version == 7
    assert listed.district == "370704"
    [health] = listed.keys_for(d.kid(d.HEALTH_SEED))
    assert health.roles == {Role.HEALTH_CODE_ISSUER}
    [hospital] = listed.keys_for(d.kid(d.HOSPITAL_SEED))
    assert hospital.level == 3
    assert listed.keys_for(b"\x00" * 8) == []


def test_list_signed_by_another_key_is_forged() -> None:
    document = trust.sign_trust_list(d.payload(), d.key(d.STRANGER_SEED))
    assert trust.load_trust_list(document, d.root_key().public_key()) is Reason.TRUST_LIST_FORGED
    with pytest.raises(TrustListError) as raised:
        trust.open_trust_list(document, d.root_key().public_key())
    assert raised.value.code == "TRUST_LIST_FORGED"


def test_an_issuer_slipped_into_a_signed_list_breaks_the_signature() -> None:
    document = json.loads(d.signed())
    stranger = d.entry(d.STRANGER_SEED, [Role.HEALTH_CODE_ISSUER])
    document["payload"]["issuers"].append(stranger)
    tampered = json.dumps(document).encode()
    assert trust.load_trust_list(tampered, d.root_key().public_key()) is Reason.TRUST_LIST_FORGED


def test_reformatting_the_file_keeps_the_signature_valid() -> None:
    document = json.loads(d.signed(version=2))
    compact = json.dumps(document, separators=(",", ":"), ensure_ascii=True).encode()
    loaded = trust.load_trust_list(compact, d.root_key().public_key())
    assert isinstance(loaded, trust.TrustList)
    assert loaded.version == 2


@pytest.mark.parametrize(
    "garbage", [b"", b"{", b"[]", b'{"alg":"ES256","payload":{}}', "信任".encode()]
)
def test_garbage_is_refused_as_forged(garbage: bytes) -> None:
    assert trust.load_trust_list(garbage, d.root_key().public_key()) is Reason.TRUST_LIST_FORGED


def test_older_or_same_version_is_refused() -> None:
    root = d.root_key().public_key()
    assert trust.load_trust_list(d.signed(version=4), root, in_use=5) is Reason.TRUST_LIST_OUTDATED
    assert trust.load_trust_list(d.signed(version=5), root, in_use=5) is Reason.TRUST_LIST_OUTDATED
    newer = trust.load_trust_list(d.signed(version=6), root, in_use=5)
    assert isinstance(newer, trust.TrustList)
    with pytest.raises(TrustListError) as raised:
        trust.open_trust_list(d.signed(version=4), root, in_use=5)
    assert raised.value.code == "TRUST_LIST_OUTDATED"


def test_medical_institution_without_level_cannot_be_added() -> None:
    with pytest.raises(TrustListError):
        d.entry(d.HOSPITAL_SEED, [Role.MEDICAL_INSTITUTION])


def test_unknown_role_is_a_fault_for_the_operator() -> None:
    body = d.payload()
    body["issuers"][0]["roles"] = ["mayor"]
    with pytest.raises(TrustListError):
        trust.sign_trust_list(body, d.root_key())


def test_imported_dsc_gets_the_hcert_kid_and_the_dcc_signer_role() -> None:
    signer = f.signer(seed=5)
    listed = d.trust_list(1, trust.dsc_entry(signer.certificate))
    [key] = listed.keys_for(kid_for_certificate(signer.certificate))
    assert key.roles == {Role.DCC_SIGNER}
    assert key.certificate == signer.certificate
    assert kid_for_certificate(signer.certificate) == f.kid_of(signer.certificate)


def test_colliding_kids_are_all_returned() -> None:
    twin = d.entry(d.STRANGER_SEED, [Role.HEALTH_CODE_ISSUER])
    twin["kid"] = base64.b64encode(d.kid(d.HEALTH_SEED)).decode()
    listed = d.trust_list(1, twin)
    assert len(listed.keys_for(d.kid(d.HEALTH_SEED))) == 2


def test_remove_issuer_drops_every_entry_of_the_kid() -> None:
    body, removed = trust.remove_issuer(d.payload(), d.kid(d.HOSPITAL_SEED))
    assert removed == 1
    listed = trust.load_trust_list(
        trust.sign_trust_list(body, d.root_key()), d.root_key().public_key()
    )
    assert isinstance(listed, trust.TrustList)
    assert listed.keys_for(d.kid(d.HOSPITAL_SEED)) == []


_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(document=st.one_of(st.binary(max_size=300), _json.map(lambda v: json.dumps(v).encode())))
def test_any_document_is_a_trust_list_or_a_reason(document: bytes) -> None:
    loaded = trust.load_trust_list(document, d.root_key().public_key())
    assert loaded is Reason.TRUST_LIST_FORGED


def test_deeply_nested_document_is_forged_not_a_crash() -> None:
    document = b'{"alg": "ES256", "payload": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert trust.load_trust_list(document, d.root_key().public_key()) is Reason.TRUST_LIST_FORGED


@settings(max_examples=100, deadline=None)
@given(payload=_json)
def test_signed_garbage_payload_is_refused_not_a_crash(payload: object) -> None:
    # Even the root key's signature cannot make an unreadable payload a trust list.
    document = {
        "format": trust.FORMAT,
        "alg": "ES256",
        "payload": payload,
        "signature": base64.urlsafe_b64encode(
            trust.sign_es256(d.root_key(), trust.canonical_json(payload))
        ).decode(),
    }
    loaded = trust.load_trust_list(json.dumps(document).encode(), d.root_key().public_key())
    assert isinstance(loaded, trust.TrustList) or loaded is Reason.TRUST_LIST_FORGED
