"""The district trust list: which issuer keys a verifier trusts, for what (issue 2: trust).

Format (docs/credentials.md, "Trust list"): a JSON document

    {"format": "jointcheck-trust-list", "payload": {...}, "alg": "ES256", "signature": "..."}

whose ``signature`` is a detached ES256 signature (raw r||s, base64url) by the district root
key over the canonical JSON of ``payload``: keys sorted, no whitespace, UTF-8, no floats.
Canonical JSON keeps the document readable for operators and diffable between versions; the
signature covers the parsed value, so formatting of the file does not matter.

``payload`` = ``{"version": int, "issued_at": ISO 8601 UTC, "district": str, "issuers": [...]}``
and each issuer ``{"kid": base64, "spki" | "certificate": base64 DER, "roles": [...],
"issuer": name, "level": int (medical institutions), "not_before"/"not_after": ISO 8601}``.

The version only grows: a verifier refuses a list whose version is not above the one in use
(TRUST_LIST_OUTDATED), so an attacker cannot roll a checkpoint back to a list that still
trusted a withdrawn key. A list the root key did not sign is TRUST_LIST_FORGED.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from jointcheck.credentials.keyfiles import kid_for_certificate
from jointcheck.credentials.keys import PublicKey, Role, TrustedKey
from jointcheck.credentials.reasons import Reason
from jointcheck.errors import TrustListError

FORMAT = "jointcheck-trust-list"
_P256_COORD = 32


def canonical_json(value: object) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the bytes that a root signature covers."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise TrustListError(f"{what} must be a base64 string")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_")
    except (binascii.Error, ValueError) as exc:
        raise TrustListError(f"{what} is not base64") from exc


def sign_es256(private_key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """ES256 signature in the raw r||s form of RFC 7518 3.4 (as COSE and JWS use)."""
    r, s = decode_dss_signature(private_key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(_P256_COORD, "big") + s.to_bytes(_P256_COORD, "big")


def verify_es256(public_key: PublicKey, data: bytes | memoryview, signature: bytes) -> bool:
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or len(signature) != 2 * _P256_COORD:
        return False
    der = encode_dss_signature(
        int.from_bytes(signature[:_P256_COORD], "big"),
        int.from_bytes(signature[_P256_COORD:], "big"),
    )
    try:
        public_key.verify(der, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True, slots=True)
class TrustList:
    """A verified trust list: a ``KeyRing`` with O(1) look-up by kid."""

    version: int
    issued_at: datetime | None
    district: str
    keys: tuple[TrustedKey, ...]
    _by_kid: dict[bytes, list[TrustedKey]] = field(repr=False, compare=False)

    @classmethod
    def of(
        cls,
        keys: Iterable[TrustedKey],
        *,
        version: int = 0,
        issued_at: datetime | None = None,
        district: str = "",
    ) -> TrustList:
        """A trust list from keys already trusted (``jointcheck verify --dsc``, tests)."""
        keys = tuple(keys)
        by_kid: dict[bytes, list[TrustedKey]] = {}
        for key in keys:
            by_kid.setdefault(key.kid, []).append(key)
        return cls(version, issued_at, district, keys, by_kid)

    def keys_for(self, kid: bytes) -> list[TrustedKey]:
        return self._by_kid.get(kid, [])


# --- issuer entries (the payload) --------------------------------------------------------


def _parse_time(value: object, what: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TrustListError(f"{what} must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise TrustListError(f"{what} is not ISO 8601: {value!r}") from exc
    if parsed.tzinfo is None:
        raise TrustListError(f"{what} must carry a time zone (UTC): {value!r}")
    return parsed


def _parse_roles(value: object, where: str) -> frozenset[Role]:
    if not isinstance(value, list) or not value:
        raise TrustListError(f"{where}: roles must be a non-empty list")
    try:
        return frozenset(Role(r) for r in value)
    except ValueError as exc:
        raise TrustListError(f"{where}: unknown role in {value!r}") from exc


def _parse_public_key(
    entry: Mapping[str, Any], where: str
) -> tuple[PublicKey, x509.Certificate | None]:
    cert: x509.Certificate | None = None
    key: object
    try:
        if "certificate" in entry:
            cert = x509.load_der_x509_certificate(unb64(entry["certificate"], where))
            key = cert.public_key()
        else:
            key = serialization.load_der_public_key(unb64(entry.get("spki"), where))
    except ValueError as exc:
        raise TrustListError(f"{where}: public key or certificate is not valid DER") from exc
    if not isinstance(key, PublicKey):
        raise TrustListError(f"{where}: only EC and RSA keys are supported")
    return key, cert


def entry_to_key(entry: object, index: int) -> TrustedKey:
    """One payload issuer entry as the pipeline sees it."""
    where = f"issuers[{index}]"
    if not isinstance(entry, dict):
        raise TrustListError(f"{where} must be an object")
    public_key, cert = _parse_public_key(entry, where)
    roles = _parse_roles(entry.get("roles"), where)
    level = entry.get("level")
    if Role.MEDICAL_INSTITUTION in roles and not (isinstance(level, int) and 1 <= level <= 3):  # noqa: PLR2004 - hospital levels 1..3
        raise TrustListError(f"{where}: a medical institution needs a level 1, 2 or 3")
    if level is not None and not isinstance(level, int):
        raise TrustListError(f"{where}: level must be an integer")
    issuer = entry.get("issuer", "")
    if not isinstance(issuer, str):
        raise TrustListError(f"{where}: issuer must be a string")
    return TrustedKey(
        kid=unb64(entry.get("kid"), f"{where}.kid"),
        public_key=public_key,
        roles=roles,
        issuer=issuer,
        not_before=_parse_time(entry.get("not_before"), f"{where}.not_before"),
        not_after=_parse_time(entry.get("not_after"), f"{where}.not_after"),
        certificate=cert,
        level=level,
    )


def trust_list_from_payload(payload: object) -> TrustList:
    if not isinstance(payload, dict):
        raise TrustListError("trust list payload must be an object")
    version = payload.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise TrustListError("trust list version must be a non-negative integer")
    issuers = payload.get("issuers", [])
    if not isinstance(issuers, list):
        raise TrustListError("issuers must be a list")
    district = payload.get("district", "")
    return TrustList.of(
        (entry_to_key(e, i) for i, e in enumerate(issuers)),
        version=version,
        issued_at=_parse_time(payload.get("issued_at"), "issued_at"),
        district=district if isinstance(district, str) else "",
    )


# --- signed documents ----------------------------------------------------------------------


def sign_trust_list(payload: Mapping[str, Any], root_key: ec.EllipticCurvePrivateKey) -> bytes:
    """The signed trust-list document for PAYLOAD (checked first: a bad entry is refused)."""
    trust_list_from_payload(dict(payload))
    signature = sign_es256(root_key, canonical_json(payload))
    document = {
        "format": FORMAT,
        "alg": "ES256",
        "payload": payload,
        "signature": base64.urlsafe_b64encode(signature).rstrip(b"=").decode("ascii"),
    }
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def signed_payload(document: bytes, root: PublicKey, *, what: str = "trust list") -> Any:  # noqa: ANN401 - JSON
    """The payload of a signed document if ROOT signed it, else TrustListError(FORGED)."""
    forged = Reason.TRUST_LIST_FORGED.value
    try:
        parsed = json.loads(document)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: [[[[...
        raise TrustListError(f"{what} is not JSON", code=forged) from exc
    if not isinstance(parsed, dict) or parsed.get("alg") != "ES256" or "payload" not in parsed:
        raise TrustListError(f"{what} is not a signed {FORMAT} document", code=forged)
    try:
        signature = unb64(parsed.get("signature"), "signature")
        data = canonical_json(parsed["payload"])
    except (TrustListError, ValueError, RecursionError) as exc:
        raise TrustListError(f"{what} signature is unreadable", code=forged) from exc
    if not verify_es256(root, data, signature):
        raise TrustListError(f"{what} is not signed by the pinned root key", code=forged)
    return parsed["payload"]


def open_trust_list(document: bytes, root: PublicKey, *, in_use: int | None = None) -> TrustList:
    """Verify and read a trust list for an operator command; faults are TrustListError.

    ``in_use`` is the version the verifier runs now: a list not newer is TRUST_LIST_OUTDATED.
    """
    trust_list = trust_list_from_payload(signed_payload(document, root))
    if in_use is not None and trust_list.version <= in_use:
        raise TrustListError(
            f"trust list version {trust_list.version} is not newer than {in_use} in use",
            code=Reason.TRUST_LIST_OUTDATED.value,
        )
    return trust_list


def load_trust_list(
    document: bytes, root: PublicKey, *, in_use: int | None = None
) -> TrustList | Reason:
    """Verify a trust list for a verifier: the list, or why it was refused (a value)."""
    try:
        return open_trust_list(document, root, in_use=in_use)
    except TrustListError as exc:
        if exc.code == Reason.TRUST_LIST_OUTDATED.value:
            return Reason.TRUST_LIST_OUTDATED
        # Signed by the root but unreadable is still not a list we can trust.
        return Reason.TRUST_LIST_FORGED


# --- working-file edits (``jointcheck trust ...``) -----------------------------------------


def new_payload(version: int, district: str, issued_at: datetime) -> dict[str, Any]:
    return {
        "version": version,
        "district": district,
        "issued_at": issued_at.isoformat(),
        "issuers": [],
    }


def issuer_entry(
    *,
    kid: bytes,
    roles: Iterable[Role],
    issuer: str,
    spki: bytes | None = None,
    certificate: bytes | None = None,
    level: int | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kid": b64(kid),
        "roles": sorted(r.value for r in roles),
        "issuer": issuer,
    }
    if certificate is not None:
        entry["certificate"] = b64(certificate)
    elif spki is not None:
        entry["spki"] = b64(spki)
    if level is not None:
        entry["level"] = level
    if not_before is not None:
        entry["not_before"] = not_before.isoformat()
    if not_after is not None:
        entry["not_after"] = not_after.isoformat()
    entry_to_key(entry, 0)
    return entry


def dsc_entry(certificate: x509.Certificate, issuer: str = "") -> dict[str, Any]:
    """A DCC signing certificate as a trust-list entry; kid per hcert spec A.1."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    name = issuer or certificate.subject.rfc4514_string()
    return issuer_entry(
        kid=kid_for_certificate(certificate), roles=[Role.DCC_SIGNER], issuer=name, certificate=der
    )


def add_issuer(payload: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """PAYLOAD with ENTRY added (an entry with the same kid and key is replaced)."""
    issuers = [e for e in payload.get("issuers", []) if not _same_key(e, entry)]
    return {**payload, "issuers": [*issuers, entry]}


def remove_issuer(payload: dict[str, Any], kid: bytes) -> tuple[dict[str, Any], int]:
    """PAYLOAD without the entries of KID, and how many were removed."""
    issuers = payload.get("issuers", [])
    kept = [e for e in issuers if e.get("kid") != b64(kid)]
    return {**payload, "issuers": kept}, len(issuers) - len(kept)


def _same_key(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a.get("kid") == b.get("kid") and (a.get("spki"), a.get("certificate")) == (
        b.get("spki"),
        b.get("certificate"),
    )
