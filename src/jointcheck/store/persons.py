"""The repository of persons and their vaccination, contraindication and health-code records.

It stores and returns personal fields sealed: the store never holds the key (R6), so no query
here can leak a name or an ID number in clear.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from jointcheck.credentials.model import CodeColour
from jointcheck.registry.model import (
    ContraindicationLevel,
    ContraindicationRecord,
    HealthCodeStatus,
    SealedFamilyLink,
    SealedPerson,
    VaccinationRecord,
)
from jointcheck.store.faults import translated
from jointcheck.store.models import (
    ContraindicationRow,
    FamilyLinkRow,
    HealthCodeRow,
    PersonRow,
    VaccinationRow,
)
from jointcheck.store.scope import in_scope

MAX_PAGE = 1000
CHUNK = 500


def _person(row: PersonRow) -> SealedPerson:
    return SealedPerson(
        id=row.id,
        admin_code=row.admin_code,
        document_type=row.document_type,
        id_lookup=row.id_lookup,
        birth_year=row.birth_year,
        document_number=row.document_number_enc,
        name=row.name_enc,
        phone=row.phone_enc,
        address=row.address_enc,
        birth_date=row.birth_date_enc,
        sex=row.sex_enc,
    )


def _person_values(p: SealedPerson, now: datetime) -> dict[str, object]:
    return {
        "admin_code": p.admin_code,
        "id": p.id,
        "document_type": p.document_type,
        "id_lookup": p.id_lookup,
        "birth_year": p.birth_year,
        "document_number_enc": p.document_number,
        "name_enc": p.name,
        "phone_enc": p.phone,
        "address_enc": p.address,
        "birth_date_enc": p.birth_date,
        "sex_enc": p.sex,
        "created_at": now,
    }


def _health(row: HealthCodeRow) -> HealthCodeStatus:
    return HealthCodeStatus(
        person_id=row.person_id,
        admin_code=row.admin_code,
        colour=CodeColour(row.colour),
        reason=row.reason,
        since=row.since,
        until=row.until,
        changed_by=row.changed_by,
    )


class SqlPersons:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, person_id: UUID) -> SealedPerson | None:
        row = self._s.scalar(select(PersonRow).where(PersonRow.id == person_id))
        return _person(row) if row is not None else None

    def find_by_lookup(self, id_lookup: bytes) -> SealedPerson | None:
        row = self._s.scalar(select(PersonRow).where(PersonRow.id_lookup == id_lookup))
        return _person(row) if row is not None else None

    def add_many(self, persons: Iterable[SealedPerson]) -> None:
        now = datetime.now(UTC)
        rows = [_person_values(p, now) for p in persons]
        for start in range(0, len(rows), CHUNK):
            with translated():
                self._s.execute(insert(PersonRow), rows[start : start + CHUNK])

    def move(self, person_id: UUID, grid_code: str) -> None:
        """Move a person to another grid; their records follow (ON UPDATE CASCADE)."""
        with translated():
            self._s.execute(
                update(PersonRow).where(PersonRow.id == person_id).values(admin_code=grid_code)
            )

    def list(self, *, scope_code: str, limit: int = 100, offset: int = 0) -> Sequence[SealedPerson]:
        query = (
            select(PersonRow)
            .where(in_scope(PersonRow.admin_code, scope_code))
            .order_by(PersonRow.admin_code, PersonRow.id)
            .limit(max(0, min(limit, MAX_PAGE)))
            .offset(offset)
        )
        return [_person(r) for r in self._s.scalars(query)]

    def count(self, *, scope_code: str) -> int:
        query = select(func.count()).where(in_scope(PersonRow.admin_code, scope_code))
        return int(self._s.scalar(query) or 0)

    def existing_lookups(self, lookups: Iterable[bytes]) -> set[bytes]:
        wanted = list(lookups)
        found: set[bytes] = set()
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            query = select(PersonRow.id_lookup).where(PersonRow.id_lookup.in_(chunk))
            found.update(bytes(v) for v in self._s.scalars(query))
        return found

    def vaccinations(self, person_id: UUID) -> Sequence[VaccinationRecord]:
        query = select(VaccinationRow).where(VaccinationRow.person_id == person_id)
        return [
            VaccinationRecord(
                person_id=r.person_id,
                admin_code=r.admin_code,
                dose_number=r.dose_number,
                series_doses=r.series_doses,
                product=r.product,
                vaccinated_on=r.vaccinated_on,
                site=r.site,
            )
            for r in self._s.scalars(query.order_by(VaccinationRow.dose_number))
        ]

    def add_vaccinations(self, records: Iterable[VaccinationRecord]) -> None:
        rows = [
            {
                "admin_code": r.admin_code,
                "person_id": r.person_id,
                "dose_number": r.dose_number,
                "series_doses": r.series_doses,
                "product": r.product,
                "vaccinated_on": r.vaccinated_on,
                "site": r.site,
            }
            for r in records
        ]
        for start in range(0, len(rows), CHUNK):
            with translated():
                self._s.execute(insert(VaccinationRow), rows[start : start + CHUNK])

    def contraindications(self, person_id: UUID) -> Sequence[ContraindicationRecord]:
        query = select(ContraindicationRow).where(ContraindicationRow.person_id == person_id)
        return [
            ContraindicationRecord(
                id=r.id,
                person_id=r.person_id,
                admin_code=r.admin_code,
                category=r.category,
                level=ContraindicationLevel(r.level),
                institution=r.institution,
                institution_grade=r.institution_grade,
                valid_from=r.valid_from,
                valid_to=r.valid_to,
            )
            for r in self._s.scalars(query.order_by(ContraindicationRow.valid_from))
        ]

    def add_contraindications(self, records: Iterable[ContraindicationRecord]) -> None:
        rows = [
            {
                "admin_code": r.admin_code,
                "id": r.id,
                "person_id": r.person_id,
                "category": r.category,
                "level": r.level.value,
                "institution": r.institution,
                "institution_grade": r.institution_grade,
                "valid_from": r.valid_from,
                "valid_to": r.valid_to,
            }
            for r in records
        ]
        if rows:
            with translated():
                self._s.execute(insert(ContraindicationRow), rows)

    def health_code(self, person_id: UUID) -> HealthCodeStatus | None:
        row = self._s.scalar(select(HealthCodeRow).where(HealthCodeRow.person_id == person_id))
        return _health(row) if row is not None else None

    def set_health_codes(self, statuses: Iterable[HealthCodeStatus]) -> None:
        """Insert or replace each person's current status (one row per person)."""
        rows = [
            {
                "admin_code": s.admin_code,
                "person_id": s.person_id,
                "colour": s.colour.value,
                "reason": s.reason,
                "since": s.since,
                "until": s.until,
                "changed_by": s.changed_by,
            }
            for s in statuses
        ]
        if not rows:
            return
        dialect = self._s.get_bind().dialect.name
        upsert = (
            pg_insert(HealthCodeRow) if dialect == "postgresql" else sqlite_insert(HealthCodeRow)
        )
        changed = ("colour", "reason", "since", "until", "changed_by")
        statement = upsert.on_conflict_do_update(
            index_elements=["admin_code", "person_id"],
            set_={name: upsert.excluded[name] for name in changed},
        )
        for start in range(0, len(rows), CHUNK):
            with translated():
                self._s.execute(statement, rows[start : start + CHUNK])

    # Family links (R14): who prints paper codes for whom.
    def family_links(self, holder_id: UUID) -> Sequence[SealedFamilyLink]:
        query = select(FamilyLinkRow).where(FamilyLinkRow.holder_id == holder_id)
        return [_link(r) for r in self._s.scalars(query.order_by(FamilyLinkRow.created_at))]

    def family_link(self, holder_id: UUID, member_id: UUID) -> SealedFamilyLink | None:
        row = self._s.scalar(
            select(FamilyLinkRow).where(
                FamilyLinkRow.holder_id == holder_id, FamilyLinkRow.member_id == member_id
            )
        )
        return _link(row) if row is not None else None

    def family_link_by_id(self, link_id: UUID) -> SealedFamilyLink | None:
        row = self._s.scalar(select(FamilyLinkRow).where(FamilyLinkRow.id == link_id))
        return _link(row) if row is not None else None

    def add_family_links(self, links: Iterable[SealedFamilyLink]) -> None:
        now = datetime.now(UTC)
        rows = [
            {
                "admin_code": link.admin_code,
                "holder_id": link.holder_id,
                "member_id": link.member_id,
                "id": link.id,
                "relation_enc": link.relation,
                "created_at": now,
                "created_by": link.created_by,
            }
            for link in links
        ]
        for start in range(0, len(rows), CHUNK):
            with translated():
                self._s.execute(insert(FamilyLinkRow), rows[start : start + CHUNK])

    def remove_family_link(self, holder_id: UUID, member_id: UUID) -> bool:
        with translated():
            result = self._s.execute(
                delete(FamilyLinkRow).where(
                    FamilyLinkRow.holder_id == holder_id, FamilyLinkRow.member_id == member_id
                )
            )
        return bool(getattr(result, "rowcount", 0))

    def existing_family_links(self, holder_ids: Iterable[UUID]) -> set[tuple[UUID, UUID]]:
        wanted = list(holder_ids)
        found: set[tuple[UUID, UUID]] = set()
        for start in range(0, len(wanted), CHUNK):
            query = select(FamilyLinkRow.holder_id, FamilyLinkRow.member_id).where(
                FamilyLinkRow.holder_id.in_(wanted[start : start + CHUNK])
            )
            found.update((h, m) for h, m in self._s.execute(query))
        return found


def _link(row: FamilyLinkRow) -> SealedFamilyLink:
    return SealedFamilyLink(
        admin_code=row.admin_code,
        holder_id=row.holder_id,
        member_id=row.member_id,
        relation=row.relation_enc,
        created_by=row.created_by,
        id=row.id,
    )
