"""The signed bundle a checkpoint device decides on: trust list + revocation list + pack.

One document, signed by the district root key (ECDSA P-256, SHA-256) over the canonical JSON
of its body, versioned by a counter the server increases with every change. A device pins the
root key at enrollment, refuses a bundle that is forged or older than the one it holds, and,
when its bundle is older than the pack's limit, keeps working but shows and records that it is
stale (issue 4, the entrance).

The trust list and revocation list travel as the documents their own modules sign and read;
the bundle only adds the outer signature, the version and the age limit. After the district
rotated its root key, the envelope also carries the chain of endorsements from the earlier
keys to the signing one (``endorsements``, see ``rotation``): outside the signed body, since
each link is signed by the key it succeeds and a terminal verifies them one by one.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from jointcheck.errors import TrustListError

FORMAT = "jointcheck-bundle/1"
DEFAULT_MAX_AGE = timedelta(hours=24)
FINGERPRINT_DIGITS = 64
FINGERPRINT_GROUP = 4


@dataclass(frozen=True, slots=True)
class Bundle:
    """An accepted bundle. ``pack`` is the policy pack's text (YAML), as the district wrote it."""

    version: int
    issued_at: datetime
    max_age: timedelta
    trust_list: str
    revocations: str
    pack: str
    pack_id: str
    pack_version: str
    root_kid: str

    def is_stale(self, at: datetime) -> bool:
        return at - self.issued_at > self.max_age

    def body(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "issued_at": self.issued_at.astimezone(UTC).isoformat(),
            "max_age_seconds": int(self.max_age.total_seconds()),
            "trust_list": self.trust_list,
            "revocations": self.revocations,
            "pack": self.pack,
            "pack_id": self.pack_id,
            "pack_version": self.pack_version,
        }


def _spki_digest(public_key: ec.EllipticCurvePublicKey) -> bytes:
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).digest()


def root_kid(public_key: ec.EllipticCurvePublicKey) -> str:
    """First 8 bytes of SHA-256 of the DER SubjectPublicKeyInfo, hex: the pinned key's id."""
    return _spki_digest(public_key)[:8].hex()


def root_fingerprint(public_key: ec.EllipticCurvePublicKey) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo in groups of four hex digits, ``3F2A:91C0:...``.

    What enrollment shows the operator and ``jointcheck checkpoint --root-key`` takes: the
    whole digest, so no key made to collide with a short prefix can pass for the root key.
    """
    return _grouped(_spki_digest(public_key).hex().upper())


def _grouped(digits: str) -> str:
    step = FINGERPRINT_GROUP
    return ":".join(digits[i : i + step] for i in range(0, len(digits), step))


def parse_fingerprint(text: str) -> str:
    """TEXT as a root key fingerprint in the grouped form, or ``ROOT_PIN_INVALID``.

    Case, an optional ``SHA256:`` prefix and the separators (``:``, ``-``, spaces) do not
    matter: all 64 hex digits of the SHA-256 do.
    """
    raw = text.strip()
    if raw[:7].upper() == "SHA256:":
        raw = raw[7:]
    digits = "".join(c for c in raw if c not in ":-" and not c.isspace()).upper()
    if len(digits) != FINGERPRINT_DIGITS or any(c not in "0123456789ABCDEF" for c in digits):
        raise TrustListError(
            "a root key fingerprint is the 64 hex digits of SHA-256 (as shown at enrollment)",
            code="ROOT_PIN_INVALID",
        )
    return _grouped(digits)


def pem_public_key(pem: str | bytes) -> ec.EllipticCurvePublicKey:
    """The ECDSA public key in PEM text, or ``ROOT_PIN_INVALID``."""
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise TrustListError("not a PEM public key", code="ROOT_PIN_INVALID") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise TrustListError("the district root key is ECDSA P-256", code="ROOT_PIN_INVALID")
    return key


def canonical(body: dict[str, Any]) -> bytes:
    """The signed bytes: sorted keys, no insignificant whitespace, UTF-8."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign_bundle(
    bundle: Bundle,
    root_key: ec.EllipticCurvePrivateKey,
    endorsements: Sequence[dict[str, Any]] = (),
) -> bytes:
    """The bundle document, signed by the district root key, with the key's ENDORSEMENTS."""
    body = bundle.body()
    signature = root_key.sign(canonical(body), ec.ECDSA(hashes.SHA256()))
    envelope: dict[str, Any] = {
        "format": FORMAT,
        "kid": root_kid(root_key.public_key()),
        "body": body,
        "signature": base64.b64encode(signature).decode("ascii"),
    }
    if endorsements:
        envelope["endorsements"] = list(endorsements)
    return json.dumps(envelope, ensure_ascii=False).encode()


def bundle_signer(document: bytes) -> tuple[str, object]:
    """The kid that DOCUMENT says signed it and the endorsements it carries (unverified)."""
    _, _, kid = _parse(document)  # BUNDLE_FORGED when it is no bundle at all
    return kid, json.loads(document).get("endorsements", [])


def _forged(detail: str) -> TrustListError:
    return TrustListError(f"bundle refused: {detail}", code="BUNDLE_FORGED")


def _parse(document: bytes) -> tuple[dict[str, Any], bytes, str]:
    try:
        envelope = json.loads(document)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _forged("not JSON") from exc
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
        raise _forged("unknown format")
    body, signature, kid = envelope.get("body"), envelope.get("signature"), envelope.get("kid")
    if not (isinstance(body, dict) and isinstance(signature, str) and isinstance(kid, str)):
        raise _forged("missing body, kid or signature")
    try:
        raw = base64.b64decode(signature, validate=True)
    except ValueError as exc:
        raise _forged("signature is not base64") from exc
    return body, raw, kid


def _from_body(body: dict[str, Any], kid: str) -> Bundle:
    try:
        issued_at = datetime.fromisoformat(body["issued_at"])
        bundle = Bundle(
            version=int(body["version"]),
            issued_at=issued_at,
            max_age=timedelta(seconds=int(body["max_age_seconds"])),
            trust_list=str(body["trust_list"]),
            revocations=str(body["revocations"]),
            pack=str(body["pack"]),
            pack_id=str(body["pack_id"]),
            pack_version=str(body["pack_version"]),
            root_kid=kid,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise _forged("body fields missing or malformed") from exc
    if issued_at.tzinfo is None:
        raise _forged("issued_at has no time zone")
    return bundle


def accept_bundle(
    document: bytes, root_public_key: ec.EllipticCurvePublicKey, current_version: int | None
) -> Bundle:
    """The bundle in DOCUMENT if the pinned root key signed it and it is not older.

    A bundle naming another signing key is refused with BUNDLE_UNTRUSTED, one whose signature
    does not verify with BUNDLE_FORGED. The same version again is accepted (a refresh that
    found nothing new); a lower version is refused with BUNDLE_OUTDATED, so a replayed old
    bundle cannot roll a device back.
    """
    body, signature, kid = _parse(document)
    if kid != root_kid(root_public_key):
        # Another root key (a server that switched keys, or one that is not the district's):
        # its own code, so the entrance can say the bundle is untrusted rather than damaged.
        raise TrustListError(
            f"bundle signed by key {kid}, not by the pinned district root key",
            code="BUNDLE_UNTRUSTED",
        )
    try:
        root_public_key.verify(signature, canonical(body), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise _forged("bad signature") from exc
    bundle = _from_body(body, kid)
    if current_version is not None and bundle.version < current_version:
        raise TrustListError(
            f"bundle version {bundle.version} is older than {current_version} in use",
            code="BUNDLE_OUTDATED",
        )
    return bundle
