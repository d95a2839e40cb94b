"""The district root key's rotation (issue 4): which chains of endorsements a terminal follows
from the key it pinned to the key that signs the bundle, and which it refuses."""

from __future__ import annotations

import base64
import copy
import itertools
import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from jointcheck.checkpoint.bundle import canonical, root_fingerprint, root_kid, sign_bundle
from jointcheck.checkpoint.outbox import Outbox
from jointcheck.checkpoint.reasons import TRUST_MESSAGES, TrustReason, trust_message
from jointcheck.checkpoint.rotation import FORMAT, MAX_CHAIN, endorse, follow, follow_bundle
from jointcheck.errors import TrustListError

from .factories import NOW
from .test_bundle import make_bundle


def _key(seed: int) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(30_000 + seed, ec.SECP256R1())


OLD, MID, NEW, ATTACKER = _key(1), _key(2), _key(3), _key(4)


def fp(key: ec.EllipticCurvePrivateKey) -> str:
    return root_fingerprint(key.public_key())


def kid(key: ec.EllipticCurvePrivateKey) -> str:
    return root_kid(key.public_key())


def link(old: ec.EllipticCurvePrivateKey, new: ec.EllipticCurvePrivateKey, days: int = 0):
    return endorse(old, new.public_key(), NOW + timedelta(days=days))


GOOD = [link(OLD, MID, 1), link(MID, NEW, 2)]


def refused(pinned: str, chain: Any, target: str) -> str:
    with pytest.raises(TrustListError) as info:
        follow(pinned, chain, target)
    return info.value.code


def test_a_terminal_off_through_two_rotations_follows_the_chain_to_the_signer() -> None:
    links = follow(fp(OLD), GOOD, kid(NEW))
    assert [(x.previous, x.next) for x in links] == [(fp(OLD), fp(MID)), (fp(MID), fp(NEW))]
    assert links[-1].next_key.public_numbers() == NEW.public_key().public_numbers()
    assert links[0].since == NOW + timedelta(days=1)
    # One that followed the first rotation already starts in the middle of the same chain.
    assert [x.next for x in follow(fp(MID), GOOD, kid(NEW))] == [fp(NEW)]


def test_a_key_the_pinned_key_never_endorsed_has_no_chain() -> None:
    assert follow(fp(ATTACKER), GOOD, kid(NEW)) == ()
    assert follow(fp(OLD), [], kid(NEW)) == ()


def test_a_link_not_signed_by_the_key_it_succeeds_is_refused() -> None:
    # The attacker writes "ATTACKER succeeds OLD" (with OLD's public key) and signs it itself.
    assert refused(fp(OLD), [forged_link(OLD)], kid(ATTACKER)) == TrustReason.ROOT_CHAIN_BROKEN
    # So is such a link after a real one ("ATTACKER succeeds MID").
    chain = [GOOD[0], forged_link(MID, 2)]
    assert refused(fp(OLD), chain, kid(ATTACKER)) == TrustReason.ROOT_CHAIN_BROKEN


def forged_link(succeeded: ec.EllipticCurvePrivateKey, days: int = 1) -> dict[str, Any]:
    body = link(succeeded, ATTACKER, days)["body"]
    signature = ATTACKER.sign(canonical(body), ec.ECDSA(hashes.SHA256()))
    return {"format": FORMAT, "body": body, "signature": base64.b64encode(signature).decode()}


def test_a_link_altered_after_signing_is_refused() -> None:
    altered = copy.deepcopy(GOOD)
    real = link(OLD, ATTACKER, 1)["body"]
    altered[0]["body"]["next"] = real["next"]
    altered[0]["body"]["next_public_key"] = real["next_public_key"]
    assert refused(fp(OLD), altered, kid(ATTACKER)) == TrustReason.ROOT_CHAIN_BROKEN


def test_a_link_whose_fingerprint_is_not_its_key_is_refused() -> None:
    # Signed by the attacker's key, carried as "previous", but naming OLD's fingerprint.
    lying = link(ATTACKER, NEW, 1)
    lying["body"] = {**lying["body"], "previous": fp(OLD)}
    assert refused(fp(OLD), [lying], kid(NEW)) == TrustReason.ROOT_CHAIN_BROKEN


def test_a_key_that_endorses_itself_gains_nothing() -> None:
    selfish = [link(ATTACKER, ATTACKER, 1)]
    assert follow(fp(OLD), selfish, kid(ATTACKER)) == ()
    # Nor can the pinned key be "rotated" to itself: that is a loop.
    assert refused(fp(OLD), [link(OLD, OLD, 1)], kid(NEW)) == TrustReason.ROOT_CHAIN_LOOP


def test_a_loop_is_refused() -> None:
    loop = [link(OLD, MID, 1), link(MID, OLD, 2), link(OLD, MID, 3), link(MID, NEW, 4)]
    assert refused(fp(OLD), loop, kid(NEW)) == TrustReason.ROOT_CHAIN_LOOP


