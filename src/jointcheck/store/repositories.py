"""Repositories of the administrative tree, places, accounts and the audit log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from jointcheck.registry.model import AdminLevel, AdminUnit, Entrance, Place
from jointcheck.security.ports import AccountRecord, AuditAction, AuditEntry
from jointcheck.security.roles import Role
from jointcheck.store.faults import translated
from jointcheck.store.models import (
    AccountRow,
    AdminUnitRow,
    AuditRow,
    EntranceRow,
    PlaceRow,
    WebNoticeRow,
    WebSessionRow,
)
from jointcheck.store.scope import in_scope

MAX_PAGE = 1000


def _page(limit: int) -> int:
    return max(0, min(limit, MAX_PAGE))


def _unit(row: AdminUnitRow) -> AdminUnit:
    return AdminUnit(
        code=row.code,
        level=AdminLevel(row.level),
        name_zh=row.name_zh,
        name_en=row.name_en,
        parent_code=row.parent_code,
    )


class SqlAdminUnits:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, code: str) -> AdminUnit | None:
        row = self._s.get(AdminUnitRow, code)
        return _unit(row) if row is not None else None

    def add_many(self, units: Iterable[AdminUnit]) -> None:
        rows = [
            {
                "code": u.code,
                "level": u.level.value,
                "parent_code": u.parent_code,
                "name_zh": u.name_zh,
                "name_en": u.name_en,
            }
            for u in units
        ]
        if rows:
            with translated():
                self._s.execute(insert(AdminUnitRow), rows)

    def children(self, code: str) -> Sequence[AdminUnit]:
        query = select(AdminUnitRow).where(AdminUnitRow.parent_code == code)
        return [_unit(r) for r in self._s.scalars(query.order_by(AdminUnitRow.code))]

    def subtree(self, code: str) -> Sequence[AdminUnit]:
        query = select(AdminUnitRow).where(in_scope(AdminUnitRow.code, code))
        return [_unit(r) for r in self._s.scalars(query.order_by(AdminUnitRow.code))]

    def existing(self, codes: Iterable[str]) -> set[str]:
        wanted = list(codes)
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            found.update(
                self._s.scalars(select(AdminUnitRow.code).where(AdminUnitRow.code.in_(chunk)))
            )
        return found


class SqlPlaces:
    def __init__(self, session: Session) -> None:
        self._s = session

    def _place(self, row: PlaceRow, entrances: Sequence[EntranceRow]) -> Place:
        return Place(
            id=row.id,
            admin_code=row.admin_code,
            category=row.category,
            name=row.name,
            address=row.address,
            entrances=tuple(Entrance(name=e.name, id=e.id) for e in entrances),
            responsible_account_id=row.responsible_account_id,
        )

    def _with_entrances(self, rows: Sequence[PlaceRow]) -> list[Place]:
        ids = [r.id for r in rows]
        by_place: dict[int, list[EntranceRow]] = {i: [] for i in ids}
        if ids:
            query = select(EntranceRow).where(EntranceRow.place_id.in_(ids))
            for e in self._s.scalars(query.order_by(EntranceRow.id)):
                by_place[e.place_id].append(e)
        return [self._place(r, by_place[r.id]) for r in rows]

    def get(self, place_id: int) -> Place | None:
        row = self._s.get(PlaceRow, place_id)
        return self._with_entrances([row])[0] if row is not None else None

    def add(self, place: Place) -> int:
        row = PlaceRow(
            admin_code=place.admin_code,
            category=place.category,
            name=place.name,
            address=place.address,
            responsible_account_id=place.responsible_account_id,
            created_at=datetime.now(UTC),
        )
        with translated():
            self._s.add(row)
            self._s.flush()
            self._s.add_all(EntranceRow(place_id=row.id, name=e.name) for e in place.entrances)
            self._s.flush()
        return row.id

    def add_many(self, places: Iterable[Place]) -> None:
        for place in places:
            self.add(place)

    def list(
        self, *, scope_code: str, category: str | None = None, limit: int = 100, offset: int = 0
    ) -> Sequence[Place]:
        query = select(PlaceRow).where(in_scope(PlaceRow.admin_code, scope_code))
        if category is not None:
            query = query.where(PlaceRow.category == category)
        query = query.order_by(PlaceRow.admin_code, PlaceRow.id).limit(_page(limit)).offset(offset)
        return self._with_entrances(list(self._s.scalars(query)))

    def count(self, *, scope_code: str) -> int:
        query = select(func.count()).where(in_scope(PlaceRow.admin_code, scope_code))
        return int(self._s.scalar(query) or 0)

    def existing_names(self, *, scope_code: str) -> set[tuple[str, str]]:
        query = select(PlaceRow.admin_code, PlaceRow.name).where(
            in_scope(PlaceRow.admin_code, scope_code)
        )
        return {(code, name) for code, name in self._s.execute(query)}

    def set_responsible(self, place_id: int, account_id: int) -> None:
        row = self._s.get(PlaceRow, place_id)
        if row is not None:
            row.responsible_account_id = account_id
            self._s.flush()


def _account(row: AccountRow) -> AccountRecord:
    return AccountRecord(
        id=row.id,
        username=row.username,
        password_hash=row.password_hash,
        role=Role(row.role),
        scope_code=row.scope_code,
        display_name=row.display_name,
        place_id=row.place_id,
        person_id=row.person_id,
        active=row.active,
    )


class SqlAccounts:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, account_id: int) -> AccountRecord | None:
        row = self._s.get(AccountRow, account_id)
        return _account(row) if row is not None else None

    def get_by_username(self, username: str) -> AccountRecord | None:
        row = self._s.scalar(select(AccountRow).where(AccountRow.username == username))
        return _account(row) if row is not None else None

    def add(self, record: AccountRecord) -> int:
        row = AccountRow(
            username=record.username,
            password_hash=record.password_hash,
            role=record.role.value,
            scope_code=record.scope_code,
            display_name=record.display_name,
            place_id=record.place_id,
            person_id=record.person_id,
            active=record.active,
            created_at=datetime.now(UTC),
        )
        with translated():
            self._s.add(row)
            self._s.flush()
        return row.id

    def usernames(self) -> set[str]:
        return set(self._s.scalars(select(AccountRow.username)))

    def list(self, *, scope_code: str) -> Sequence[AccountRecord]:
        query = select(AccountRow).where(in_scope(AccountRow.scope_code, scope_code))
        return [_account(r) for r in self._s.scalars(query.order_by(AccountRow.id))]

    # Sign-in sessions (web/session.py): a row per signed-in browser, gone at sign-out.
    def add_session(
        self, id_hash: bytes, account_id: int, created_at: datetime, expires_at: datetime
    ) -> None:
        row = WebSessionRow(
            id_hash=id_hash, account_id=account_id, created_at=created_at, expires_at=expires_at
        )
        with translated():
            self._s.add(row)
            self._s.flush()

    def session_account(self, id_hash: bytes, now: datetime) -> int | None:
        """The account of a session that exists and has not expired."""
        query = select(WebSessionRow.account_id).where(
            WebSessionRow.id_hash == id_hash, WebSessionRow.expires_at > now
        )
        return self._s.scalar(query)

    def delete_session(self, id_hash: bytes) -> None:
        with translated():
            self._s.execute(delete(WebSessionRow).where(WebSessionRow.id_hash == id_hash))

    def delete_expired_sessions(self, now: datetime) -> int:
        with translated():
            result = self._s.execute(delete(WebSessionRow).where(WebSessionRow.expires_at <= now))
        return int(getattr(result, "rowcount", 0) or 0)

    # One-time answers of a session (security/notices.py), sealed by the caller.
    def put_notice(self, id_hash: bytes, name: str, sealed: bytes, expires_at: datetime) -> None:
        """Keep SEALED for the session until EXPIRES_AT, replacing one of the same name."""
        with translated():
            self._s.execute(
                delete(WebNoticeRow).where(
                    WebNoticeRow.session_hash == id_hash, WebNoticeRow.name == name
                )
            )
            self._s.add(
                WebNoticeRow(session_hash=id_hash, name=name, sealed=sealed, expires_at=expires_at)
            )
            self._s.flush()

    def take_notice(self, id_hash: bytes, name: str, now: datetime) -> bytes | None:
        """The notice, deleted in the same statement (two readers cannot both get it); None
        when there is none or it expired. Expired notices of every session go too."""
        with translated():
            self._s.execute(delete(WebNoticeRow).where(WebNoticeRow.expires_at <= now))
            return self._s.execute(
                delete(WebNoticeRow)
                .where(WebNoticeRow.session_hash == id_hash, WebNoticeRow.name == name)
                .returning(WebNoticeRow.sealed)
            ).scalar()


class SqlAuditLog:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, entry: AuditEntry) -> None:
        self._s.add(
            AuditRow(
                admin_code=entry.admin_code,
                id=entry.id,
                at=entry.at,
                actor_account_id=entry.actor_account_id,
                actor_username=entry.actor_username,
                actor_role=entry.actor_role,
                action=entry.action.value,
                subject_kind=entry.subject_kind,
                subject_id=entry.subject_id,
                reason=entry.reason,
                detail=entry.detail,
            )
        )

    def list(self, *, scope_code: str, limit: int = 100) -> Sequence[AuditEntry]:
        query = (
            select(AuditRow)
            .where(in_scope(AuditRow.admin_code, scope_code))
            .order_by(AuditRow.at.desc())
            .limit(_page(limit))
        )
        return [
            AuditEntry(
                id=r.id,
                admin_code=r.admin_code,
                at=r.at,
                actor_account_id=r.actor_account_id,
                actor_username=r.actor_username,
                actor_role=r.actor_role,
                action=AuditAction(r.action),
                subject_kind=r.subject_kind,
                subject_id=r.subject_id,
                reason=r.reason,
                detail=r.detail,
            )
            for r in self._s.scalars(query)
        ]
