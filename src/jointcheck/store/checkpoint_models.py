"""The tables of what a checkpoint stores (issue 4): devices, bundles, checks, registrations,
overrides and the daily counts per place.

Every large table's key is led by the street code and the day (Asia/Shanghai calendar day, the
day a street's daily collection speaks of, R5), so that PostgreSQL can partition by day
(retention = dropping old partitions) and shard by street (DESIGN.md). A check's id is made by
the device; it is part of the key, so an upload repeated after a crash stores nothing twice.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from jointcheck.store.models import CODE, Base
from jointcheck.store.types import UtcDateTime

UUID_TEXT = 36
# The calendar day of the district: what a street's daily collection (R5) means by "today".
DISTRICT_TZ = ZoneInfo("Asia/Shanghai")


def district_day(at: datetime) -> date:
    return at.astimezone(DISTRICT_TZ).date()


class DeviceRow(Base):
    """An enrolled checkpoint device: one place, one entrance, a token (hashed), a pinned key."""

    __tablename__ = "checkpoint_devices"

    id: Mapped[str] = mapped_column(String(UUID_TEXT), primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    entrance_id: Mapped[int | None] = mapped_column(ForeignKey("entrances.id"), default=None)
    street_code: Mapped[str] = mapped_column(String(CODE))
    admin_code: Mapped[str] = mapped_column(String(CODE))
    label: Mapped[str] = mapped_column(String(100), default="")
    root_kid: Mapped[str] = mapped_column(String(16))
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    enrolled_by: Mapped[int | None] = mapped_column(Integer, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    last_skew_ms: Mapped[int | None] = mapped_column(Integer, default=None)


class BundleRow(Base):
    """A published bundle: the signed document, exactly as devices receive it."""

    __tablename__ = "checkpoint_bundles"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    pack_id: Mapped[str] = mapped_column(String(64))
    pack_version: Mapped[str] = mapped_column(String(32))
    retention_days: Mapped[int] = mapped_column(SmallInteger)
    document: Mapped[bytes] = mapped_column(LargeBinary)


class CheckEventRow(Base):
    """One check: no personal data, only the evidence summary and the keyed subject hash."""

    __tablename__ = "check_events"
    __table_args__ = (Index(None, "place_id", "day"),)

    street_code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    id: Mapped[str] = mapped_column(String(UUID_TEXT), primary_key=True)
    place_id: Mapped[int] = mapped_column(Integer)
    entrance_id: Mapped[str] = mapped_column(String(40))
    device_id: Mapped[str] = mapped_column(String(UUID_TEXT))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    outcome: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[str] = mapped_column(String(400))
    credential_types: Mapped[str] = mapped_column(String(160))
    code_colour: Mapped[str | None] = mapped_column(String(8), default=None)
    doses: Mapped[int] = mapped_column(SmallInteger, default=0)
    series: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    contraindication_level: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    age_band: Mapped[str] = mapped_column(String(8))
    pack_id: Mapped[str] = mapped_column(String(64))
    pack_version: Mapped[str] = mapped_column(String(32))
    subject_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    bundle_version: Mapped[int] = mapped_column(Integer)
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    via: Mapped[str] = mapped_column(String(12))
    group_id: Mapped[str | None] = mapped_column(String(UUID_TEXT), default=None)
    follows: Mapped[str | None] = mapped_column(String(UUID_TEXT), default=None)
    # The code of the refusal of its server's bundle the device was in when it decided
    # (BUNDLE_UNTRUSTED, BUNDLE_FORGED, BUNDLE_OUTDATED): decided on its last good bundle.
    bundle_refused: Mapped[str | None] = mapped_column(String(20), default=None)


class RegistrationEventRow(Base):
    """R3: a registration; personal fields sealed (R6), purged after the pack's retention."""

    __tablename__ = "checkpoint_registrations"
    __table_args__ = (Index(None, "purge_after"),)

    street_code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    id: Mapped[str] = mapped_column(String(UUID_TEXT), primary_key=True)
    check_id: Mapped[str] = mapped_column(String(UUID_TEXT))
    place_id: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    id_lookup: Mapped[bytes] = mapped_column(LargeBinary(32))
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    phone_enc: Mapped[bytes] = mapped_column(LargeBinary)
    purpose_enc: Mapped[bytes] = mapped_column(LargeBinary)
    purge_after: Mapped[date] = mapped_column(Date)


class OverrideEventRow(Base):
    """Staff admitted someone against a DENY, with a reason (a signal for enforcement, R8)."""

    __tablename__ = "checkpoint_overrides"

    street_code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    id: Mapped[str] = mapped_column(String(UUID_TEXT), primary_key=True)
    check_id: Mapped[str] = mapped_column(String(UUID_TEXT))
    place_id: Mapped[int] = mapped_column(Integer, index=True)
    device_id: Mapped[str] = mapped_column(String(UUID_TEXT))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(String(32))
    staff: Mapped[str] = mapped_column(String(50))


class DailyCountRow(Base):
    """Counts per place and day, maintained on ingest: reports cost O(places) (R5)."""

    __tablename__ = "checkpoint_daily_counts"

    street_code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    place_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checks: Mapped[int] = mapped_column(Integer, default=0)
    admitted: Mapped[int] = mapped_column(Integer, default=0)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    persuaded: Mapped[int] = mapped_column(Integer, default=0)
    denied: Mapped[int] = mapped_column(Integer, default=0)
    overrides: Mapped[int] = mapped_column(Integer, default=0)
    registrations: Mapped[int] = mapped_column(Integer, default=0)
    stale: Mapped[int] = mapped_column(Integer, default=0)
