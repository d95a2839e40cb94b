"""The holder's codes (R14): a resident's fresh health code and vaccination certificate.

A signed-in resident gets a ``JKM1:`` health code issued now by the server's health-code
issuer key, with the colour the health authority recorded, valid for the deployment's short
TTL (a screenshot goes stale) or, on the print page, the paper form of it valid for the
deployment's paper lifetime (``paper_code_ttl_hours``, default 24 h: issue 4); and an ``HC1:`` EU DCC for their latest recorded dose, issued
by the vaccination issuer key. Both carry the subject claim, so the checkpoint binds them
together. Issuing needs the resident's name, ID number and date of birth in clear: each
issuance is an audited read of their own record (R6), with the reason below.

A resident may also print the codes of the family members linked to them (registry/family.py):
those are read through the family service, which refuses a person not linked to the resident
(``FAMILY_NOT_LINKED``) and audits each read under the resident's account.

The UVCI and the health code's credential id are derived from the person's id under the
district subject key, so that a refreshed code keeps its identity (one revocation withdraws
it) while the QR reveals nothing of the record's id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID

from jointcheck.bootstrap import DistrictKeyFiles, Registry
from jointcheck.credentials import issue
from jointcheck.credentials.issue import Holder, IssuingKey
from jointcheck.credentials.keyfiles import read_signing_key, read_subject_key
from jointcheck.credentials.masking import mask_name
from jointcheck.credentials.model import CodeColour
from jointcheck.credentials.native import DEFAULT_PAPER_CODE_TTL
from jointcheck.credentials.qrimage import qr_image
from jointcheck.errors import InputError, KeyMaterialError
from jointcheck.registry.model import FamilyMember, PersonDetails, PersonHealth, VaccinationRecord
from jointcheck.security.idcard import DocumentType
from jointcheck.security.roles import Principal

READ_REASON = "holder page: the resident's own codes (R14)"
VACCINATION_ISSUER = "坊子区卫生健康局 Fangzi District Health Bureau"
UVCI_ISSUER = "JOINTCHECK"
_SERIAL_CHARS = 16


@dataclass(frozen=True, slots=True)
class ServerIssuers:
    """The server's issuing keys, read from the district key files."""

    health_code: IssuingKey
    vaccination: IssuingKey
    subject_key: bytes

    @classmethod
    def load(cls, files: DistrictKeyFiles) -> ServerIssuers | None:
        """The keys, or None when the district has none yet (``jointcheck demo up``)."""
        paths = (files.health_code_issuer, files.vaccination_issuer, files.subject)
        if not all(p.is_file() for p in paths):
            return None
        return cls(
            health_code=IssuingKey.of(read_signing_key(files.health_code_issuer)),
            vaccination=IssuingKey.of(read_signing_key(files.vaccination_issuer)),
            subject_key=read_subject_key(files.subject),
        )


@dataclass(frozen=True, slots=True)
class IssuedCode:
    text: str
    image: str  # an SVG data URI: the page shows it as an <img>, no markup inserted
    issued_at: datetime
    expires_at: datetime
    paper: bool = False


@dataclass(frozen=True, slots=True)
class HolderCard:
    """What the holder page shows; ``problem`` is an error code when a code cannot be made."""

    masked_name: str
    birth_year: int | None
    colour: CodeColour | None
    colour_reason: str
    health_code: IssuedCode | None
    vaccination: IssuedCode | None
    doses: tuple[VaccinationRecord, ...]
    problem: str | None = None


def svg_data_uri(text: str) -> str:
    svg = qr_image(text, "svg", scale=6)
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _derived(subject_key: bytes, purpose: str, person: PersonDetails) -> bytes:
    return hmac.new(subject_key, f"{purpose}:{person.id}".encode(), hashlib.sha256).digest()


def _holder(person: PersonDetails) -> Holder:
    if person.document_type != DocumentType.RESIDENT_ID_CARD or person.birth_date is None:
        raise InputError("codes are issued on a resident ID card", code="HOLDER_DOCUMENT")
    return Holder(person.document_number, person.name, person.birth_date.isoformat())


