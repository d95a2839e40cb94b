"""EU Digital COVID Certificate (``HC1:``), per the hcert spec (../shared/specs) and the DCC
schema; the one path for foreign DCCs and for the vaccination certificates our district issues
(country ``CN``).

After the shared transport steps (``pipeline``) comes the signature; nothing in the payload
is processed before it verifies (hcert spec 6.3). Then every content check runs and is
recorded in ``steps``, so that ``jointcheck verify --json`` and the conformance test see each
one on its own; the reason of a failed verification is the first failure in this order:

1. ``signature``: a key with the kid whose role allows DCCs (DCC_SIGNER, VACCINATION_ISSUER)
   verifies the signature (hcert spec 3.3.2-3.3.3, A.1);
2. ``schema``: ``-260/1`` validates against the combined schema of its own ``ver`` and holds
   exactly one of v/t/r (SCHEMA_INVALID);
3. ``key_usage``: the DSC's extended key usage allows the certificate type (hcert spec A.4;
   KEY_USAGE_MISMATCH); a key with only the VACCINATION_ISSUER role signs vaccinations only;
4. revocation: the UVCI hash (the DCC revocation design's UCI type, ``uvci_hash``) of each
   entry against ``ctx.revocations`` (REVOKED);
5. ``expiry``: DSC notBefore <= iat and exp <= DSC notAfter (hcert spec 3.3.5-3.3.6;
   DSC_VALIDITY), then iat <= at (NOT_YET_VALID) and at <= exp (EXPIRED), the last two with
   the context's clock skew.

The signature comes first because nothing in an unverified payload counts (hcert spec 6.3);
the issuer-side checks (schema, key usage, revocation) come before the clock, because a
refreshed code cannot cure them and the inspector must hear about them first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from jointcheck.credentials import dsc, pipeline, schema
from jointcheck.credentials.keys import Role, TrustedKey
from jointcheck.credentials.model import (
    CredentialType,
    DigitalCovidCertificate,
    RecoveryEntry,
    Subject,
    TestEntry,
    VaccinationEntry,
    Verification,
)
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.subject import district_subject

if TYPE_CHECKING:
    from jointcheck.credentials.verify import VerifierContext as Ctx

PREFIX = "HC1:"
HCERT_DCC_V1 = 1
_TYPES = {"v": CredentialType.DCC_VACCINATION, "t": CredentialType.DCC_TEST}
_TYPES["r"] = CredentialType.DCC_RECOVERY
_GROUPS = {credential_type: group for group, credential_type in _TYPES.items()}
_DCC_ROLES = frozenset({Role.DCC_SIGNER, Role.VACCINATION_ISSUER})

# DCC revocation design: list entries are the first 128 bits of a SHA-256.
REVOCATION_HASH_BYTES = 16
# isinstance against a tuple, not a ``dict | Mapping`` union built anew on every call.
_MAPS = (dict, Mapping)


def may_sign_dcc(key: TrustedKey) -> bool:
    return not _DCC_ROLES.isdisjoint(key.roles)


def check_key_usage(key: TrustedKey, credential_type: CredentialType) -> bool:
    """hcert spec A.4: the DSC's EKU (if it names DCC types) must allow this type."""
    if Role.DCC_SIGNER not in key.roles and credential_type is not CredentialType.DCC_VACCINATION:
        return False  # our district's vaccination issuer keys sign vaccinations only
    allowed = dsc.eku_types(key.certificate) if key.certificate is not None else None
    return allowed is None or credential_type in allowed


def dsc_bounds(key: TrustedKey) -> tuple[datetime | None, datetime | None]:
    if key.certificate is not None:
        return dsc.validity(key.certificate)
    return key.not_before, key.not_after


