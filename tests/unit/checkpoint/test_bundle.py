from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from jointcheck.checkpoint.bundle import (
    Bundle,
    accept_bundle,
    parse_fingerprint,
    pem_public_key,
    root_fingerprint,
    sign_bundle,
)
from jointcheck.errors import TrustListError

from .factories import NOW


def make_bundle(version: int = 5) -> Bundle:
    return Bundle(
        version=version,
        issued_at=NOW,
        max_age=timedelta(hours=24),
        trust_list='{"keys": []}',
        revocations="{}",
        pack="id: fangzi-2021\n",
        pack_id="fangzi-2021",
        pack_version="3",
        root_kid="",
    )


ROOT = ec.generate_private_key(ec.SECP256R1())


def test_a_signed_bundle_is_accepted_with_its_contents() -> None:
    got = accept_bundle(sign_bundle(make_bundle(), ROOT), ROOT.public_key(), None)
    assert (got.version, got.pack_id, got.pack_version) == (5, "fangzi-2021", "3")
    assert got.pack == "id: fangzi-2021\n"


def test_a_bundle_signed_by_another_key_is_refused() -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(TrustListError) as info:
        accept_bundle(sign_bundle(make_bundle(), other), ROOT.public_key(), None)
    assert info.value.code == "BUNDLE_UNTRUSTED"


def test_another_key_claiming_the_pinned_kid_is_refused_as_forged() -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    doc = json.loads(sign_bundle(make_bundle(), other))
    doc["kid"] = json.loads(sign_bundle(make_bundle(), ROOT))["kid"]
    with pytest.raises(TrustListError) as info:
        accept_bundle(json.dumps(doc).encode(), ROOT.public_key(), None)
    assert info.value.code == "BUNDLE_FORGED"


def test_the_fingerprint_is_the_whole_sha256_of_the_spki_grouped() -> None:
    der = ROOT.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    shown = root_fingerprint(ROOT.public_key())
    assert shown.replace(":", "") == hashlib.sha256(der).hexdigest().upper()
    assert [len(group) for group in shown.split(":")] == [4] * 16
    pem = ROOT.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert root_fingerprint(pem_public_key(pem)) == shown


@pytest.mark.parametrize(
    "typed",
    [
        lambda f: f,
        lambda f: f.lower(),
        lambda f: f.replace(":", ""),
        lambda f: "SHA256:" + f.replace(":", "-"),
        lambda f: "  " + f.replace(":", " ") + "\n",
    ],
)
def test_a_fingerprint_is_read_however_it_is_typed(typed: Callable[[str], str]) -> None:
    shown = root_fingerprint(ROOT.public_key())
    assert parse_fingerprint(typed(shown)) == shown


@pytest.mark.parametrize(
    "typed", ["", "3F2A:91C0", "G" * 64, "AB" * 33, "sha1:" + "AB" * 32, "/no/such/file.pem"]
)
def test_anything_else_is_not_a_fingerprint(typed: str) -> None:
    with pytest.raises(TrustListError) as info:
        parse_fingerprint(typed)
    assert info.value.code == "ROOT_PIN_INVALID"


def test_a_tampered_pack_is_refused() -> None:
    doc = json.loads(sign_bundle(make_bundle(), ROOT))
    doc["body"]["pack"] = "id: fangzi-2021\nrestricted: []\n"
    with pytest.raises(TrustListError) as info:
        accept_bundle(json.dumps(doc).encode(), ROOT.public_key(), None)
    assert info.value.code == "BUNDLE_FORGED"


@pytest.mark.parametrize("document", [b"", b"not json", b"[]", b'{"format": "x"}'])
def test_garbage_is_refused_as_forged(document: bytes) -> None:
    with pytest.raises(TrustListError) as info:
        accept_bundle(document, ROOT.public_key(), None)
    assert info.value.code == "BUNDLE_FORGED"


def test_an_older_bundle_is_refused_the_same_version_is_kept() -> None:
    old = sign_bundle(make_bundle(4), ROOT)
    with pytest.raises(TrustListError) as info:
        accept_bundle(old, ROOT.public_key(), current_version=5)
    assert info.value.code == "BUNDLE_OUTDATED"
    assert accept_bundle(sign_bundle(make_bundle(5), ROOT), ROOT.public_key(), 5).version == 5


def test_staleness_follows_the_age_limit() -> None:
    bundle = make_bundle()
    assert not bundle.is_stale(NOW + timedelta(hours=23))
    assert bundle.is_stale(NOW + timedelta(hours=25))
