"""Account services over a fake unit of work (no database): sign-in and creation rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Self
from uuid import UUID

import pytest
from argon2 import PasswordHasher

from jointcheck.errors import InputError
from jointcheck.security.accounts import AccountService, NewAccount
from jointcheck.security.audit import Auditor, AuditTrail
from jointcheck.security.ports import AccountRecord, AuditEntry
from jointcheck.security.roles import AccessDenied, Principal, Role, within

CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
NOW = datetime(2021, 9, 6, 2, 0, tzinfo=UTC)


class FakeAccounts:
    def __init__(self) -> None:
        self.rows: dict[int, AccountRecord] = {}

    def get(self, account_id: int) -> AccountRecord | None:
        return self.rows.get(account_id)

    def get_by_username(self, username: str) -> AccountRecord | None:
        return next((r for r in self.rows.values() if r.username == username), None)

    def add(self, record: AccountRecord) -> int:
        new_id = len(self.rows) + 1
        self.rows[new_id] = replace(record, id=new_id)
        return new_id

    def usernames(self) -> set[str]:
        return {r.username for r in self.rows.values()}

    def list(self, *, scope_code: str) -> list[AccountRecord]:
        return [r for r in self.rows.values() if within(r.scope_code, scope_code)]


class FakeAudit:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def add(self, entry: AuditEntry) -> None:
        self.entries.append(entry)

    def list(self, *, scope_code: str, limit: int = 100) -> list[AuditEntry]:
        return [e for e in reversed(self.entries) if within(e.admin_code, scope_code)][:limit]


class FakeUnitOfWork:
    """Keeps what is committed; what is not committed is thrown away on exit."""

    def __init__(self) -> None:
        self.accounts = FakeAccounts()
        self.audit = FakeAudit()
        self.committed = 0
        self._saved: tuple[dict[int, AccountRecord], list[AuditEntry]] = ({}, [])

    def __enter__(self) -> Self:
        self._saved = (dict(self.accounts.rows), list(self.audit.entries))
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()

    def commit(self) -> None:
        self.committed += 1
        self._saved = (dict(self.accounts.rows), list(self.audit.entries))

    def rollback(self) -> None:
        self.accounts.rows, self.audit.entries = dict(self._saved[0]), list(self._saved[1])


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


def service(uow: FakeUnitOfWork) -> AccountService:
    ids = iter(UUID(int=i) for i in range(1, 1000))
    return AccountService(
        lambda: uow,
        Auditor(clock=lambda: NOW, new_id=lambda: next(ids)),
        password_hasher=CHEAP.hash,
    )


def admin() -> Principal:
    return Principal(99, "admin", Role.DISTRICT_ADMIN, "370704")


def test_a_created_account_signs_in_and_the_creation_is_committed_and_audited(uow):
    accounts = service(uow)
    made = accounts.create(
        admin(), NewAccount("zhao.grid", "grid password 1", Role.COMMUNITY_ADMIN, "370704001001")
    )
    assert uow.committed == 1
    assert accounts.authenticate(" zhao.grid ", "grid password 1") == made
    assert accounts.authenticate("zhao.grid", "grid password 2") is None
    (entry,) = uow.audit.entries
    assert (entry.action, entry.actor_username, entry.at) == ("account.create", "admin", NOW)


def test_a_deactivated_account_neither_signs_in_nor_resolves(uow):
    uow.accounts.add(
        AccountRecord(
            None,
            "gone",
            CHEAP.hash("old password 12"),
            Role.STREET_STAFF,
            "370704001",
            active=False,
        )
    )
    accounts = service(uow)
    assert accounts.authenticate("gone", "old password 12") is None
    assert accounts.principal(1) is None


def test_a_refused_creation_leaves_nothing_behind(uow):
    accounts = service(uow)
    with pytest.raises(InputError):
        accounts.create(admin(), NewAccount("x", "short", Role.STREET_STAFF, "370704001"))
    with pytest.raises(AccessDenied):
        accounts.create(
            admin(), NewAccount("x.y", "long password 12", Role.STREET_STAFF, "370705001")
        )
    assert uow.accounts.rows == {}
    assert uow.audit.entries == []


def test_the_trail_answers_readers_within_their_scope(uow):
    accounts = service(uow)
    accounts.create(
        admin(), NewAccount("a.one", "long password 12", Role.STREET_STAFF, "370704001")
    )
    accounts.create(
        admin(), NewAccount("a.two", "long password 12", Role.STREET_STAFF, "370704002")
    )
    trail = AuditTrail(lambda: uow)
    street_1 = Principal(1, "a.one", Role.STREET_STAFF, "370704001")
    assert [e.admin_code for e in trail.entries(street_1)] == ["370704001"]
    assert trail.entries(street_1, admin_code="370704") == []
    assert len(trail.entries(admin())) == 2
    resident = Principal(3, "r", Role.RESIDENT, "370704001001001")
    assert trail.entries(resident) == []