class HolderCodes:
    def __init__(
        self,
        registry: Registry,
        files: DistrictKeyFiles,
        ttl: timedelta,
        paper_ttl: timedelta = DEFAULT_PAPER_CODE_TTL,
    ) -> None:
        self._registry = registry
        self._files = files
        self._ttl = ttl
        self._paper_ttl = paper_ttl

    def _issuers(self) -> ServerIssuers:
        try:
            issuers = ServerIssuers.load(self._files)
        except KeyMaterialError as exc:
            raise InputError("the server's issuing keys are unreadable", code="NO_ISSUER") from exc
        if issuers is None:
            raise InputError("the server has no issuing keys yet", code="NO_ISSUER")
        return issuers

    def _read(
        self, principal: Principal, member: UUID | None = None
    ) -> tuple[PersonDetails, PersonHealth]:
        if member is not None and member != principal.person_id:
            return self._registry.family.read_member(principal, member)
        if principal.person_id is None:
            raise InputError("this account is not linked to a person", code="NOT_A_RESIDENT")
        persons = self._registry.persons
        details = persons.read_details(principal, principal.person_id, reason=READ_REASON)
        health = persons.health(principal, principal.person_id)
        if details is None or health is None:
            raise InputError("no person record for this account", code="NOT_A_RESIDENT")
        return details, health

    def _health_code(
        self,
        issuers: ServerIssuers,
        person: PersonDetails,
        health: PersonHealth,
        now: datetime,
        paper: bool = False,
    ) -> IssuedCode | None:
        status = health.code
        if status is None:
            return None
        ttl = self._paper_ttl if paper else self._ttl
        text = issue.issue_health_code(
            issuers.health_code,
            issuers.subject_key,
            _holder(person),
            colour=status.colour,
            reason=status.reason,
            issued_at=now,
            ttl=ttl,
            credential_id=_derived(issuers.subject_key, "health-code", person)[:16],
            paper=paper,
        )
        return IssuedCode(text, svg_data_uri(text), now, now + ttl, paper)

    def _vaccination(
        self, issuers: ServerIssuers, person: PersonDetails, health: PersonHealth, now: datetime
    ) -> IssuedCode | None:
        if not health.vaccinations:
            return None
        latest = max(health.vaccinations, key=lambda d: (d.vaccinated_on, d.dose_number))
        holder = _holder(person)
        serial = _derived(issuers.subject_key, f"uvci:{latest.dose_number}", person)
        uvci = issue.make_uvci(UVCI_ISSUER, serial.hex()[:_SERIAL_CHARS])
        payload = issue.vaccination_payload(
            holder,
            product=latest.product,
            dose=latest.dose_number,
            doses=latest.series_doses,
            on=latest.vaccinated_on,
            issuer=VACCINATION_ISSUER,
            uvci=uvci,
        )
        text = issue.issue_vaccination(
            issuers.vaccination, issuers.subject_key, holder, payload, issued_at=now
        )
        return IssuedCode(text, svg_data_uri(text), now, now + issue.DEFAULT_DCC_VALIDITY)

    def family(self, principal: Principal) -> list[FamilyMember]:
        """The resident's linked family members, masked (the holder page's list)."""
        return self._registry.family.members(principal)

    def card(
        self,
        principal: Principal,
        now: datetime,
        member: UUID | None = None,
        *,
        paper: bool = False,
    ) -> HolderCard:
        """The holder page's content: both codes, issued now; PAPER for the print page's paper
        health code; ``member`` for a linked family member's (FamilyNotLinked when that person
        is not linked to the resident)."""
        details, health = self._read(principal, member)
        birth_year = details.birth_date.year if details.birth_date else None
        base = HolderCard(
            masked_name=mask_name(details.name),
            birth_year=birth_year,
            colour=health.code.colour if health.code else None,
            colour_reason=health.code.reason if health.code else "",
            health_code=None,
            vaccination=None,
            doses=tuple(sorted(health.vaccinations, key=lambda d: d.dose_number)),
        )
        try:
            issuers = self._issuers()
            return replace(
                base,
                health_code=self._health_code(issuers, details, health, now, paper),
                vaccination=self._vaccination(issuers, details, health, now),
            )
        except InputError as exc:
            return replace(base, problem=exc.code)

    def health_code(self, principal: Principal, now: datetime) -> IssuedCode | None:
        """A fresh health code alone (the page's refresh every minute)."""
        details, health = self._read(principal)
        return self._health_code(self._issuers(), details, health, now)
