"""Issuance for our district's authorities (issue 2: issuance): the QR text and its image.

- ``issue_health_code``: ``JKM1:`` (``native``), signed by the health code issuer; with
  ``paper=True`` the paper form (issue 4), to be given a long TTL by the caller.
- ``issue_vaccination``: a plain EU DCC ``HC1:`` (schema 1.3.0, country CN, products from the
  value sets), so that one path verifies ours and foreign ones; ``fn``/``gn`` hold the name
  as written in Chinese and ``fnt``/``gnt`` its ICAO 9303 transliteration (``subject``). The
  subject claim rides beside ``-260`` as private claim -70001.
- ``issue_contraindication``: ``JJZ1:`` (``native``), signed by a medical institution.
- the QR image of any of them: ``qrimage.qr_image``.

Nothing here reads a clock or the environment: the instant of issue, the keys and the random
identifiers are parameters (``secrets`` only supplies defaults for the random ones).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric import rsa

from jointcheck.credentials import cose, pipeline, schema
from jointcheck.credentials.keyfiles import PrivateKey, kid_for_spki
from jointcheck.credentials.masking import mask_name
from jointcheck.credentials.model import CodeColour, Subject
from jointcheck.credentials.native import (
    CATEGORIES,
    CLAIM_CTI,
    CLAIM_NBF,
    CONTRAINDICATION_CLAIM,
    CONTRAINDICATION_PREFIX,
    DEFAULT_HEALTH_CODE_TTL,
    HEALTH_CODE_CLAIM,
    HEALTH_CODE_PAPER,
    HEALTH_CODE_PREFIX,
)
from jointcheck.credentials.subject import (
    SUBJECT_CLAIM,
    check_id_number,
    make_subject,
    split_chinese_name,
    subject_to_claim,
    transliterate,
)
from jointcheck.errors import InputError

DCC_PREFIX = "HC1:"
DCC_VERSION = "1.3.0"
COVID_19 = "840539006"  # disease-agent-targeted value set: COVID-19
COVID_19_VACCINES = "J07BX03"  # vaccine-prophylaxis value set: covid-19 vaccines (ATC)
# vaccine-medicinal-product -> vaccine-mah-manf (EU DCC value sets)
PRODUCTS: dict[str, str] = {
    "BBIBP-CorV": "ORG-100020693",  # China Sinopharm International Corp. - Beijing location
    "CoronaVac": "Sinovac-Biotech",
    "Convidecia": "ORG-100013793",  # CanSino Biologics
}
DEFAULT_DCC_VALIDITY = timedelta(days=365)
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
# UVCI check character (UVCI guidelines, annex 2: Luhn mod N); the code points in ASCII order.
_UVCI_ALPHABET = "/0123456789:ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CREDENTIAL_ID_BYTES = 16
NONCE_BYTES = 12


@dataclass(frozen=True, slots=True)
class IssuingKey:
    """An issuer's private key and the kid the trust list knows it by."""

    private_key: PrivateKey
    kid: bytes

    @classmethod
    def of(cls, private_key: PrivateKey, kid: bytes | None = None) -> IssuingKey:
        return cls(private_key, kid if kid is not None else kid_for_spki(private_key.public_key()))

    @property
    def alg(self) -> cose.Algorithm:
        if isinstance(self.private_key, rsa.RSAPrivateKey):
            return cose.Algorithm.PS256
        return cose.Algorithm.ES256


@dataclass(frozen=True, slots=True)
class Holder:
    """The person a credential is issued to, as the issuing authority knows them."""

    id_number: str
    name: str
    dob: str

    def subject(self, subject_key: bytes) -> Subject:
        return make_subject(subject_key, check_id_number(self.id_number), self.dob, self.name)


def _encode(claims: dict[int, Any], key: IssuingKey, prefix: str) -> str:
    return pipeline.encode_envelope(claims, key.private_key, key.kid, key.alg, prefix)


def issue_health_code(
    key: IssuingKey,
    subject_key: bytes,
    holder: Holder,
    *,
    colour: CodeColour,
    issued_at: datetime,
    reason: str = "",
    ttl: timedelta = DEFAULT_HEALTH_CODE_TTL,
    credential_id: bytes | None = None,
    nonce: bytes | None = None,
    paper: bool = False,
) -> str:
    """A ``JKM1:`` health code valid for TTL from ISSUED_AT.

    CREDENTIAL_ID names the person's code (the same across refreshes, so one revocation
    withdraws it); NONCE is fresh for every rendering (replay detection). PAPER marks the
    printed form, which the entrance does not put in its replay ledger.
    """
    claims: dict[int, Any] = {
        pipeline.CLAIM_ISS: "CN",
        pipeline.CLAIM_IAT: int(issued_at.timestamp()),
        pipeline.CLAIM_EXP: int((issued_at + ttl).timestamp()),
        CLAIM_CTI: credential_id or secrets.token_bytes(CREDENTIAL_ID_BYTES),
        SUBJECT_CLAIM: subject_to_claim(holder.subject(subject_key)),
        HEALTH_CODE_CLAIM: {
            1: mask_name(holder.name),
            2: colour.value,
            3: reason,
            4: nonce or secrets.token_bytes(NONCE_BYTES),
        },
    }
    if paper:
        claims[HEALTH_CODE_CLAIM][HEALTH_CODE_PAPER] = True
    return _encode(claims, key, HEALTH_CODE_PREFIX)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), LOCAL_ZONE).astimezone(UTC)


