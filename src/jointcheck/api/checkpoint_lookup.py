"""The ID-document path at the server (R14): a person without a smartphone is looked up by
their document, and the policy decides on their code colour, vaccination and contraindication
records as it would on their codes.

The look-up returns what the decision needs and nothing else: the masked document number
stands for the name on the screen, the keyed look-up hash for the subject (R6). The subject
also carries the holder's name transliterated as ICAO 9303 does (张三 -> ZHANG / SAN), as our
own credentials do, so that a foreign DCC or a SMART Health Card shown with the document binds
to it by name and birth date (issue 2, "Subject binding"); opening the name is audited.
"""

from __future__ import annotations

from datetime import date, datetime

from jointcheck.bootstrap import Registry
from jointcheck.credentials.masking import mask_id_number, mask_name
from jointcheck.credentials.model import CodeColour, Subject, VaccinationEntry
from jointcheck.errors import InputError
from jointcheck.policy import IdCardLookup
from jointcheck.registry.model import PersonHealth
from jointcheck.security.idcard import check_document
from jointcheck.security.roles import PersonRef, Principal, district_of, within
from jointcheck.store.checkpoint_models import district_day

LOOKUP_REASON = "ID document shown at an entrance: the name binds codes shown with it (R14)"
OVERRIDE_REASON = "override at an entrance: the name the refusal showed (issue 4)"


def _vaccinations(health: PersonHealth) -> tuple[VaccinationEntry, ...]:
    return tuple(
        VaccinationEntry(
            tg="840539006",
            vp="J07BX03",
            mp=v.product,
            ma="",
            dn=v.dose_number,
            sd=v.series_doses,
            dt=v.vaccinated_on,
            co="CN",
            is_=v.site,
            ci="",
        )
        for v in sorted(health.vaccinations, key=lambda v: v.dose_number, reverse=True)
    )


def _contraindication_level(health: PersonHealth, today: date) -> int | None:
    grades = [
        c.institution_grade
        for c in health.contraindications
        if c.valid_from <= today and (c.valid_to is None or today <= c.valid_to)
    ]
    return max(grades) if grades else None


def lookup_id_document(
    registry: Registry, principal: Principal, document_type: str, number: str, now: datetime
) -> IdCardLookup | None:
    """What the registry knows of the document's holder, or None when it knows no one."""
    today = district_day(now)
    check = check_document(document_type, number, today)
    if not check.ok:
        raise InputError("the document number is not valid", code="ID_NUMBER_INVALID")
    holder = registry.persons.holder_by_document(
        principal, document_type, check.number, reason=LOOKUP_REASON
    )
    if holder is None:
        return None
    health = holder.health
    colour = health.code.colour if health.code is not None else None
    dob = check.birth_date.isoformat() if check.birth_date else str(health.birth_year or "")
    id_hash = registry.cipher.lookup_hash(document_type, check.number).hex()
    return IdCardLookup(
        subject=Subject(dob=dob, fnt=holder.fnt, gnt=holder.gnt, id_hash=id_hash),
        masked_name=mask_id_number(check.number),
        looked_up_at=now,
        colour=CodeColour(colour) if colour is not None else None,
        vaccinations=_vaccinations(health),
        contraindication_level=_contraindication_level(health, today),
    )


def masked_name_by_subject(registry: Registry, principal: Principal, subject_hash: str) -> str:
    """The masked name of the district's person a health code's keyed subject hash names, for
    an override answered by a server process other than the one that decided the refusal
    (``ShownNames`` is per process); "" for no one of the device's district. Opening the name
    is an audited masked read."""
    try:
        lookup = bytes.fromhex(subject_hash)
    except ValueError:
        return ""
    with registry.uow() as uow:
        sealed = uow.persons.find_by_lookup(lookup)
        if sealed is None or not within(sealed.admin_code, district_of(principal.scope_code)):
            return ""
        ref = PersonRef(sealed.id, sealed.admin_code)
        registry.auditor.personal_data_read(
            uow.audit, principal, ref, fields=("name",), reason=OVERRIDE_REASON, masked=True
        )
        name = registry.cipher.open(
            sealed.name, table="persons", column="name", row_id=str(sealed.id)
        )
        uow.commit()
    return mask_name(name)
