"""The enrolled devices as their enrollers see them: no token, only what the server recorded.

The devices page and ``jointcheck devices list`` read these (and the places with their count of
devices, searched and paged); enrollment and revocation are
``SqlCheckpoint.enroll`` and ``revoke``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from jointcheck.store.checkpoint_models import CheckEventRow, DeviceRow
from jointcheck.store.models import PlaceRow
from jointcheck.store.scope import in_scope

MAX_DEVICES = 500


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    id: str
    place_id: int
    entrance_id: int | None
    street_code: str
    admin_code: str
    label: str
    enrolled_at: datetime
    revoked_at: datetime | None
    last_seen_at: datetime | None
    last_skew_ms: int | None
    bundle_version: int | None  # the newest among its recent checks, if it sent any

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def device_statuses(
    session: Session,
    *,
    since: date,
    place_id: int | None = None,
    scope_code: str | None = None,
    device_id: str | None = None,
    limit: int = MAX_DEVICES,
) -> list[DeviceStatus]:
    """Devices, oldest enrollment first, filtered by place, administrative subtree and/or id.

    The bundle version is the newest among the device's checks since SINCE (a device never
    goes back to an older bundle: BUNDLE_OUTDATED), looked up on the checks' (place, day) index.
    """
    query = select(DeviceRow)
    if place_id is not None:
        query = query.where(DeviceRow.place_id == place_id)
    if scope_code is not None:
        query = query.where(in_scope(DeviceRow.admin_code, scope_code))
    if device_id is not None:
        query = query.where(DeviceRow.id == device_id)
    rows = session.scalars(query.order_by(DeviceRow.enrolled_at, DeviceRow.id).limit(limit)).all()
    versions: dict[str, int] = {}
    if rows:
        found = session.execute(
            select(CheckEventRow.device_id, func.max(CheckEventRow.bundle_version))
            .where(
                CheckEventRow.place_id.in_(sorted({r.place_id for r in rows})),
                CheckEventRow.day >= since,
                CheckEventRow.device_id.in_([r.id for r in rows]),
            )
            .group_by(CheckEventRow.device_id)
        )
        versions = {device: int(version) for device, version in found if version is not None}
    return [
        DeviceStatus(
            id=r.id,
            place_id=r.place_id,
            entrance_id=r.entrance_id,
            street_code=r.street_code,
            admin_code=r.admin_code,
            label=r.label,
            enrolled_at=r.enrolled_at,
            revoked_at=r.revoked_at,
            last_seen_at=r.last_seen_at,
            last_skew_ms=r.last_skew_ms,
            bundle_version=versions.get(r.id),
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class PlaceDevices:
    """A place and how many devices it has enrolled (active and revoked)."""

    place_id: int
    name: str
    address: str
    admin_code: str
    category: str
    active: int
    revoked: int


def places_with_devices(
    session: Session,
    *,
    scope_code: str | None = None,
    place_id: int | None = None,
    search: str = "",
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[PlaceDevices], int]:
    """Places in an administrative subtree (or one place), their name or address containing
    SEARCH, ordered by code and name: one page of them and how many there are in all."""
    counts = (
        select(
            DeviceRow.place_id.label("place_id"),
            func.sum(case((DeviceRow.revoked_at.is_(None), 1), else_=0)).label("active"),
            func.sum(case((DeviceRow.revoked_at.is_(None), 0), else_=1)).label("revoked"),
        )
        .group_by(DeviceRow.place_id)
        .subquery()
    )
    where = []
    if scope_code is not None:
        where.append(in_scope(PlaceRow.admin_code, scope_code))
    if place_id is not None:
        where.append(PlaceRow.id == place_id)
    if search:
        where.append(
            PlaceRow.name.icontains(search, autoescape=True)
            | PlaceRow.address.icontains(search, autoescape=True)
        )
    total = int(session.scalar(select(func.count()).select_from(PlaceRow).where(*where)) or 0)
    rows = session.execute(
        select(
            PlaceRow.id,
            PlaceRow.name,
            PlaceRow.address,
            PlaceRow.admin_code,
            PlaceRow.category,
            func.coalesce(counts.c.active, 0),
            func.coalesce(counts.c.revoked, 0),
        )
        .outerjoin(counts, counts.c.place_id == PlaceRow.id)
        .where(*where)
        .order_by(PlaceRow.admin_code, PlaceRow.name, PlaceRow.id)
        .limit(limit)
        .offset(offset)
    )
    return [
        PlaceDevices(int(i), n, a, c, k, int(active), int(revoked))
        for i, n, a, c, k, active, revoked in rows
    ], total
