"""SMART Health Cards (``shc:/``): verify a card offline, from its QR text to a typed card.

Steps, as ``jointcheck verify --json`` names them: ``unprefix`` (prefix and chunk header),
``numeric`` (digit pairs to JWS characters), ``decompress`` (raw DEFLATE, 64 KiB cap), ``jws``
(header and payload decoded), ``signature`` (issuer key found by kid and signature verified),
``schema`` (payload and FHIR bundle shape), ``expiry`` (``nbf`` and ``exp``). Revocation by
``rid`` comes last, with every step passed.

Trust (spec, "Determining keys associated with an issuer"): the key ring resolves the JWS
``kid`` to keys loaded from issuers' JWKS (``shc_keys.load_jwks``). A kid that no key has is
UNKNOWN_KID; a kid whose keys are not SHC issuer keys of the card's ``iss`` is
ISSUER_ROLE_MISSING: an issuer's key vouches only for the cards of that issuer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from jointcheck.credentials.keys import Role, TrustedKey
from jointcheck.credentials.model import CredentialType, Verification
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.shc_fhir import schema_problem, smart_health_card, to_datetime
from jointcheck.credentials.shc_fhir import vaccinations as read_vaccinations
from jointcheck.credentials.shc_jws import (
    CompactJws,
    inflate,
    load_json_object,
    parse_compact,
    verify_es256,
)
from jointcheck.credentials.shc_keys import RID_KIND
from jointcheck.credentials.shc_numeric import decode_numeric, reassemble_chunks, split_qr

if TYPE_CHECKING:
    from jointcheck.credentials.verify import VerifierContext

STEPS = ("unprefix", "numeric", "decompress", "jws", "signature", "schema", "expiry")
_TYPE = CredentialType.SHC_IMMUNIZATION

Steps = dict[str, bool | None]


def _fail(steps: Steps, step: str, reason: Reason, detail: str = "") -> Verification:
    steps[step] = False
    return Verification(reason, _TYPE, dict(steps), detail=detail)


def verify_shc(text: str, ctx: VerifierContext) -> Verification:
    """Verify the text of one ``shc:/`` QR code at ``ctx.at``.

    A chunk of the deprecated multi-QR form is SHC_CHUNKS_INCOMPLETE on its own: the
    scanner collects every chunk and calls ``verify_shc_chunks``.
    """
    steps: Steps = dict.fromkeys(STEPS)
    qr = split_qr(text)
    if isinstance(qr, Reason):
        return _fail(steps, "unprefix", qr)
    if qr.count != 1:
        return _fail(
            steps, "unprefix", Reason.SHC_CHUNKS_INCOMPLETE, f"chunk {qr.index} of {qr.count}"
        )
    steps["unprefix"] = True
    return _verify_digits(qr.digits, ctx, steps)


def verify_shc_chunks(lines: str | Iterable[str], ctx: VerifierContext) -> Verification:
    """Verify a card from all its scanned chunks, in any order (one per line in a text)."""
    steps: Steps = dict.fromkeys(STEPS)
    texts = lines.splitlines() if isinstance(lines, str) else lines
    digits = reassemble_chunks(line for line in texts if line.strip())
    if isinstance(digits, Reason):
        return _fail(steps, "unprefix", digits)
    steps["unprefix"] = True
    return _verify_digits(digits, ctx, steps)


def _decode(digits: str, steps: Steps) -> tuple[CompactJws, dict[str, Any]] | Verification:
    """Numeric -> JWS structure -> inflated payload -> JSON object."""
    jws_text = decode_numeric(digits)
    if isinstance(jws_text, Reason):
        return _fail(steps, "numeric", jws_text)
    steps["numeric"] = True
    jws = parse_compact(jws_text)
    if isinstance(jws, Reason):
        return _fail(steps, "jws", jws, "not header.payload.signature with zip DEF and a kid")
    raw = inflate(jws.deflated)
    if isinstance(raw, Reason):
        return _fail(steps, "decompress", raw)
    steps["decompress"] = True
    payload = load_json_object(raw)
    if payload is None:
        return _fail(steps, "jws", Reason.JWS_MALFORMED, "payload is not a JSON object")
    steps["jws"] = True
    return jws, payload


def _issuer_keys(
    jws: CompactJws, payload: dict[str, Any], ctx: VerifierContext
) -> list[TrustedKey] | Reason:
    keys = ctx.keys.keys_for(jws.kid.encode("utf-8"))
    if not keys:
        return Reason.UNKNOWN_KID
    iss = payload.get("iss")
    bound = [key for key in keys if Role.SHC_ISSUER in key.roles and key.issuer == iss]
    return bound or Reason.ISSUER_ROLE_MISSING


def _check_signature(
    jws: CompactJws, payload: dict[str, Any], ctx: VerifierContext, steps: Steps
) -> Verification | None:
    if jws.header.get("alg") != "ES256":
        return _fail(steps, "signature", Reason.UNSUPPORTED_ALGORITHM, "only ES256")
    keys = _issuer_keys(jws, payload, ctx)
    if isinstance(keys, Reason):
        return _fail(steps, "signature", keys, f"kid {jws.kid}")
    signer = verify_es256(jws, keys)
    if isinstance(signer, Reason):
        return _fail(steps, "signature", signer, f"kid {jws.kid}")
    steps["signature"] = True
    return None


def _check_time(payload: dict[str, Any], ctx: VerifierContext, steps: Steps) -> Verification | None:
    # nbf is the issuance date ("Health Cards are encoded as ... JWS"); exp is optional and,
    # when present, SHALL be checked ("Expiration of Health Cards"). The context's clock
    # skew allowance covers a checkpoint whose clock runs a little behind or ahead.
    if to_datetime(payload["nbf"]) > ctx.at + ctx.clock_skew:
        return _fail(steps, "expiry", Reason.NOT_YET_VALID)
    if "exp" in payload and to_datetime(payload["exp"]) < ctx.at - ctx.clock_skew:
        return _fail(steps, "expiry", Reason.EXPIRED)
    steps["expiry"] = True
    return None


def _revoked(kid: str, payload: dict[str, Any], ctx: VerifierContext) -> bool:
    # Spec "Revocation": the rid is in the vc claim and CRLs are per key, so the entry is
    # <kid>.<rid>; a CRL rid with a ".<timestamp>" suffix revokes cards whose nbf is earlier.
    rid = payload["vc"].get("rid")
    if rid is None:
        return False
    value = f"{kid}.{rid}"
    if ctx.revocations.is_revoked(RID_KIND, value):
        return True
    # Any list with ``rid_cutoff`` (shc_keys.RidCutoffs) knows timestamped rids. Looked up by
    # name: an isinstance check against a runtime Protocol costs more than the look-up itself.
    rid_cutoff = getattr(ctx.revocations, "rid_cutoff", None)
    if callable(rid_cutoff):
        cutoff = rid_cutoff(value)
        return cutoff is not None and payload["nbf"] < cutoff
    return False


def _verify_digits(digits: str, ctx: VerifierContext, steps: Steps) -> Verification:
    decoded = _decode(digits, steps)
    if isinstance(decoded, Verification):
        return decoded
    jws, payload = decoded
    failed = _check_signature(jws, payload, ctx, steps)
    if failed is not None:
        return failed
    doses = schema_problem(payload) or read_vaccinations(payload)
    if isinstance(doses, str):
        return _fail(steps, "schema", Reason.SCHEMA_INVALID, doses)
    steps["schema"] = True
    failed = _check_time(payload, ctx, steps)
    if failed is not None:
        return failed
    card = smart_health_card(payload, jws.kid, doses)
    if _revoked(jws.kid, payload, ctx):
        return Verification(Reason.REVOKED, _TYPE, dict(steps), card, detail=f"rid {card.rid}")
    return Verification(Reason.OK, _TYPE, dict(steps), card)
