"""Issuer keys as the verifier sees them: what a trust list resolves a ``kid`` to.

The trust list (``trust.py``) is the signed document that carries these; the pipeline only
needs a ``KeyRing``: every key with a given kid (the hcert spec, A.1: kids may collide, so a
verifier tries each), and the revocation look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


class Role(StrEnum):
    """What a key may sign. A medical institution's role carries its hospital level."""

    HEALTH_CODE_ISSUER = "health_code_issuer"
    VACCINATION_ISSUER = "vaccination_issuer"
    MEDICAL_INSTITUTION = "medical_institution"
    DCC_SIGNER = "dcc_signer"
    SHC_ISSUER = "shc_issuer"


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """One trusted public key.

    ``certificate`` is the DSC for EU DCC signers (its validity and extended key usage are
    checked, hcert spec 3.3.5 and A.4); ``not_before``/``not_after`` bound the key otherwise.
    ``level`` is the hospital level of a medical institution (R3: level 2 or higher).
    ``issuer`` is the SMART Health Cards ``iss`` URL for SHC keys, else a display name.
    """

    kid: bytes
    public_key: PublicKey
    roles: frozenset[Role]
    issuer: str = ""
    not_before: datetime | None = None
    not_after: datetime | None = None
    certificate: x509.Certificate | None = field(default=None, compare=False)
    level: int | None = None


class KeyRing(Protocol):
    def keys_for(self, kid: bytes) -> list[TrustedKey]:
        """Every trusted key with this kid (possibly none)."""
        ...


class Revocations(Protocol):
    def is_revoked(self, kind: str, value: str) -> bool:
        """Whether an entry of ``kind`` (``uvci``, ``rid``, ``credential_id``) is revoked.

        For ``uvci`` the value is the UVCI hash as in the DCC revocation design; for ``rid``
        it is ``<kid>.<rid>`` (SMART Health Cards revoke per issuer key).
        """
        ...


class NoRevocations:
    """The empty revocation list."""

    def is_revoked(self, kind: str, value: str) -> bool:  # noqa: ARG002 - protocol shape
        return False
