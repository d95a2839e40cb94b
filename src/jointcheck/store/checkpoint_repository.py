"""The checkpoint tables behind one session: devices, bundles, checks and their counts;
registrations, overrides and the purge in ``checkpoint_registrations``, which it inherits.

Ingest stores each event id once (``INSERT ... ON CONFLICT DO NOTHING RETURNING``) and adds to
the daily counts only what it really inserted, so a batch sent twice counts once. The caller's
unit of work commits: a batch is written whole or not at all.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from jointcheck.checkpoint.model import CheckRecord, Outcome
from jointcheck.policy import EvidenceSummary
from jointcheck.store.checkpoint_ingest import COUNT_COLUMNS, add_counts, insert_checks
from jointcheck.store.checkpoint_models import (
    BundleRow,
    CheckEventRow,
    DailyCountRow,
    DeviceRow,
    district_day,
)
from jointcheck.store.checkpoint_registrations import Registrations

OUTCOME_COLUMN = {
    Outcome.ADMIT: "admitted",
    Outcome.ADMIT_REGISTERED: "registered",
    Outcome.PERSUADE: "persuaded",
    Outcome.DENY: "denied",
}


def daily_counts(
    inserted: Iterable[tuple[str, date, int, str, bool]],
) -> Counter[tuple[str, date, int, str]]:
    """What checks really inserted, given as (street, day, place, outcome, stale), add to the
    daily counts: (street, day, place, column) -> n. Every path that stores checks counts
    them here (``add_check_rows``, the scan path's ``store.checkpoint_scans``)."""
    # Counted by (street, day, place, outcome, stale) first: a handful of keys a batch.
    kinds = Counter(inserted)
    counts: Counter[tuple[str, date, int, str]] = Counter()
    for (street, day, place, outcome, stale), n in kinds.items():
        key = (street, day, int(place))
        counts[(*key, "checks")] += n
        counts[(*key, OUTCOME_COLUMN[Outcome(outcome)])] += n
        if stale:
            counts[(*key, "stale")] += n
    return counts


def token_hash(token: str) -> bytes:
    # Tokens are 32 random bytes: a plain SHA-256 is enough (nothing to brute-force).
    return hashlib.sha256(token.encode("ascii", errors="replace")).digest()


@dataclass(frozen=True, slots=True)
class StoredBundle:
    version: int
    issued_at: datetime
    retention_days: int
    document: bytes


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    place_id: int
    entrance_id: int | None
    street_code: str
    admin_code: str
    root_kid: str
    revoked: bool


def _device(row: DeviceRow) -> Device:
    return Device(
        row.id,
        row.place_id,
        row.entrance_id,
        row.street_code,
        row.admin_code,
        row.root_kid,
        row.revoked_at is not None,
    )


def check_row(record: CheckRecord, now: datetime) -> tuple[Any, ...]:
    """A check as a row of ``check_events``, in ``checkpoint_ingest.COLUMNS`` order."""
    s = record.summary
    return (
        record.street_code,
        district_day(record.at),
        record.id,
        int(record.place_id),
        record.entrance_id,
        record.device_id,
        record.at,
        now,
        record.outcome.value,
        " ".join(record.reasons)[:400],
        " ".join(s.credential_types)[:160],
        s.code_colour,
        s.doses,
        s.series,
        s.completed,
        s.contraindication_level,
        s.age_band[:8],
        s.pack_id,
        s.pack_version,
        record.subject_hash,
        record.bundle_version,
        record.stale,
        record.via,
        record.group_id,
        record.follows,
        record.bundle_refused,
    )


def check_in_row(c: Mapping[str, Any], now: datetime) -> tuple[Any, ...]:
    """A check of an agent's batch, as the API validated it (``api/checkpoint_schemas``
    ``CheckIn``: the defaults of its optional keys are those of ``CheckRecord`` and
    ``EvidenceSummary``), as a row of ``check_events``: the row ``check_row`` makes of the
    same check as a record (a test holds the two to it). A batch's checks go this way only,
    without a record and a summary built for each."""
    s = c["summary"]
    at = c["at"]
    return (
        c["street_code"],
        district_day(at),
        c["id"],
        int(c["place_id"]),
        c["entrance_id"],
        c["device_id"],
        at,
        now,
        c["outcome"].value,
        " ".join(c["reasons"])[:400],
        " ".join(s.get("credential_types", ()))[:160],
        s.get("code_colour"),
        s.get("doses", 0),
        s.get("series"),
        s.get("completed", False),
        s.get("contraindication_level"),
        s.get("age_band", "unknown")[:8],
        s.get("pack_id", ""),
        s.get("pack_version", ""),
        c.get("subject_hash"),
        c["bundle_version"],
        c.get("stale", False),
        c.get("via", "code"),
        c.get("group_id"),
        c.get("follows"),
        c.get("bundle_refused"),
    )


def _record(row: CheckEventRow) -> CheckRecord:
    return CheckRecord(
        id=row.id,
        device_id=row.device_id,
        place_id=str(row.place_id),
        entrance_id=row.entrance_id,
        street_code=row.street_code,
        at=row.at,
        outcome=Outcome(row.outcome),
        reasons=tuple(row.reasons.split()),
        summary=EvidenceSummary(
            credential_types=tuple(row.credential_types.split()),
            code_colour=row.code_colour,
            doses=row.doses,
            series=row.series,
            completed=row.completed,
            contraindication_level=row.contraindication_level,
            age_band=row.age_band,
            pack_id=row.pack_id,
            pack_version=row.pack_version,
        ),
        subject_hash=row.subject_hash,
        bundle_version=row.bundle_version,
        stale=row.stale,
        via=row.via,
        group_id=row.group_id,
        follows=row.follows,
        bundle_refused=row.bundle_refused,
    )


class SqlCheckpoint(Registrations):
    def __init__(self, session: Session) -> None:
        self.session = session
        dialect = session.get_bind().dialect.name
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert

    # Devices ---------------------------------------------------------------------------------
    def enroll(
        self,
        *,
        place_id: int,
        entrance_id: int | None,
        street_code: str,
        admin_code: str,
        root_kid: str,
        label: str,
        by: int | None,
        now: datetime,
    ) -> tuple[Device, str]:
        """A new device and its token; only the token's hash is kept."""
        token = secrets.token_urlsafe(32)
        row = DeviceRow(
            id=str(uuid.uuid4()),
            token_hash=token_hash(token),
            place_id=place_id,
            entrance_id=entrance_id,
            street_code=street_code,
            admin_code=admin_code,
            label=label,
            root_kid=root_kid,
            enrolled_at=now,
            enrolled_by=by,
        )
        self.session.add(row)
        self.session.flush()
        return _device(row), token

    def device(self, device_id: str) -> Device | None:
        row = self.session.get(DeviceRow, device_id)
        return _device(row) if row else None

    def device_for_token(self, token: str) -> Device | None:
        row = self.session.scalar(
            select(DeviceRow).where(DeviceRow.token_hash == token_hash(token))
        )
        return _device(row) if row is not None and row.revoked_at is None else None

    def revoke(self, device_id: str, now: datetime) -> bool:
        result = self.session.execute(
            update(DeviceRow)
            .where(DeviceRow.id == device_id, DeviceRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    def seen(self, device_id: str, now: datetime, skew_ms: int | None) -> None:
        values: dict[str, Any] = {"last_seen_at": now}
        if skew_ms is not None:
            values["last_skew_ms"] = skew_ms
        # A Core statement: the ORM's UPDATE would look for loaded rows to synchronise, on
        # every batch a device uploads.
        devices = cast("Table", DeviceRow.__table__)
        self.session.execute(update(devices).where(devices.c.id == device_id).values(**values))

    def devices(self, place_id: int) -> Sequence[DeviceRow]:
        return self.session.scalars(
            select(DeviceRow).where(DeviceRow.place_id == place_id).order_by(DeviceRow.enrolled_at)
        ).all()

    # Bundles ---------------------------------------------------------------------------------
    def latest_bundle(self) -> StoredBundle | None:
        row = self.session.scalar(select(BundleRow).order_by(BundleRow.version.desc()).limit(1))
        if row is None:
            return None
        return StoredBundle(row.version, row.issued_at, row.retention_days, row.document)

    def next_bundle_version(self) -> int:
        return (
            int(self.session.scalar(select(func.coalesce(func.max(BundleRow.version), 0))) or 0) + 1
        )

    def add_bundle(self, row: BundleRow) -> None:
        self.session.add(row)
        self.session.flush()

    # Ingest ----------------------------------------------------------------------------------
    def add_checks(self, records: Sequence[CheckRecord], now: datetime) -> list[str]:
        """Insert new checks; the ids really inserted (a repeated id is skipped)."""
        return self.add_check_rows([check_row(r, now) for r in records])

    def add_check_rows(self, rows: Sequence[tuple[Any, ...]]) -> list[str]:
        """Insert new checks as rows (``check_row``, ``check_in_row``) and add them to the
        daily counts; the ids really inserted (a repeated id is skipped)."""
        inserted = insert_checks(self.session, rows)
        add_counts(self.session, daily_counts(i[1:] for i in inserted))
        return [i[0] for i in inserted]

    # Reading ---------------------------------------------------------------------------------
    def day_counts(self, place_id: int, day: date) -> dict[str, int]:
        row = self.session.scalar(
            select(DailyCountRow).where(
                DailyCountRow.place_id == place_id, DailyCountRow.day == day
            )
        )
        return {c: int(getattr(row, c)) if row else 0 for c in COUNT_COLUMNS}

    def get_check(self, street_code: str, check_id: str) -> CheckRecord | None:
        row = self.session.scalar(
            select(CheckEventRow).where(
                CheckEventRow.street_code == street_code, CheckEventRow.id == check_id
            )
        )
        return _record(row) if row is not None else None

    def own_checks(self, device: Device, ids: Collection[str], days: Collection[date]) -> set[str]:
        """Which of IDS are checks DEVICE recorded at its place on one of DAYS (one query,
        within the device's street: the tables are keyed by it)."""
        if not ids:
            return set()
        return set(
            self.session.scalars(
                select(CheckEventRow.id).where(
                    CheckEventRow.street_code == device.street_code,
                    CheckEventRow.day.in_(sorted(days)),
                    CheckEventRow.id.in_(sorted(ids)),
                    CheckEventRow.place_id == device.place_id,
                    CheckEventRow.device_id == device.id,
                )
            )
        )
