"""The street's list of registrations (R3, R5): who was let in after persuasion, at which
place and entrance, with what reason for entry, for the street's staff and the district office.

Registrations are stored sealed (``store.checkpoint_registrations``) and purged after the
pack's retention days (R6); the daily counts per place are kept. Reading the list opens the
sealed fields to mask them: each registration opened is an audited read of masked personal
data (``personal_data.read_masked``, subject ``registration``), written in the transaction of
the read, as the registry audits each person it lists. An export to Excel is audited the same
way, with its own reason, and by one ``registrations.export`` entry naming the street, the days
and how many rows left. Nothing here reveals a value in full: no one has a reveal of a
registration's phone number (docs/checkpoint.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from jointcheck.bootstrap import Registry
from jointcheck.credentials.masking import mask_id_number, mask_name, mask_phone
from jointcheck.errors import InputError
from jointcheck.policy import DEFAULT_PACK, load_shipped
from jointcheck.registry.model import AdminLevel, AdminUnit
from jointcheck.security.audit import Auditor
from jointcheck.security.ports import AuditAction, AuditLog
from jointcheck.security.roles import REGISTRATION_READERS, Principal, can_access
from jointcheck.store.checkpoint_models import district_day
from jointcheck.store.checkpoint_registrations import REGISTRATIONS
from jointcheck.store.street_registrations import (
    StoredRegistration,
    place_names,
    registration_counts,
    retention_days,
    stored_registrations,
)

STREET_CODE_LENGTH = 9
STREET_LEVELS = frozenset({AdminLevel.STREET, AdminLevel.TOWN})
LIST_REASON = "The street's daily list of registrations (R3, R5)"
EXPORT_REASON = "The street's list of registrations exported to Excel (R3, R5)"
FIELDS = ("name", "id_number", "phone", "purpose")


@dataclass(frozen=True, slots=True)
class Entry:
    """One registration as staff see it: personal fields masked (house rule 4)."""

    id: str
    at: datetime  # UTC inside; Asia/Shanghai at display (house rule 3)
    place_id: int
    place_name: str
    entrance: str
    name: str
    id_number: str
    phone: str
    purpose: str
    outcome: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlaceCount:
    """A place's registrations on a day: counted on ingest, and how many are still listed."""

    day: date
    place_id: int
    place_name: str
    counted: int
    registered: int
    listed: int

    @property
    def purged(self) -> int:
        return max(0, self.counted - self.listed)


@dataclass(frozen=True, slots=True)
class StreetList:
    street: AdminUnit
    first: date
    last: date
    retention_days: int
    entries: tuple[Entry, ...]
    counts: tuple[PlaceCount, ...]

    @property
    def counted(self) -> int:
        return sum(c.counted for c in self.counts)

    @property
    def purged(self) -> int:
        return sum(c.purged for c in self.counts)


def days_asked(
    day: date | None, first: date | None, last: date | None, today: date, retention: int
) -> tuple[date, date]:
    """The span of days asked: one DAY, or FIRST..LAST of at most RETENTION days; today
    when nothing is asked. Bad spans are refused with a code (house rule 2)."""
    if day is not None and (first is not None or last is not None):
        raise InputError("ask for one day or for a span, not both", code="REGISTRATIONS_DAYS")
    if day is not None:
        return day, day
    if first is None and last is None:
        return today, today
    first, last = first or last, last or first
    assert first is not None  # noqa: S101 - one of them is set
    assert last is not None  # noqa: S101
    if last < first:
        raise InputError("the span ends before it begins", code="REGISTRATIONS_DAYS")
    if (last - first).days + 1 > retention:
        raise InputError(f"a span of at most {retention} days", code="REGISTRATIONS_SPAN_TOO_LONG")
    return first, last