def check_expiry(
    claims: pipeline.Claims, key: TrustedKey, at: datetime, skew: timedelta = timedelta(0)
) -> Reason:
    """DSC notBefore <= iat <= at <= exp <= DSC notAfter (hcert spec 3.3.5-3.3.6).

    The skew widens only the comparisons with ``at``: iat, exp and the DSC are all the
    issuer's clock, the verifying device's clock may be off by a little.
    """
    if claims.iat is None or claims.exp is None:
        return Reason.CWT_MALFORMED
    not_before, not_after = dsc_bounds(key)
    if (not_before is not None and claims.iat < not_before) or (
        not_after is not None and claims.exp > not_after
    ):
        return Reason.DSC_VALIDITY
    if at < claims.iat - skew:
        return Reason.NOT_YET_VALID
    if at > claims.exp + skew:
        return Reason.EXPIRED
    return Reason.OK


def uvci_hash(uvci: str) -> str:
    """The revocation list entry of a UVCI: the DCC revocation design's UCI hash type, the
    first 128 bits of the SHA-256 of the UVCI as written in ``ci``, in hex."""
    return hashlib.sha256(uvci.encode("utf-8")).digest()[:REVOCATION_HASH_BYTES].hex()


def _dcc_payload(claims: pipeline.Claims) -> Mapping[Any, Any] | None:
    hcert = claims.raw.get(pipeline.CLAIM_HCERT)
    payload = hcert.get(HCERT_DCC_V1) if isinstance(hcert, _MAPS) else None
    if not isinstance(payload, _MAPS) or claims.iat is None or claims.exp is None:
        return None
    return payload


def schema_type(payload: Mapping[str, Any] | None) -> CredentialType | None:
    """The type of a payload that has exactly one of v/t/r and validates against the schema
    of its own ``ver``; None if it does not."""
    if payload is None:
        return None
    group = schema.exactly_one_group(payload)
    if group is None or not schema.validate(payload):
        return None
    return _TYPES[group]


def _is_revoked(entries: list[Mapping[str, Any]], ctx: Ctx) -> bool:
    # Loops rather than generator expressions on this path: each of those builds a generator
    # object per scan (docs/performance.md, "verify").
    is_revoked = ctx.revocations.is_revoked
    for entry in entries:  # noqa: SIM110 - no generator (above)
        if is_revoked("uvci", uvci_hash(entry["ci"])):
            return True
    return False


def _content_checks(
    envelope: pipeline.Envelope, view: Mapping[str, Any] | None, key: TrustedKey, ctx: Ctx
) -> tuple[CredentialType | None, list[Reason]]:
    """Run schema, key usage, revocation and expiry; record the steps; the reasons in order."""
    steps = envelope.steps
    credential_type = schema_type(view)
    steps["schema"] = credential_type is not None
    reasons = [Reason.OK if credential_type else Reason.SCHEMA_INVALID]
    if credential_type is not None and view is not None:  # the entries are schema-valid
        steps["key_usage"] = check_key_usage(key, credential_type)
        reasons.append(Reason.OK if steps["key_usage"] else Reason.KEY_USAGE_MISMATCH)
        revoked = _is_revoked(view[_GROUPS[credential_type]], ctx)
        reasons.append(Reason.REVOKED if revoked else Reason.OK)
    expiry = check_expiry(envelope.claims, key, ctx.at, ctx.clock_skew)
    steps["expiry"] = expiry is Reason.OK
    reasons.append(expiry)
    return credential_type, reasons


def verify_hcert(text: str, ctx: Ctx) -> Verification:
    """Verify an ``HC1:`` code at ``ctx.at`` against ``ctx.keys`` and ``ctx.revocations``."""
    envelope = pipeline.decode_envelope(text, PREFIX)
    if isinstance(envelope, Verification):
        return envelope
    steps = envelope.steps
    payload = _dcc_payload(envelope.claims)
    if payload is None:  # hcert spec 3.3.1: iat, exp and -260/1 are required
        return pipeline.failure(Reason.CWT_MALFORMED, steps, "cose")
    signature, key = pipeline.verify_envelope_signature(envelope, ctx.keys, may_sign_dcc)
    if signature is not Reason.OK or key is None:
        # hcert spec 6.3: nothing in the payload is processed before the signature verifies.
        return pipeline.failure(signature, steps, None)
    # The payload is already in the JSON data model (cbor_safe turns date-time tags into
    # text); members the schema does not know keep their CBOR form.
    view = payload if isinstance(payload, dict) else None
    credential_type, reasons = _content_checks(envelope, view, key, ctx)
    for reason in reasons:
        if reason is not Reason.OK:
            return Verification(reason, credential_type, steps)
    if view is None or credential_type is None:  # pragma: no cover - a schema failure above
        raise AssertionError("a verified DCC has a payload and a type")
    credential = _certificate(view, credential_type, envelope, key)
    if credential is None:  # a date that the schema only annotates (format) does not parse
        steps["schema"] = False
        return Verification(Reason.SCHEMA_INVALID, credential_type, steps)
    return Verification(Reason.OK, credential_type, steps, credential)


