"""The unit of work: one session, one transaction, the repositories over it.

Nothing commits on its own (DESIGN.md): a service calls ``commit()``; leaving the ``with``
block without it rolls back, so a failed use case leaves nothing half-written.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from jointcheck.store.faults import translated
from jointcheck.store.persons import SqlPersons
from jointcheck.store.repositories import SqlAccounts, SqlAdminUnits, SqlAuditLog, SqlPlaces


class SqlUnitOfWork:
    units: SqlAdminUnits
    places: SqlPlaces
    persons: SqlPersons
    accounts: SqlAccounts
    audit: SqlAuditLog
    session: Session

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory

    def __enter__(self) -> Self:
        self.session = self._factory()
        self.units = SqlAdminUnits(self.session)
        self.places = SqlPlaces(self.session)
        self.persons = SqlPersons(self.session)
        self.accounts = SqlAccounts(self.session)
        self.audit = SqlAuditLog(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        with translated():
            self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