@dataclass(slots=True)
class StreetRegistrations:
    """Reads a street's registrations within the reader's scope, each read audited."""

    registry: Registry
    clock: Callable[[], datetime]
    auditor: Auditor
    default_retention: int

    @classmethod
    def of(
        cls, registry: Registry, clock: Callable[[], datetime], pack_id: str = DEFAULT_PACK
    ) -> StreetRegistrations:
        """The service of a deployment: before its first bundle is published, the retention
        days are those of the pack it will publish (PACK_ID)."""
        retention = load_shipped(pack_id).parameters.retention_days
        return cls(registry, clock, registry.auditor, retention)

    def today(self) -> date:
        return district_day(self.clock())

    def retention(self) -> int:
        with self.registry.uow() as uow:
            return retention_days(uow.session, self.default_retention)

    def streets(self, principal: Principal) -> list[AdminUnit]:
        """The streets and towns whose list PRINCIPAL may read, by code."""
        if principal.role not in REGISTRATION_READERS:
            return []
        with self.registry.uow() as uow:
            units = uow.units.subtree(principal.scope_code)
        return sorted(
            (u for u in units if u.level in STREET_LEVELS and can_access(principal, u.code)),
            key=lambda u: u.code,
        )

    def street(self, principal: Principal, street_code: str) -> AdminUnit | None:
        """The street, if it exists and lies in PRINCIPAL's scope; None otherwise (R6)."""
        if principal.role not in REGISTRATION_READERS:
            return None
        if len(street_code) != STREET_CODE_LENGTH or not can_access(principal, street_code):
            return None
        with self.registry.uow() as uow:
            unit = uow.units.get(street_code)
        return unit if unit is not None and unit.level in STREET_LEVELS else None

    def read(
        self, principal: Principal, street: AdminUnit, first: date, last: date, *, export: bool
    ) -> StreetList:
        """The street's list over FIRST..LAST, masked; each registration opened is audited in
        the same transaction, and an export leaves one entry more (``registrations.export``)."""
        today = self.today()
        with self.registry.uow() as uow:
            stored = stored_registrations(uow.session, street.code, first, last, today)
            counts = registration_counts(uow.session, street.code, first, last)
            places = place_names(
                uow.session, [s.place_id for s in stored] + [c.place_id for c in counts]
            )
            reason = EXPORT_REASON if export else LIST_REASON
            entries = []
            for row in stored:
                name, code = places.get(row.place_id, (str(row.place_id), street.code))
                self._audit_read(uow.audit, principal, row, code, reason)
                entries.append(self._entry(row, name))
            if export:
                self._audit_export(uow.audit, principal, street.code, first, last, len(entries))
            retention = retention_days(uow.session, self.default_retention)
            uow.commit()
        listed: dict[tuple[date, int], int] = {}
        for row in stored:
            listed[(row.day, row.place_id)] = listed.get((row.day, row.place_id), 0) + 1
        place_counts = tuple(
            PlaceCount(
                day=c.day,
                place_id=c.place_id,
                place_name=places.get(c.place_id, (str(c.place_id), ""))[0],
                counted=c.registrations,
                registered=c.registered,
                listed=listed.get((c.day, c.place_id), 0),
            )
            for c in counts
        )
        return StreetList(street, first, last, retention, tuple(entries), place_counts)

    def _entry(self, row: StoredRegistration, place_name: str) -> Entry:
        cipher = self.registry.cipher

        def opened(column: str, sealed: bytes) -> str:
            return cipher.open(sealed, table=REGISTRATIONS, column=column, row_id=row.id)

        return Entry(
            id=row.id,
            at=row.at,
            place_id=row.place_id,
            place_name=place_name,
            entrance=row.entrance,
            name=mask_name(opened("name_enc", row.name_enc)),
            id_number=mask_id_number(opened("id_number_enc", row.id_number_enc)),
            phone=mask_phone(opened("phone_enc", row.phone_enc)),
            purpose=opened("purpose_enc", row.purpose_enc),
            outcome=row.outcome,
            reasons=row.reasons,
        )

    def _audit_read(
        self, log: AuditLog, principal: Principal, row: StoredRegistration, code: str, reason: str
    ) -> None:
        log.add(
            self.auditor.entry(
                principal,
                AuditAction.PERSONAL_DATA_READ_MASKED,
                admin_code=code,
                subject_kind="registration",
                subject_id=row.id,
                reason=reason,
                detail={"fields": list(FIELDS), "day": row.day.isoformat()},
            )
        )

    def _audit_export(
        self, log: AuditLog, principal: Principal, street: str, first: date, last: date, n: int
    ) -> None:
        log.add(
            self.auditor.entry(
                principal,
                AuditAction.REGISTRATIONS_EXPORT,
                admin_code=street,
                subject_kind="street",
                subject_id=street,
                reason=EXPORT_REASON,
                detail={"from": first.isoformat(), "to": last.isoformat(), "rows": n},
            )
        )
