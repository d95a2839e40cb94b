"""A fake district authority for native-credential tests: root key, issuers, trust list.

Keys come from the shared ``factories`` (cached, so tests stay fast); the trust list is built
and signed through the production path (``trust.sign_trust_list``), so a test list differs
from a real one only in what a test deliberately changes.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import cbor2
import factories as f
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from jointcheck.credentials import base45, issue, pipeline, trust
from jointcheck.credentials.issue import Holder, IssuingKey
from jointcheck.credentials.keyfiles import kid_for_spki
from jointcheck.credentials.keys import NoRevocations, Revocations, Role
from jointcheck.credentials.model import CodeColour, Subject
from jointcheck.credentials.subject import make_subject
from jointcheck.credentials.verify import VerifierContext

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
        entry(VACCINATION_SEED, [Role.VACCINATION_ISSUER]),
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


def issuing_key(seed: int) -> IssuingKey:
    return IssuingKey.of(key(seed))


def holder(id_number: str = ID_NUMBER, dob: str = DOB, name: str = NAME) -> Holder:
    return Holder(id_number=id_number, name=name, dob=dob)


def health_code(
    seed: int = HEALTH_SEED,
    *,
    colour: CodeColour = CodeColour.GREEN,
    issued_at: datetime = NOW,
    who: Holder | None = None,
    **kw: Any,
) -> str:
    return issue.issue_health_code(
        issuing_key(seed), SUBJECT_KEY, who or holder(), colour=colour, issued_at=issued_at, **kw
    )


def contraindication(
    seed: int = HOSPITAL_SEED,
    *,
    category: str = "allergy",
    valid_from: date = date(2021, 8, 1),
    valid_to: date = date(2022, 1, 31),
    who: Holder | None = None,
    **kw: Any,
) -> str:
    return issue.issue_contraindication(
        issuing_key(seed),
        SUBJECT_KEY,
        who or holder(),
        category=category,
        valid_from=valid_from,
        valid_to=valid_to,
        issued_at=kw.pop("issued_at", NOW - timedelta(days=30)),
        **kw,
    )


def context(
    *extra: dict[str, Any], at: datetime = NOW, revocations: Revocations | None = None, **kw: Any
) -> VerifierContext:
    return VerifierContext(
        at=at, keys=trust_list(1, *extra), revocations=revocations or NoRevocations(), **kw
    )


def resign(text: str, prefix: str, change: Callable[[dict[Any, Any]], None], seed: int) -> str:
    """TEXT with its claims changed by CHANGE and signed again by key SEED."""
    claims = claims_of(text, prefix)
    change(claims)
    k = issuing_key(seed)
    return pipeline.encode_envelope(claims, k.private_key, k.kid, k.alg, prefix)


def claims_of(text: str, prefix: str) -> dict[Any, Any]:
    raw = pipeline.unwrap(text, prefix, pipeline.new_steps())
    assert isinstance(raw, bytes)
    return dict(cbor2.loads(cbor2.loads(raw).value[2]))


def tamper(text: str, prefix: str, change: Callable[[dict[Any, Any]], None]) -> str:
    """TEXT with its claims changed by CHANGE and the original signature kept (a forgery)."""
    raw = pipeline.unwrap(text, prefix, pipeline.new_steps())
    assert isinstance(raw, bytes)
    protected, unprotected, payload, signature = cbor2.loads(raw).value
    claims = dict(cbor2.loads(payload))
    change(claims)
    forged = cbor2.dumps(
        cbor2.CBORTag(18, [protected, unprotected, cbor2.dumps(claims), signature])
    )
    return prefix + base45.encode(zlib.compress(forged, 9))


def vaccination(
    seed: int = VACCINATION_SEED,
    *,
    product: str = "BBIBP-CorV",
    who: Holder | None = None,
    issued_at: datetime = NOW - timedelta(days=10),
    **kw: Any,
) -> str:
    person = who or holder()
    payload = issue.vaccination_payload(
        person,
        product=product,
        dose=2,
        doses=2,
        on=date(2021, 7, 20),
        issuer="坊子区卫生健康局",
        uvci=issue.make_uvci("FZ", "2021000001"),
    )
    return issue.issue_vaccination(
        issuing_key(seed), SUBJECT_KEY, person, payload, issued_at=issued_at, **kw
    )
