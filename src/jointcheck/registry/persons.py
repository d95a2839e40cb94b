"""Persons: enrolment with a checked identity document, look-up by the keyed hash, and
reads of personal data that are always scoped and always audited (R6).

The service holds the field cipher; the store never does. A person's fields are sealed here
before they reach a repository and opened here only inside an audited read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID, uuid4

from jointcheck.credentials.masking import mask_id_number, mask_name, mask_phone
from jointcheck.credentials.model import CodeColour
from jointcheck.credentials.subject import transliterate
from jointcheck.errors import InputError
from jointcheck.registry.model import (
    GRID_CODE_LENGTH,
    DocumentHolder,
    PersonDetails,
    PersonHealth,
    PersonSummary,
    SealedPerson,
)
from jointcheck.registry.ports import RegistryUnitOfWork
from jointcheck.security.audit import Auditor, require_reason, utc_now
from jointcheck.security.idcard import DocumentType, IdCheck, IdReason, check_document
from jointcheck.security.pii import FieldCipher
from jointcheck.security.ports import AuditAction
from jointcheck.security.roles import (
    TREE_ROLES,
    AccessDenied,
    PersonalDataAccess,
    PersonRef,
    Principal,
    Role,
    can_access,
    district_of,
    may_enroll_persons,
    personal_data_access,
    within,
)

TABLE = "persons"
MAX_FIELD = 200
PHONE_DIGITS = range(5, 16)


@dataclass(frozen=True, slots=True)
class Enrollment:
    grid_code: str
    document_type: str
    document_number: str
    name: str
    phone: str = ""
    address: str = ""
    birth_date: date | None = None  # read from a resident ID card; given for other documents
    sex: str = ""


@dataclass(frozen=True, slots=True)
class Enrolled:
    """The outcome of an enrolment: ``reason`` OK with the masked person, or why not."""

    reason: str
    person: PersonSummary | None = None
    check: IdCheck | None = None


def seal_person(
    cipher: FieldCipher, person_id: UUID, form: Enrollment, check: IdCheck
) -> SealedPerson:
    """Seal every personal field, bound to (persons, column, person id)."""
    row = str(person_id)

    def seal(column: str, value: str) -> bytes:
        return cipher.seal(value, table=TABLE, column=column, row_id=row)

    birth = check.birth_date or form.birth_date
    sex = check.sex.value if check.sex is not None else form.sex
    return SealedPerson(
        id=person_id,
        admin_code=form.grid_code,
        document_type=check.document_type.value,
        id_lookup=cipher.lookup_hash(check.document_type.value, check.number),
        birth_year=birth.year if birth else None,
        document_number=seal("document_number", check.number),
        name=seal("name", form.name.strip()),
        phone=seal("phone", form.phone.strip()) if form.phone.strip() else None,
        address=seal("address", form.address.strip()) if form.address.strip() else None,
        birth_date=seal("birth_date", birth.isoformat()) if birth else None,
        sex=seal("sex", sex) if sex else None,
    )


def open_person(cipher: FieldCipher, sealed: SealedPerson) -> PersonDetails:
    row = str(sealed.id)

    def open_(column: str, value: bytes | None) -> str:
        return cipher.open(value, table=TABLE, column=column, row_id=row) if value else ""

    birth = open_("birth_date", sealed.birth_date)
    return PersonDetails(
        id=sealed.id,
        admin_code=sealed.admin_code,
        document_type=sealed.document_type,
        document_number=open_("document_number", sealed.document_number),
        name=open_("name", sealed.name),
        phone=open_("phone", sealed.phone),
        address=open_("address", sealed.address),
        birth_date=date.fromisoformat(birth) if birth else None,
        sex=open_("sex", sealed.sex),
    )


def mask_person(details: PersonDetails, birth_year: int | None) -> PersonSummary:
    return PersonSummary(
        id=details.id,
        admin_code=details.admin_code,
        document_type=details.document_type,
        masked_number=mask_id_number(details.document_number),
        masked_name=mask_name(details.name),
        masked_phone=mask_phone(details.phone),
        birth_year=birth_year,
    )


def check_enrollment(form: Enrollment, today: date) -> IdCheck:
    if len(form.grid_code) != GRID_CODE_LENGTH or not form.grid_code.isdigit():
        raise InputError("a person is enrolled in a grid (15 digits)", code="PERSON_GRID")
    if not form.name.strip() or any(len(v) > MAX_FIELD for v in (form.name, form.address)):
        raise InputError("a person needs a name; fields at most 200 characters", code="PERSON_NAME")
    phone = form.phone.strip().removeprefix("+")
    if phone and (not phone.isdigit() or len(phone) not in PHONE_DIGITS):
        raise InputError("a phone number has 5 to 15 digits", code="PERSON_PHONE")
    return check_document(form.document_type, form.document_number, today)


def document_kind(document_type: str) -> str:
    try:
        return DocumentType(document_type).value
    except ValueError as exc:
        raise InputError(
            f"unknown document type {document_type!r}", code="ID_DOCUMENT_TYPE"
        ) from exc


class PersonService:
    def __init__(
        self,
        uow: Callable[[], RegistryUnitOfWork],
        cipher: FieldCipher,
        auditor: Auditor,
        *,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], UUID] = uuid4,
    ) -> None:
        self._uow = uow
        self._cipher = cipher
        self._auditor = auditor
        self._clock = clock
        self._new_id = new_id

    def enroll(self, principal: Principal, form: Enrollment) -> Enrolled:
        """Enrol a person in a grid of the principal's scope; an invalid ID is an outcome."""
        if not may_enroll_persons(principal) or not can_access(principal, form.grid_code):
            raise AccessDenied("persons are enrolled by health, street or community staff")
        check = check_enrollment(form, self._clock().date())
        if not check.ok:
            return Enrolled(reason=check.reason.value, check=check)
        sealed = seal_person(self._cipher, self._new_id(), form, check)
        with self._uow() as uow:
            if uow.units.get(form.grid_code) is None:
                raise InputError(f"grid {form.grid_code} does not exist", code="PERSON_GRID")
            if uow.persons.find_by_lookup(sealed.id_lookup) is not None:
                return Enrolled(reason="PERSON_EXISTS", check=check)
            uow.persons.add_many([sealed])
            ref = PersonRef(sealed.id, sealed.admin_code)
            uow.audit.add(
                self._auditor.entry(
                    principal,
                    AuditAction.PERSON_ENROLL,
                    admin_code=ref.admin_code,
                    subject_kind="person",
                    subject_id=str(ref.id),
                    reason="enrolment",
                )
            )
            uow.commit()
        return Enrolled(
            reason=IdReason.OK.value,
            person=mask_person(open_person(self._cipher, sealed), sealed.birth_year),
            check=check,
        )

    def move(self, principal: Principal, person_id: UUID, grid_code: str, *, reason: str) -> bool:
        """Move a person to another grid (they moved house); both grids in the mover's scope.

        The sealed fields need no re-sealing: they are bound to the person's id, not the grid.
        """
        if not may_enroll_persons(principal) or not can_access(principal, grid_code):
            raise AccessDenied("persons are moved by health, street or community staff")
        reason = require_reason(reason)
        with self._uow() as uow:
            sealed = uow.persons.get(person_id)
            if sealed is None or not can_access(principal, PersonRef(sealed.id, sealed.admin_code)):
                return False
            target = uow.units.get(grid_code)
            if target is None or len(target.code) != GRID_CODE_LENGTH:
                raise InputError(f"grid {grid_code} does not exist", code="PERSON_GRID")
            uow.persons.move(person_id, grid_code)
            uow.audit.add(
                self._auditor.entry(
                    principal,
                    AuditAction.PERSON_MOVE,
                    admin_code=grid_code,
                    subject_kind="person",
                    subject_id=str(person_id),
                    reason=reason,
                    detail={"from": sealed.admin_code, "to": grid_code},
                )
            )
            uow.commit()
        return True

    def _visible(self, principal: Principal, sealed: SealedPerson | None) -> SealedPerson | None:
        if sealed is None:
            return None
        ref = PersonRef(sealed.id, sealed.admin_code)
        return (
            sealed if personal_data_access(principal, ref) is not PersonalDataAccess.NONE else None
        )

    def _summaries(
        self,
        uow: RegistryUnitOfWork,
        principal: Principal,
        people: Sequence[SealedPerson],
        reason: str,
    ) -> list[PersonSummary]:
        out = []
        for sealed in people:
            ref = PersonRef(sealed.id, sealed.admin_code)
            fields = ("name", "document_number", "phone")
            self._auditor.personal_data_read(
                uow.audit, principal, ref, fields=fields, reason=reason, masked=True
            )
            out.append(mask_person(open_person(self._cipher, sealed), sealed.birth_year))
        uow.commit()
        return out

    def find(
        self, principal: Principal, document_type: str, number: str, *, reason: str
    ) -> PersonSummary | None:
        """The masked person with this document, if the principal may see them (audited)."""
        reason = require_reason(reason)
        lookup = self._cipher.lookup_hash(document_kind(document_type), number)
        with self._uow() as uow:
            sealed = self._visible(principal, uow.persons.find_by_lookup(lookup))
            found = self._summaries(uow, principal, [sealed] if sealed else [], reason)
        return found[0] if found else None

    def summary(
        self, principal: Principal, person_id: UUID, *, reason: str
    ) -> PersonSummary | None:
        reason = require_reason(reason)
        with self._uow() as uow:
            sealed = self._visible(principal, uow.persons.get(person_id))
            found = self._summaries(uow, principal, [sealed] if sealed else [], reason)
        return found[0] if found else None

    def list(
        self,
        principal: Principal,
        *,
        admin_code: str | None = None,
        reason: str,
        limit: int = 100,
        offset: int = 0,
    ) -> list[PersonSummary]:
        """Masked persons of a subtree in the principal's scope; each one read is audited."""
        reason = require_reason(reason)
        scope = admin_code or principal.scope_code
        if principal.role not in TREE_ROLES or not can_access(principal, scope):
            return []
        with self._uow() as uow:
            people = uow.persons.list(scope_code=scope, limit=limit, offset=offset)
            return self._summaries(uow, principal, people, reason)

    def count(self, principal: Principal, *, admin_code: str | None = None) -> int:
        scope = admin_code or principal.scope_code
        if principal.role not in TREE_ROLES or not can_access(principal, scope):
            return 0
        with self._uow() as uow:
            return uow.persons.count(scope_code=scope)

    def read_details(
        self, principal: Principal, person_id: UUID, *, reason: str
    ) -> PersonDetails | None:
        """Decrypted personal data, for the roles that may see it, with the reason audited (R6).

        None when the person does not exist or lies outside the principal's scope; AccessDenied
        when the principal's role sees masked data only.
        """
        reason = require_reason(reason)
        with self._uow() as uow:
            sealed = uow.persons.get(person_id)
            if sealed is None:
                return None
            ref = PersonRef(sealed.id, sealed.admin_code)
            access = personal_data_access(principal, ref)
            if access is PersonalDataAccess.NONE:
                return None
            if access is not PersonalDataAccess.FULL:
                raise AccessDenied(f"{principal.role} sees masked personal data only")
            fields = ("name", "document_number", "phone", "address", "birth_date", "sex")
            self._auditor.personal_data_read(
                uow.audit, principal, ref, fields=fields, reason=reason
            )
            details = open_person(self._cipher, sealed)
            uow.commit()
        return details

    def health(self, principal: Principal, person_id: UUID) -> PersonHealth | None:
        """Code colour and vaccination records, without identifiers, inside the scope."""
        with self._uow() as uow:
            sealed = uow.persons.get(person_id)
            if sealed is None or not can_access(principal, PersonRef(sealed.id, sealed.admin_code)):
                return None
            return health_of(uow, sealed)

    def _by_document(
        self, uow: RegistryUnitOfWork, principal: Principal, document_type: str, number: str
    ) -> SealedPerson | None:
        lookup = self._cipher.lookup_hash(document_kind(document_type), number)
        sealed = uow.persons.find_by_lookup(lookup)
        if sealed is None:
            return None
        # A device learns of people of its own district only, as with a paper code's colour.
        if not _may_learn_colour(principal, PersonRef(sealed.id, sealed.admin_code)):
            return None
        return sealed

    def health_by_document(
        self, principal: Principal, document_type: str, number: str
    ) -> PersonHealth | None:
        """The ID-document path at an entrance (R14): a checkpoint device, or staff in scope,
        learns the code colour and doses of the person presenting this document, nothing else."""
        with self._uow() as uow:
            sealed = self._by_document(uow, principal, document_type, number)
            return health_of(uow, sealed) if sealed is not None else None

    def colour_by_subject(self, principal: Principal, subject_hash: str) -> CodeColour | None:
        """The current colour of the person a scanned paper health code names (issue 4), by
        the keyed subject hash it carries (the registry's look-up hash for a resident ID card):
        a checkpoint device, or staff in scope, learns the colour and nothing else."""
        try:
            lookup = bytes.fromhex(subject_hash)
        except ValueError:
            return None
        with self._uow() as uow:
            sealed = uow.persons.find_by_lookup(lookup)
            if sealed is None:
                return None
            ref = PersonRef(sealed.id, sealed.admin_code)
            if not _may_learn_colour(principal, ref):
                return None
            status = uow.persons.health_code(sealed.id)
        return status.colour if status is not None else None

    def holder_by_document(
        self, principal: Principal, document_type: str, number: str, *, reason: str
    ) -> DocumentHolder | None:
        """``health_by_document`` and the holder's transliterated name, to bind codes shown
        with the document to it. The name is opened here and only its transliteration leaves:
        the read is audited (``personal_data.read`` of ``name``) with the reason given."""
        reason = require_reason(reason)
        with self._uow() as uow:
            sealed = self._by_document(uow, principal, document_type, number)
            if sealed is None:
                return None
            health = health_of(uow, sealed)
            ref = PersonRef(sealed.id, sealed.admin_code)
            self._auditor.personal_data_read(
                uow.audit, principal, ref, fields=("name",), reason=reason
            )
            name = self._cipher.open(sealed.name, table=TABLE, column="name", row_id=str(sealed.id))
            uow.commit()
        fnt, gnt = transliterate(name)
        return DocumentHolder(health=health, fnt=fnt, gnt=gnt)


def _may_learn_colour(principal: Principal, ref: PersonRef) -> bool:
    # A checkpoint device checks whoever comes to its place, from any street of its district,
    # but no one registered in another district (R6); staff, within their own scope.
    if principal.role is Role.CHECKPOINT_DEVICE:
        return within(ref.admin_code, district_of(principal.scope_code))
    return can_access(principal, ref)


def health_of(uow: RegistryUnitOfWork, sealed: SealedPerson) -> PersonHealth:
    return PersonHealth(
        person_id=sealed.id,
        admin_code=sealed.admin_code,
        birth_year=sealed.birth_year,
        code=uow.persons.health_code(sealed.id),
        vaccinations=tuple(uow.persons.vaccinations(sealed.id)),
        contraindications=tuple(uow.persons.contraindications(sealed.id)),
    )
