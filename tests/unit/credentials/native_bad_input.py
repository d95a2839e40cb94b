"""Bad-input rows for our own formats and documents, for the table in test_bad_input.py.

Each row is ``(name, reason, run)``; ``run`` builds a real example of the class and returns the
``Verification`` (or the ``Reason`` of the one check it exercises: trust and revocation lists
are loaded, not scanned; subject binding compares verified credentials).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import district as d

from jointcheck.credentials import trust
from jointcheck.credentials.keys import Role
from jointcheck.credentials.model import Verification
from jointcheck.credentials.native import HEALTH_CODE_CLAIM, HEALTH_CODE_PREFIX
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.replay import PresentationLedger
from jointcheck.credentials.revocation import (
    RevocationList,
    encode_revocation_list,
    entry_hash,
    load_revocation_list,
)
from jointcheck.credentials.subject import check_together
from jointcheck.credentials.verify import verify

Run = Callable[[], Verification | Reason]


def _forged_trust_list() -> Reason:
    document = json.loads(d.signed(version=2))
    document["payload"]["issuers"].append(d.entry(d.STRANGER_SEED, [Role.HEALTH_CODE_ISSUER]))
    loaded = trust.load_trust_list(json.dumps(document).encode(), d.root_key().public_key())
    assert isinstance(loaded, Reason)
    return loaded


def _older_trust_list() -> Reason:
    loaded = trust.load_trust_list(d.signed(version=3), d.root_key().public_key(), in_use=4)
    assert isinstance(loaded, Reason)
    return loaded


def _revocations(version: int, seed: int = d.ROOT_SEED) -> bytes:
    return encode_revocation_list(
        [entry_hash("credential_id", "00")], version=version, issued_at=d.NOW, root_key=d.key(seed)
    )


def _forged_revocation_list() -> Reason:
    loaded = load_revocation_list(_revocations(2, d.STRANGER_SEED), d.root_key().public_key())
    assert isinstance(loaded, Reason)
    return loaded


def _older_revocation_list() -> Reason:
    loaded = load_revocation_list(_revocations(2), d.root_key().public_key(), in_use=2)
    assert isinstance(loaded, Reason)
    return loaded


def _revoked_health_code() -> Verification:
    revoked = RevocationList.of([entry_hash("credential_id", "ab" * 16)])
    return verify(d.health_code(credential_id=b"\xab" * 16), d.context(revocations=revoked))


def _tampered_health_code() -> Verification:
    def to_green(claims: dict[object, dict[int, object]]) -> None:
        claims[HEALTH_CODE_CLAIM][2] = "green"

    forged = d.tamper(d.health_code(colour=d.CodeColour.RED), HEALTH_CODE_PREFIX, to_green)
    return verify(forged, d.context())


def _blue_health_code() -> Verification:
    def to_blue(claims: dict[object, dict[int, object]]) -> None:
        claims[HEALTH_CODE_CLAIM][2] = "blue"

    text = d.resign(d.health_code(), HEALTH_CODE_PREFIX, to_blue, d.HEALTH_SEED)
    return verify(text, d.context())


def _paper_flag_not_a_bool() -> Verification:
    def to_text(claims: dict[object, dict[int, object]]) -> None:
        claims[HEALTH_CODE_CLAIM][5] = "yes"  # the paper flag is a CBOR bool, nothing else

    text = d.resign(d.health_code(paper=True), HEALTH_CODE_PREFIX, to_text, d.HEALTH_SEED)
    return verify(text, d.context())


def _paper_code_past_its_day() -> Verification:
    text = d.health_code(paper=True, ttl=timedelta(hours=24))
    return verify(text, d.context(at=d.NOW + timedelta(hours=24, seconds=31)))


def _retired_health_code_key() -> Verification:
    retired = d.entry(
        d.STRANGER_SEED, [Role.HEALTH_CODE_ISSUER], not_after=d.NOW - timedelta(days=1)
    )
    return verify(d.health_code(d.STRANGER_SEED), d.context(retired))


def _someone_else() -> Reason:
    ctx = d.context()
    mine = verify(d.health_code(), ctx).credential
    theirs = verify(d.vaccination(who=d.holder(id_number="110105194912310011")), ctx).credential
    assert mine is not None
    assert theirs is not None
    return check_together([mine.subject, theirs.subject])


def _shown_twice() -> Reason:
    ledger = PresentationLedger()
    text = d.health_code()
    ledger.check(verify(text, d.context()), "gate", d.NOW)
    again = ledger.check(verify(text, d.context(at=d.NOW + timedelta(seconds=20))), "gate", d.NOW)
    assert again.valid  # a warning beside a valid result, never a refusal
    return again.warnings[0]


def _at(seconds: int) -> Callable[[], Verification]:
    return lambda: verify(d.health_code(), d.context(at=d.NOW + timedelta(seconds=seconds)))


ROWS: list[tuple[str, Reason, Run]] = [
    ("forged trust list", Reason.TRUST_LIST_FORGED, _forged_trust_list),
    ("older trust list", Reason.TRUST_LIST_OUTDATED, _older_trust_list),
    ("forged revocation list", Reason.REVOCATION_LIST_FORGED, _forged_revocation_list),
    ("older revocation list", Reason.REVOCATION_LIST_OUTDATED, _older_revocation_list),
    (
        "health code from a key without the role",
        Reason.ISSUER_ROLE_MISSING,
        lambda: verify(d.health_code(d.HOSPITAL_SEED), d.context()),
    ),
    (
        "contraindication from a key that is not a medical institution",
        Reason.ISSUER_ROLE_MISSING,
        lambda: verify(d.contraindication(d.VACCINATION_SEED), d.context()),
    ),
    ("revoked health code (credential id)", Reason.REVOKED, _revoked_health_code),
    ("health code expired beyond the clock skew", Reason.EXPIRED, _at(180 + 31)),
    ("health code from the future beyond the clock skew", Reason.NOT_YET_VALID, _at(-31)),
    ("health code with its colour changed", Reason.BAD_SIGNATURE, _tampered_health_code),
    ("signed health code with an unknown colour", Reason.SCHEMA_INVALID, _blue_health_code),
    (
        "signed health code whose paper flag is not a bool",
        Reason.SCHEMA_INVALID,
        _paper_flag_not_a_bool,
    ),
    ("paper health code past its 24 h beyond the skew", Reason.EXPIRED, _paper_code_past_its_day),
    ("health code issued after its key retired", Reason.DSC_VALIDITY, _retired_health_code_key),
    (
        "health code from an unlisted key",
        Reason.UNKNOWN_KID,
        lambda: verify(d.health_code(d.STRANGER_SEED), d.context()),
    ),
    ("someone else's certificate with my health code", Reason.SUBJECT_MISMATCH, _someone_else),
    ("the same health code shown twice", Reason.DUPLICATE_PRESENTATION, _shown_twice),
]
