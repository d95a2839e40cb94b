"""What a checkpoint stores beside its checks (issue 4): R3 registrations, sealed field by
field (R6) and purged after their retention days, and overrides with their audit entry.

Like the checks, each event id is stored once (``INSERT ... ON CONFLICT DO NOTHING
RETURNING``) and only what was really inserted adds to the daily counts. ``SqlCheckpoint``
inherits these; they use its session and its dialect's ``insert``.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from jointcheck.checkpoint.model import OverrideRecord, RegistrationIn
from jointcheck.security.pii import FieldCipher
from jointcheck.store.checkpoint_ingest import add_counts
from jointcheck.store.checkpoint_models import (
    OverrideEventRow,
    RegistrationEventRow,
    district_day,
)
from jointcheck.store.models import AuditRow

REGISTRATIONS = "checkpoint_registrations"


class Registrations:
    """Add registrations and overrides, and purge registrations past their retention."""

    __slots__ = ()
    session: Session
    _insert: Callable[[Any], postgresql.Insert] | Callable[[Any], sqlite.Insert]

    def add_overrides(self, records: Sequence[OverrideRecord], now: datetime) -> list[str]:
        if not records:
            return []
        rows = [
            {
                "street_code": r.street_code,
                "day": district_day(r.at),
                "id": r.id,
                "check_id": r.check_id,
                "place_id": int(r.place_id),
                "device_id": r.device_id,
                "at": r.at,
                "received_at": now,
                "reason": r.reason.value,
                "staff": r.staff,
            }
            for r in records
        ]
        stmt = (
            self._insert(OverrideEventRow).on_conflict_do_nothing().returning(OverrideEventRow.id)
        )
        inserted = set(self.session.scalars(stmt, rows).all())
        counts: Counter[tuple[str, date, int, str]] = Counter()
        for r in records:
            if r.id in inserted:
                counts[(r.street_code, district_day(r.at), int(r.place_id), "overrides")] += 1
                self._audit_override(r, now)
        add_counts(self.session, counts)
        return [r.id for r in records if r.id in inserted]

    def _audit_override(self, r: OverrideRecord, now: datetime) -> None:
        # Overrides are audited like any exceptional act at the gate: a signal for R8.
        self.session.add(
            AuditRow(
                admin_code=r.street_code,
                id=uuid.uuid4(),
                at=now,
                actor_account_id=None,
                actor_username=f"device:{r.device_id}"[:64],
                actor_role="checkpoint_device",
                action="checkpoint.override",
                subject_kind="check",
                subject_id=r.check_id,
                reason=r.reason.value,
                detail=f'{{"place_id": {int(r.place_id)}, "staff": "{r.staff[:50]}"}}',
            )
        )

    def add_registrations(
        self,
        items: Sequence[RegistrationIn],
        *,
        street_code: str,
        place_id: int,
        cipher: FieldCipher,
        retention_days: int,
        now: datetime,
    ) -> list[str]:
        """R3 registrations, sealed field by field (R6), purged after RETENTION_DAYS."""
        if not items:
            return []
        rows = [
            _registration_row(
                item,
                street_code=street_code,
                place_id=place_id,
                cipher=cipher,
                retention_days=retention_days,
                now=now,
            )
            for item in items
        ]
        stmt = (
            self._insert(RegistrationEventRow)
            .on_conflict_do_nothing()
            .returning(RegistrationEventRow.id)
        )
        inserted = set(self.session.scalars(stmt, rows).all())
        counts: Counter[tuple[str, date, int, str]] = Counter(
            (street_code, district_day(i.at), place_id, "registrations")
            for i in items
            if i.id in inserted
        )
        add_counts(self.session, counts)
        return [i.id for i in items if i.id in inserted]

    def purge_registrations(self, today: date) -> int:
        """Delete registrations past their retention (R6); the daily counts keep the numbers."""
        result = self.session.execute(
            delete(RegistrationEventRow).where(RegistrationEventRow.purge_after < today)
        )
        return int(getattr(result, "rowcount", 0))


def _registration_row(
    item: RegistrationIn,
    *,
    street_code: str,
    place_id: int,
    cipher: FieldCipher,
    retention_days: int,
    now: datetime,
) -> dict[str, Any]:
    """A registration as a row of its table, each personal field sealed on its own (R6)."""
    day = district_day(item.at)
    seal = {
        column: cipher.seal(value, table=REGISTRATIONS, column=column, row_id=item.id)
        for column, value in (
            ("name_enc", item.person.name),
            ("id_number_enc", item.person.id_number),
            ("phone_enc", item.person.phone),
            ("purpose_enc", item.person.purpose),
        )
    }
    return {
        "street_code": street_code,
        "day": day,
        "id": item.id,
        "check_id": item.check_id,
        "place_id": place_id,
        "at": item.at,
        "received_at": now,
        "id_lookup": cipher.lookup_hash(item.document_type, item.person.id_number),
        "purge_after": date.fromordinal(day.toordinal() + retention_days),
        **seal,
    }
