"""Health records: the health-code colour (changed by the health authority only, each change
audited) and vaccination and contraindication records (R3, R4)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from uuid import UUID, uuid4

from jointcheck.credentials.model import CodeColour
from jointcheck.errors import InputError
from jointcheck.registry.code_change import check_change
from jointcheck.registry.model import (
    ContraindicationLevel,
    ContraindicationRecord,
    HealthCodeStatus,
    SealedPerson,
    VaccinationRecord,
)
from jointcheck.registry.ports import RegistryUnitOfWork
from jointcheck.security.audit import Auditor, utc_now
from jointcheck.security.ports import AuditAction
from jointcheck.security.roles import (
    AccessDenied,
    PersonRef,
    Principal,
    can_access,
    may_change_health_code,
    may_record_vaccination,
)

MAX_DOSES = 9
MIN_INSTITUTION_GRADE = 2  # R3: a level-2-or-higher medical institution


@cache
def vaccine_products() -> frozenset[str]:
    """Product ids of the EU DCC value set vaccines-covid-19-names (shipped with credentials)."""
    source = (
        resources.files("jointcheck.credentials") / "data/valuesets/vaccine-medicinal-product.json"
    )
    return frozenset(json.loads(source.read_text(encoding="utf-8"))["valueSetValues"])


@dataclass(frozen=True, slots=True)
class NewDose:
    dose_number: int
    series_doses: int
    product: str
    vaccinated_on: date
    site: str


@dataclass(frozen=True, slots=True)
class NewContraindication:
    category: str
    level: ContraindicationLevel
    institution: str
    institution_grade: int
    valid_from: date
    valid_to: date | None = None


def check_dose(dose: NewDose, today: date) -> None:
    if dose.product not in vaccine_products():
        raise InputError(f"unknown vaccine product {dose.product!r}", code="VACCINE_PRODUCT")
    if not 1 <= dose.dose_number <= MAX_DOSES or not 1 <= dose.series_doses <= MAX_DOSES:
        raise InputError("dose and series numbers run from 1 to 9", code="VACCINE_DOSE")
    if dose.vaccinated_on > today:
        raise InputError("a dose cannot be given in the future", code="VACCINE_DATE")


def check_contraindication(form: NewContraindication) -> None:
    if form.institution_grade < MIN_INSTITUTION_GRADE:
        raise InputError(
            "a contraindication is certified by a level-2-or-higher institution (R3)",
            code="CONTRAINDICATION_INSTITUTION",
        )
    if form.valid_to is not None and form.valid_to < form.valid_from:
        raise InputError("valid_to precedes valid_from", code="CONTRAINDICATION_DATES")
    if form.level is ContraindicationLevel.TEMPORARY and form.valid_to is None:
        raise InputError(
            "a temporary contraindication has an end date", code="CONTRAINDICATION_DATES"
        )


class HealthRecordService:
    def __init__(
        self,
        uow: Callable[[], RegistryUnitOfWork],
        auditor: Auditor,
        *,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], UUID] = uuid4,
    ) -> None:
        self._uow = uow
        self._auditor = auditor
        self._clock = clock
        self._new_id = new_id

    def _person(
        self, uow: RegistryUnitOfWork, principal: Principal, person_id: UUID
    ) -> SealedPerson:
        sealed = uow.persons.get(person_id)
        if sealed is None or not can_access(principal, PersonRef(sealed.id, sealed.admin_code)):
            # Outside the scope looks the same as absent: no probing of other streets (R6).
            raise InputError(f"no person {person_id}", code="PERSON_NOT_FOUND")
        return sealed

    def change_code(
        self,
        principal: Principal,
        person_id: UUID,
        colour: CodeColour,
        *,
        reason: str,
        until: datetime | None = None,
        now: datetime | None = None,
    ) -> HealthCodeStatus:
        """Set a person's health-code colour; only the health authority may, and it is audited.

        NOW is the instant of the change (the request's clock at the edges); the reason is
        required and ``until``, when given, lies after it (``code_change.check_change``).
        """
        if not may_change_health_code(principal):
            raise AccessDenied("only the health authority changes a health-code colour")
        now = now or self._clock()
        checked = check_change(colour.value, reason, until, now)
        reason, until = checked.reason, checked.until
        with self._uow() as uow:
            sealed = self._person(uow, principal, person_id)
            before = uow.persons.health_code(person_id)
            status = HealthCodeStatus(
                person_id=person_id,
                admin_code=sealed.admin_code,
                colour=colour,
                reason=reason,
                since=now,
                until=until,
                changed_by=principal.account_id,
            )
            uow.persons.set_health_codes([status])
            uow.audit.add(
                self._auditor.entry(
                    principal,
                    AuditAction.HEALTH_CODE_CHANGE,
                    admin_code=sealed.admin_code,
                    subject_kind="person",
                    subject_id=str(person_id),
                    reason=reason,
                    detail={
                        "from": before.colour.value if before else None,
                        "to": colour.value,
                        "until": until.isoformat() if until else None,
                    },
                )
            )
            uow.commit()
        return status

    def record_dose(
        self, principal: Principal, person_id: UUID, dose: NewDose
    ) -> VaccinationRecord:
        if not may_record_vaccination(principal):
            raise AccessDenied("vaccinations are recorded by the health authority")
        check_dose(dose, self._clock().date())
        with self._uow() as uow:
            sealed = self._person(uow, principal, person_id)
            if any(v.dose_number == dose.dose_number for v in uow.persons.vaccinations(person_id)):
                raise InputError(f"dose {dose.dose_number} is recorded", code="VACCINE_DOSE_EXISTS")
            record = VaccinationRecord(
                person_id=person_id,
                admin_code=sealed.admin_code,
                dose_number=dose.dose_number,
                series_doses=dose.series_doses,
                product=dose.product,
                vaccinated_on=dose.vaccinated_on,
                site=dose.site.strip(),
            )
            uow.persons.add_vaccinations([record])
            uow.audit.add(
                self._auditor.entry(
                    principal,
                    AuditAction.VACCINATION_RECORD,
                    admin_code=sealed.admin_code,
                    subject_kind="person",
                    subject_id=str(person_id),
                    reason="vaccination recorded",
                    detail={"dose": dose.dose_number, "product": dose.product},
                )
            )
            uow.commit()
        return record

    def add_contraindication(
        self, principal: Principal, person_id: UUID, form: NewContraindication
    ) -> ContraindicationRecord:
        if not may_record_vaccination(principal):
            raise AccessDenied("contraindications are recorded by the health authority")
        check_contraindication(form)
        with self._uow() as uow:
            sealed = self._person(uow, principal, person_id)
            record = ContraindicationRecord(
                id=self._new_id(),
                person_id=person_id,
                admin_code=sealed.admin_code,
                category=form.category,
                level=form.level,
                institution=form.institution.strip(),
                institution_grade=form.institution_grade,
                valid_from=form.valid_from,
                valid_to=form.valid_to,
            )
            uow.persons.add_contraindications([record])
            uow.audit.add(
                self._auditor.entry(
                    principal,
                    AuditAction.CONTRAINDICATION_RECORD,
                    admin_code=sealed.admin_code,
                    subject_kind="person",
                    subject_id=str(person_id),
                    reason="contraindication recorded",
                    detail={"category": form.category, "level": form.level.value},
                )
            )
            uow.commit()
        return record
