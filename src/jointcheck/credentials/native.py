"""Our district's own credentials: the dynamic health code and the contraindication certificate.

Both travel as the EU DCC does (prefix, Base45, zlib, COSE_Sign1, CWT; ``pipeline``), under
prefixes of their own so that no DCC verifier mistakes them for a DCC (docs/credentials.md):

- ``JKM1:`` 健康码 health code (R4): CWT ``iat`` (6), ``exp`` (4, default 180 s after iat: a
  screenshot goes stale), ``cti`` (7, the credential id of the person's code, what revocation
  names), the subject claim (-70001, ``subject``) and under -70002
  ``{1: masked name, 2: colour green|yellow|red, 3: reason, 4: nonce (bstr), 5: paper (bool,
  optional)}``. The nonce is fresh for every rendering, so the same QR shown twice at one place
  is noticed (``replay.PresentationLedger``). A paper code (5: true) is printed for someone
  without a phone and lives for the deployment's paper lifetime (default 24 h); it is verified
  the same way and is exempt from the replay ledger. Signed by a key with role
  HEALTH_CODE_ISSUER.
- ``JJZ1:`` 禁忌证明 contraindication certificate (R3): ``iat``, ``nbf`` (5, start of
  valid-from), ``exp`` (end of valid-to), ``cti``, the subject claim and under -70003
  ``{1: masked name, 2: category, 3: valid-from, 4: valid-to (ISO dates)}``. The category is
  one of ``CATEGORIES``, never a diagnosis. Signed by a key with role MEDICAL_INSTITUTION; the
  hospital level in the result is the one the trust list gives that key, never one the
  certificate claims, so a level-1 clinic cannot promote itself.

Verification order and the ``steps`` it records: unprefix, base45, decompress, cose,
signature (kid known, role held, signature good), schema (claims well-formed), expiry (with
``ctx.clock_skew`` either side), key_usage (the role rule passed), then revocation by ``cti``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from jointcheck.credentials import pipeline
from jointcheck.credentials.keys import Role, TrustedKey
from jointcheck.credentials.model import (
    CodeColour,
    ContraindicationCertificate,
    CredentialType,
    HealthCode,
    Subject,
    Verification,
)
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.subject import SUBJECT_CLAIM, subject_from_claim

if TYPE_CHECKING:
    from jointcheck.credentials.verify import VerifierContext

HEALTH_CODE_PREFIX = "JKM1:"
CONTRAINDICATION_PREFIX = "JJZ1:"
HEALTH_CODE_CLAIM = -70002
CONTRAINDICATION_CLAIM = -70003
CLAIM_NBF = 5
CLAIM_CTI = 7
DEFAULT_HEALTH_CODE_TTL = timedelta(seconds=180)
DEFAULT_PAPER_CODE_TTL = timedelta(hours=24)
HEALTH_CODE_PAPER = 5  # key of the paper flag in the health code body
MAX_TEXT = 64  # masked names, reasons: short display strings
MAX_CTI_BYTES = 32
MIN_NONCE_BYTES = 8
MAX_NONCE_BYTES = 32
_MAX_DATE = 253_402_300_799  # 9999-12-31T23:59:59Z, the last instant datetime holds
# By value: a dict look-up, where ``CodeColour(value)`` runs the Enum machinery in Python.
_COLOURS = {colour.value: colour for colour in CodeColour}
_MAPS = (dict, Mapping)  # a tuple: dict is checked first, without the ABC look-up

# Contraindication categories (after the national COVID-19 vaccination technical guidance,
# 新冠病毒疫苗接种技术指南（第一版）, contraindications): a category says why vaccination is
# deferred or excluded in words a checkpoint may see; it is never a diagnosis (R6).
CATEGORIES: Mapping[str, tuple[str, str]] = {
    "allergy": ("对疫苗成分过敏或既往接种后严重过敏", "Allergy to a vaccine component or a severe past reaction"),
    "neurological": ("未控制的严重神经系统疾病", "Uncontrolled severe neurological condition"),
    "acute_illness": ("发热、急性疾病或慢性病急性发作期", "Fever, acute illness or acute phase of a chronic one"),
    "chronic_uncontrolled": ("未控制的严重慢性病", "Uncontrolled severe chronic disease"),
    "pregnancy": ("妊娠期", "Pregnancy"),
    "other_assessed": ("经医疗机构评估暂缓接种", "Deferred after assessment by the institution"),
}  # fmt: skip


def _cti(raw: Mapping[Any, Any]) -> str | None:
    cti = raw.get(CLAIM_CTI)
    if isinstance(cti, bytes) and 0 < len(cti) <= MAX_CTI_BYTES:
        return cti.hex()
    return None


def _text(claim: Mapping[Any, Any], key: int, *, allow_empty: bool = False) -> str | None:
    value = claim.get(key, "" if allow_empty else None)
    if isinstance(value, str) and len(value) <= MAX_TEXT and (allow_empty or value):
        return value
    return None


def _iso_date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _key_valid_at(key: TrustedKey, issued_at: datetime) -> bool:
    # As for a DSC (hcert spec 3.3.5): the credential must be issued within its key's validity.
    return (key.not_before is None or key.not_before <= issued_at) and (
        key.not_after is None or issued_at <= key.not_after
    )


def _time_reason(
    key: TrustedKey, claims: pipeline.Claims, not_before: datetime | None, ctx: VerifierContext
) -> Reason:
    assert claims.iat is not None  # noqa: S101 - checked by the schema step
    assert claims.exp is not None  # noqa: S101 - same
    if not _key_valid_at(key, claims.iat):
        return Reason.DSC_VALIDITY
    start = max(claims.iat, not_before) if not_before is not None else claims.iat
    if ctx.at + ctx.clock_skew < start:
        return Reason.NOT_YET_VALID
    if ctx.at - ctx.clock_skew > claims.exp:
        return Reason.EXPIRED
    return Reason.OK


def _finish(
    envelope: pipeline.Envelope,
    key: TrustedKey,
    kind: CredentialType,
    credential: HealthCode | ContraindicationCertificate,
    not_before: datetime | None,
    ctx: VerifierContext,
) -> Verification:
    steps = envelope.steps
    steps["schema"] = True
    reason = _time_reason(key, envelope.claims, not_before, ctx)
    if reason is not Reason.OK:
        return pipeline.failure(reason, steps, "expiry", kind)
    steps["expiry"] = True
    steps["key_usage"] = True
    if ctx.revocations.is_revoked("credential_id", credential.credential_id):
        return pipeline.failure(Reason.REVOKED, steps, None, kind)
    return Verification(Reason.OK, kind, dict(steps), credential)


def _open(
    text: str,
    prefix: str,
    kind: CredentialType,
    accept: Callable[[TrustedKey], bool],
    ctx: VerifierContext,
) -> tuple[pipeline.Envelope, TrustedKey] | Verification:
    envelope = pipeline.decode_envelope(text, prefix)
    if isinstance(envelope, Verification):
        return Verification(envelope.reason, kind, envelope.steps, detail=envelope.detail)
    reason, key = pipeline.verify_envelope_signature(envelope, ctx.keys, accept)
    if reason is not Reason.OK or key is None:
        return pipeline.failure(reason, envelope.steps, "signature", kind)
    return envelope, key


def _common(
    envelope: pipeline.Envelope, body_claim: int
) -> tuple[Subject, str, Mapping[Any, Any]] | None:
    raw = envelope.claims.raw
    subject = subject_from_claim(raw.get(SUBJECT_CLAIM))
    body = raw.get(body_claim)
    cti = _cti(raw)
    if subject is None or cti is None or not isinstance(body, _MAPS):
        return None
    if envelope.claims.iat is None or envelope.claims.exp is None:
        return None
    return subject, cti, body


def _is_health_code_issuer(key: TrustedKey) -> bool:
    return Role.HEALTH_CODE_ISSUER in key.roles


def _is_medical_institution(key: TrustedKey) -> bool:
    return Role.MEDICAL_INSTITUTION in key.roles and key.level is not None


def verify_health_code(text: str, ctx: VerifierContext) -> Verification:
    """Verify a ``JKM1:`` health code at ``ctx.at``."""
    kind = CredentialType.HEALTH_CODE
    opened = _open(text, HEALTH_CODE_PREFIX, kind, _is_health_code_issuer, ctx)
    if isinstance(opened, Verification):
        return opened
    envelope, key = opened
    code = _health_code(envelope, key)
    if code is None:
        return pipeline.failure(Reason.SCHEMA_INVALID, envelope.steps, "schema", kind)
    return _finish(envelope, key, kind, code, None, ctx)


def _health_code(envelope: pipeline.Envelope, key: TrustedKey) -> HealthCode | None:
    common = _common(envelope, HEALTH_CODE_CLAIM)
    if common is None:
        return None
    subject, cti, body = common
    masked, reason = _text(body, 1), _text(body, 3, allow_empty=True)
    colour, nonce, paper = body.get(2), body.get(4), body.get(HEALTH_CODE_PAPER, False)
    # Untrusted CBOR: an array or map here is unhashable, so test the type before the set.
    if masked is None or reason is None or not isinstance(colour, str) or colour not in _COLOURS:
        return None
    if not (isinstance(nonce, bytes) and MIN_NONCE_BYTES <= len(nonce) <= MAX_NONCE_BYTES):
        return None
    if not isinstance(paper, bool):
        return None
    assert envelope.claims.iat is not None  # noqa: S101 - checked by _common
    assert envelope.claims.exp is not None  # noqa: S101 - same
    return HealthCode(
        type=CredentialType.HEALTH_CODE,
        subject=subject,
        masked_name=masked,
        colour=_COLOURS[colour],
        reason=reason,
        issued_at=envelope.claims.iat,
        expires_at=envelope.claims.exp,
        nonce=nonce.hex(),
        credential_id=cti,
        kid=key.kid,
        paper=paper,
    )


def verify_contraindication(text: str, ctx: VerifierContext) -> Verification:
    """Verify a ``JJZ1:`` contraindication certificate at ``ctx.at``."""
    kind = CredentialType.CONTRAINDICATION
    opened = _open(text, CONTRAINDICATION_PREFIX, kind, _is_medical_institution, ctx)
    if isinstance(opened, Verification):
        return opened
    envelope, key = opened
    certificate = _contraindication(envelope, key)
    not_before = _not_before(envelope.claims.raw)
    if certificate is None or isinstance(not_before, Reason):
        return pipeline.failure(Reason.SCHEMA_INVALID, envelope.steps, "schema", kind)
    return _finish(envelope, key, kind, certificate, not_before, ctx)


def _not_before(raw: Mapping[Any, Any]) -> datetime | Reason | None:
    # RFC 8392 section 3.1.5: nbf is a NumericDate, an integer here as iat and exp are.
    value = raw.get(CLAIM_NBF)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_DATE:
        return Reason.SCHEMA_INVALID
    return datetime.fromtimestamp(value, UTC)


def _contraindication(
    envelope: pipeline.Envelope, key: TrustedKey
) -> ContraindicationCertificate | None:
    common = _common(envelope, CONTRAINDICATION_CLAIM)
    if common is None or key.level is None:
        return None
    subject, cti, body = common
    masked, category = _text(body, 1), body.get(2)
    valid_from, valid_to = _iso_date(body.get(3)), _iso_date(body.get(4))
    # Untrusted CBOR: an array or map here is unhashable, so test the type before the table.
    if not isinstance(category, str) or category not in CATEGORIES:
        return None
    if masked is None or valid_from is None or valid_to is None:
        return None
    if valid_to < valid_from:
        return None
    assert envelope.claims.iat is not None  # noqa: S101 - checked by _common
    return ContraindicationCertificate(
        type=CredentialType.CONTRAINDICATION,
        subject=subject,
        masked_name=masked,
        category=str(category),
        level=key.level,
        institution=key.issuer,
        valid_from=valid_from,
        valid_to=valid_to,
        issued_at=envelope.claims.iat,
        credential_id=cti,
        kid=key.kid,
    )