# The typed certificate. Dates are ``format`` annotations in the schema, so they are parsed
# here: ISO 8601 dates (a date-time's date part for ``dt``, as some issuers write one), and
# RFC 3339 date-times for a test's sample collection.


def _date(value: Any) -> date | None:  # noqa: ANN401 - schema-valid JSON
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _datetime(value: Any) -> datetime | None:  # noqa: ANN401 - schema-valid JSON
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _vaccination(entry: Mapping[str, Any]) -> VaccinationEntry | None:
    given = _date(entry["dt"])
    if given is None:
        return None
    return VaccinationEntry(
        tg=entry["tg"], vp=entry["vp"], mp=entry["mp"], ma=entry["ma"], dn=entry["dn"],
        sd=entry.get("sd"), dt=given, co=entry["co"], is_=entry["is"], ci=entry["ci"],
    )  # fmt: skip


def _test(entry: Mapping[str, Any]) -> TestEntry | None:
    collected = _datetime(entry["sc"])
    if collected is None:
        return None
    return TestEntry(
        tg=entry["tg"], tt=entry["tt"], sc=collected, tr=entry["tr"], co=entry["co"],
        ci=entry["ci"], nm=entry.get("nm"), ma=entry.get("ma"), tc=entry.get("tc"),
    )  # fmt: skip


def _recovery(entry: Mapping[str, Any]) -> RecoveryEntry | None:
    fr, df, du = _date(entry["fr"]), _date(entry["df"]), _date(entry["du"])
    if fr is None or df is None or du is None:
        return None
    return RecoveryEntry(tg=entry["tg"], fr=fr, df=df, du=du, co=entry["co"], ci=entry["ci"])


_ENTRY_PARSERS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "v": _vaccination,
    "t": _test,
    "r": _recovery,
}


def _certificate(
    view: Mapping[str, Any],
    credential_type: CredentialType,
    envelope: pipeline.Envelope,
    key: TrustedKey,
) -> DigitalCovidCertificate | None:
    group = _GROUPS[credential_type]
    parse = _ENTRY_PARSERS[group]
    parsed = tuple([parse(entry) for entry in view[group]])
    for entry in parsed:
        if entry is None:
            return None
    entries: dict[str, tuple[Any, ...]] = {"v": (), "t": (), "r": (), group: parsed}
    nam = view["nam"]
    claims = envelope.claims
    if claims.iat is None or claims.exp is None:  # pragma: no cover - checked by _dcc_payload
        return None
    # Our district's certificates also carry the subject claim (-70001, subject.py).
    subject = district_subject(
        Subject(dob=view["dob"], fnt=nam["fnt"], gnt=nam.get("gnt", "")),
        claims.raw,
        Role.VACCINATION_ISSUER in key.roles,
    )
    return DigitalCovidCertificate(
        type=credential_type,
        subject=subject,
        fn=nam.get("fn", ""),
        gn=nam.get("gn", ""),
        issuer_country=claims.iss,
        issued_at=claims.iat,
        expires_at=claims.exp,
        version=view["ver"],
        kid=key.kid,
        vaccinations=entries["v"],
        tests=entries["t"],
        recoveries=entries["r"],
        payload=view if isinstance(view, dict) else dict(view),
    )
