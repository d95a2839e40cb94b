"""A fake district authority for native-credential tests: root key, issuers, trust list.

Keys come from the shared ``factories`` (cached, so tests stay fast); the trust list is built
and signed through the production path (``trust.sign_trust_list``), so a test list differs
from a real one only in what a test deliberately changes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factories as f
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from jointcheck.credentials import trust
from jointcheck.credentials.keyfiles import kid_for_spki
from jointcheck.credentials.keys import Role
from jointcheck.credentials.model import Subject
from jointcheck.credentials.subject import make_subject

NOW = f.NOW
SUBJECT_KEY = bytes(range(32))
ID_NUMBER = "11010519491231002X"
DOB = "1949-12-31"
NAME = "张小三"

ROOT_SEED, HEALTH_SEED, HOSPITAL_SEED, VACCINATION_SEED, STRANGER_SEED = 100, 101, 102, 103, 104


def root_key() -> ec.EllipticCurvePrivateKey:
    return f.ec_key(ROOT_SEED)


def key(seed: int) -> ec.EllipticCurvePrivateKey:
    return f.ec_key(seed)


def kid(seed: int) -> bytes:
    return kid_for_spki(key(seed).public_key())


def entry(seed: int, roles: list[Role], *, level: int | None = None, **kw: Any) -> dict[str, Any]:
    spki = (
        key(seed)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return trust.issuer_entry(
        kid=kid(seed), roles=roles, issuer=f"issuer {seed}", spki=spki, level=level, **kw
    )


def payload(version: int = 1, *extra: dict[str, Any]) -> dict[str, Any]:
    """Health code issuer, a level-3 hospital and a vaccination issuer, plus EXTRA entries."""
    body = trust.new_payload(version, "370704", NOW - timedelta(days=1))
    for item in (
        entry(HEALTH_SEED, [Role.HEALTH_CODE_ISSUER]),
        entry(HOSPITAL_SEED, [Role.MEDICAL_INSTITUTION], level=3),
        entry(VACCINATION_SEED, [Role.VACCINATION_ISSUER, Role.DCC_SIGNER]),
        *extra,
    ):
        body = trust.add_issuer(body, item)
    return body


def signed(version: int = 1, *extra: dict[str, Any]) -> bytes:
    return trust.sign_trust_list(payload(version, *extra), root_key())


def trust_list(version: int = 1, *extra: dict[str, Any]) -> trust.TrustList:
    loaded = trust.load_trust_list(signed(version, *extra), root_key().public_key())
    assert isinstance(loaded, trust.TrustList)
    return loaded


def subject(id_number: str = ID_NUMBER, dob: str = DOB, name: str = NAME) -> Subject:
    return make_subject(SUBJECT_KEY, id_number, dob, name)
