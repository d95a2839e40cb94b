"""Reading a street's registrations back (R3, R5): the sealed rows of a span of days with the
check each one admitted, and the daily counts per place, which outlive the purge (R6).

Every query is led by the street code and the day, the keys the tables are partitioned and
sharded by (DESIGN.md). Rows past their retention are left out even before the daily purge
has deleted them, so a list never shows what the district no longer keeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from jointcheck.store.checkpoint_models import (
    BundleRow,
    CheckEventRow,
    DailyCountRow,
    RegistrationEventRow,
)
from jointcheck.store.models import PlaceRow


@dataclass(frozen=True, slots=True)
class StoredRegistration:
    """A registration as stored (fields sealed), with what its check recorded."""

    id: str
    day: date
    at: datetime
    place_id: int
    name_enc: bytes
    id_number_enc: bytes
    phone_enc: bytes
    purpose_enc: bytes
    entrance: str
    outcome: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlaceDayCount:
    """A place's registrations on one day, as counted on ingest (kept after the purge)."""

    day: date
    place_id: int
    registrations: int
    registered: int


def stored_registrations(
    session: Session, street_code: str, first: date, last: date, today: date
) -> list[StoredRegistration]:
    """The street's registrations of FIRST..LAST still within their retention on TODAY."""
    reg, check = RegistrationEventRow, CheckEventRow
    # The registered check is made in the same instant as its registration: the same day,
    # give or take an upload whose clock crossed midnight.
    joined = and_(
        check.street_code == reg.street_code,
        check.day.between(first - timedelta(days=1), last + timedelta(days=1)),
        check.id == reg.check_id,
    )
    rows = session.execute(
        select(reg, check.entrance_id, check.outcome, check.reasons)
        .outerjoin(check, joined)
        .where(
            reg.street_code == street_code,
            reg.day.between(first, last),
            reg.purge_after >= today,
        )
        .order_by(reg.at, reg.id)
    ).all()
    return [
        StoredRegistration(
            id=r.id,
            day=r.day,
            at=r.at,
            place_id=r.place_id,
            name_enc=r.name_enc,
            id_number_enc=r.id_number_enc,
            phone_enc=r.phone_enc,
            purpose_enc=r.purpose_enc,
            entrance=entrance or "",
            outcome=outcome or "",
            reasons=tuple((reasons or "").split()),
        )
        for r, entrance, outcome, reasons in rows
    ]


def registration_counts(
    session: Session, street_code: str, first: date, last: date
) -> list[PlaceDayCount]:
    """The daily counts of the street's places with registrations or registered checks."""
    rows = session.execute(
        select(
            DailyCountRow.day,
            DailyCountRow.place_id,
            DailyCountRow.registrations,
            DailyCountRow.registered,
        )
        .where(
            DailyCountRow.street_code == street_code,
            DailyCountRow.day.between(first, last),
            (DailyCountRow.registrations > 0) | (DailyCountRow.registered > 0),
        )
        .order_by(DailyCountRow.day, DailyCountRow.place_id)
    ).all()
    return [
        PlaceDayCount(day, int(place), int(n), int(registered))
        for day, place, n, registered in rows
    ]


def place_names(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Place id -> (name, community code), for the ids asked."""
    if not ids:
        return {}
    rows = session.execute(
        select(PlaceRow.id, PlaceRow.name, PlaceRow.admin_code).where(
            PlaceRow.id.in_(sorted(set(ids)))
        )
    ).all()
    return {int(i): (name, code) for i, name, code in rows}


def retention_days(session: Session, default: int) -> int:
    """The retention of the newest published bundle's pack, DEFAULT before any is published."""
    days = session.scalar(
        select(BundleRow.retention_days).order_by(BundleRow.version.desc()).limit(1)
    )
    return int(days) if days is not None else default