def test_a_chain_longer_than_the_bound_is_refused_before_any_signature_check() -> None:
    keys = [_key(100 + i) for i in range(MAX_CHAIN + 2)]
    long_chain = [link(a, b, i) for i, (a, b) in enumerate(itertools.pairwise(keys))]
    assert len(long_chain) == MAX_CHAIN + 1
    assert refused(fp(keys[0]), long_chain, kid(keys[-1])) == TrustReason.ROOT_CHAIN_TOO_LONG
    # The bound itself is followed.
    assert len(follow(fp(keys[1]), long_chain[1:], kid(keys[-1]))) == MAX_CHAIN


def test_links_out_of_order_are_refused() -> None:
    assert refused(fp(OLD), list(reversed(GOOD)), kid(NEW)) == TrustReason.ROOT_CHAIN_BROKEN
    # A later link dated before the one it follows is out of order too.
    backwards = [link(OLD, MID, 5), link(MID, NEW, 2)]
    assert refused(fp(OLD), backwards, kid(NEW)) == TrustReason.ROOT_CHAIN_BROKEN


def test_a_chain_that_does_not_reach_the_signer_is_refused() -> None:
    assert refused(fp(OLD), GOOD[:1], kid(NEW)) == TrustReason.ROOT_CHAIN_BROKEN


def _malformed() -> list[Any]:
    good = link(OLD, NEW, 1)
    unsigned = {k: v for k, v in good.items() if k != "signature"}
    other_format = {**good, "format": "jointcheck-root-endorsement/0"}
    no_key = copy.deepcopy(good)
    no_key["body"]["next_public_key"] = "not a key"
    naive = copy.deepcopy(good)
    naive["body"]["since"] = "2021-09-02T02:00:00"
    return [{"not": "a list"}, [unsigned], [other_format], [no_key], [naive]]


@pytest.mark.parametrize("chain", _malformed())
def test_malformed_endorsements_are_refused(chain: Any) -> None:
    assert refused(fp(OLD), chain, kid(NEW)) == TrustReason.ROOT_CHAIN_BROKEN


def test_a_bundle_signed_by_the_new_key_is_followed_with_the_chain_it_carries() -> None:
    document = sign_bundle(make_bundle(), NEW, GOOD)
    assert [x.next for x in follow_bundle(document, OLD.public_key())] == [fp(MID), fp(NEW)]


def test_a_bundle_with_no_or_a_forged_chain_is_still_untrusted() -> None:
    alone = sign_bundle(make_bundle(), ATTACKER)
    selfish = sign_bundle(make_bundle(), ATTACKER, [link(ATTACKER, ATTACKER, 1)])
    stolen = sign_bundle(make_bundle(), ATTACKER, GOOD)  # a real chain, to another key
    for document in (alone, selfish, stolen):
        with pytest.raises(TrustListError) as info:
            follow_bundle(document, OLD.public_key())
        assert info.value.code == TrustReason.BUNDLE_UNTRUSTED
    with pytest.raises(TrustListError) as info:
        follow_bundle(stolen, OLD.public_key())
    assert "ROOT_CHAIN_BROKEN" in str(info.value)


def test_the_endorsement_is_readable_json_naming_both_keys() -> None:
    document = json.loads(json.dumps(link(OLD, NEW, 1)))
    assert document["body"]["previous"] == fp(OLD)
    assert document["body"]["next"] == fp(NEW)
    assert document["body"]["since"] == (NOW + timedelta(days=1)).isoformat()


@pytest.mark.parametrize("code", list(TrustReason))
def test_every_trust_reason_has_a_zh_and_an_en_message(code: TrustReason) -> None:
    zh, en = trust_message(code)
    assert zh != en
    assert zh.strip()
    assert en.strip()
    assert any("\u4e00" <= c <= "\u9fff" for c in zh)
    assert set(TRUST_MESSAGES) == set(TrustReason)


def test_a_re_pin_that_fails_midway_leaves_the_old_pin(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    outbox.set_metas({"root_public_key": "OLD PEM", "bundle": "OLD BUNDLE"})
    metas = {"root_public_key": "NEW PEM", "bundle": "NEW BUNDLE"}
    unstorable: Any = object()  # the rotation row fails after the metas were written
    with pytest.raises(sqlite3.Error):
        outbox.record_rotation(NOW, [(fp(OLD), unstorable, NOW)], metas)
    assert outbox.get_meta("root_public_key") == "OLD PEM"
    assert outbox.get_meta("bundle") == "OLD BUNDLE"
    assert outbox.rotations() == []
    outbox.record_rotation(NOW, [(fp(OLD), fp(NEW), NOW - timedelta(hours=1))], metas)
    assert outbox.get_meta("root_public_key") == "NEW PEM"
    (rotation,) = outbox.rotations()
    assert (rotation.previous, rotation.next, rotation.at) == (fp(OLD), fp(NEW), NOW)
    assert rotation.since == NOW - timedelta(hours=1)
    # The entrance page says it once.
    assert [r.next for r in outbox.rotations(unannounced=True)] == [fp(NEW)]
    assert [r.next for r in outbox.take_rotations()] == [fp(NEW)]
    assert outbox.take_rotations() == []
    assert outbox.rotations(unannounced=True) == []
    assert len(outbox.rotations()) == 1