def issue_contraindication(
    key: IssuingKey,
    subject_key: bytes,
    holder: Holder,
    *,
    category: str,
    valid_from: date,
    valid_to: date,
    issued_at: datetime,
    credential_id: bytes | None = None,
) -> str:
    """A ``JJZ1:`` certificate valid from the start of VALID_FROM to the end of VALID_TO
    (days in the district's time zone, Asia/Shanghai)."""
    if category not in CATEGORIES:
        raise InputError(f"unknown category {category!r}; one of {', '.join(CATEGORIES)}")
    if valid_to < valid_from:
        raise InputError("valid-to is before valid-from")
    claims: dict[int, Any] = {
        pipeline.CLAIM_ISS: "CN",
        pipeline.CLAIM_IAT: int(issued_at.timestamp()),
        CLAIM_NBF: int(_local_midnight(valid_from).timestamp()),
        pipeline.CLAIM_EXP: int(_local_midnight(valid_to + timedelta(days=1)).timestamp()) - 1,
        CLAIM_CTI: credential_id or secrets.token_bytes(CREDENTIAL_ID_BYTES),
        SUBJECT_CLAIM: subject_to_claim(holder.subject(subject_key)),
        CONTRAINDICATION_CLAIM: {
            1: mask_name(holder.name),
            2: category,
            3: valid_from.isoformat(),
            4: valid_to.isoformat(),
        },
    }
    return _encode(claims, key, CONTRAINDICATION_PREFIX)


def uvci_check_character(body: str) -> str:
    """Luhn mod N check character over BODY (ISO/IEC 7812-1 generalised to N characters)."""
    n = len(_UVCI_ALPHABET)
    total, factor = 0, 2
    for ch in reversed(body):
        addend = factor * _UVCI_ALPHABET.index(ch)
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2  # noqa: PLR2004 - Luhn alternates 2 and 1
    return _UVCI_ALPHABET[(n - total % n) % n]


def make_uvci(issuer_code: str, serial: str) -> str:
    """``URN:UVCI:01:CN:<issuer>/<serial>#<check>`` (UVCI guidelines, annex 2, option 1)."""
    body = f"URN:UVCI:01:CN:{issuer_code}/{serial}".upper()
    if any(ch not in _UVCI_ALPHABET for ch in body):
        raise InputError("UVCI issuer code and serial use only A-Z, 0-9 and '/'")
    return f"{body}#{uvci_check_character(body)}"


def vaccination_payload(
    holder: Holder, *, product: str, dose: int, doses: int, on: date, issuer: str, uvci: str
) -> dict[str, Any]:
    """The ``-260/1`` payload: schema 1.3.0, checked before it is signed."""
    if product not in PRODUCTS:
        raise InputError(f"unknown product {product!r}; one of {', '.join(PRODUCTS)}")
    name = holder.name.strip()
    family, given = name.partition(" ")[::2] if name.isascii() else split_chinese_name(name)
    fnt, gnt = transliterate(name)
    payload: dict[str, Any] = {
        "ver": DCC_VERSION,
        "nam": {"fn": family, "fnt": fnt, "gn": given, "gnt": gnt},
        "dob": holder.dob,
        "v": [
            {
                "tg": COVID_19,
                "vp": COVID_19_VACCINES,
                "mp": product,
                "ma": PRODUCTS[product],
                "dn": dose,
                "sd": doses,
                "dt": on.isoformat(),
                "co": "CN",
                "is": issuer,
                "ci": uvci,
            }
        ],
    }
    if not schema.validate(payload):
        raise InputError("the vaccination certificate would not match DCC schema 1.3.0")
    return payload


def issue_vaccination(
    key: IssuingKey,
    subject_key: bytes,
    holder: Holder,
    payload: dict[str, Any],
    *,
    issued_at: datetime,
    validity: timedelta = DEFAULT_DCC_VALIDITY,
) -> str:
    """An ``HC1:`` EU DCC with PAYLOAD (``vaccination_payload``) and our subject claim."""
    claims: dict[int, Any] = {
        pipeline.CLAIM_ISS: "CN",
        pipeline.CLAIM_IAT: int(issued_at.timestamp()),
        pipeline.CLAIM_EXP: int((issued_at + validity).timestamp()),
        pipeline.CLAIM_HCERT: {1: payload},
        SUBJECT_CLAIM: subject_to_claim(holder.subject(subject_key)),
    }
    return _encode(claims, key, DCC_PREFIX)
