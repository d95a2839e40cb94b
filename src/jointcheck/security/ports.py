"""What the security services need from storage, as protocols the store implements.

Services never import SQLAlchemy (DESIGN.md dependency rule): ``store.uow.SqlUnitOfWork``
satisfies ``SecurityUnitOfWork`` structurally, and tests can pass a fake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from jointcheck.security.roles import Role


class AuditAction(StrEnum):
    PERSONAL_DATA_READ = "personal_data.read"  # decrypted, full values
    PERSONAL_DATA_READ_MASKED = "personal_data.read_masked"  # decrypted, shown masked
    HEALTH_CODE_CHANGE = "health_code.change"
    VACCINATION_RECORD = "vaccination.record"
    CONTRAINDICATION_RECORD = "contraindication.record"
    PERSON_ENROLL = "person.enroll"
    PERSON_MOVE = "person.move"
    ACCOUNT_CREATE = "account.create"
    FAMILY_LINK = "family.link"
    FAMILY_UNLINK = "family.unlink"
    DEVICE_ENROLL = "device.enroll"  # an entrance terminal given a token (issue 4)
    DEVICE_REVOKE = "device.revoke"  # a lost terminal's token withdrawn
    ROOT_KEY_ROTATE = "root_key.rotate"  # the district root key replaced, old one endorsing
    REGISTRATIONS_EXPORT = "registrations.export"  # a street's list exported (R3, R5)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who did what, when and why (R6). ``detail`` never carries personal data in clear."""

    id: UUID
    admin_code: str  # the subject's administrative code: the log is sharded like the data
    at: datetime
    actor_account_id: int | None
    actor_username: str
    actor_role: str
    action: AuditAction
    subject_kind: str
    subject_id: str
    reason: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class AccountRecord:
    id: int | None
    username: str
    password_hash: str
    role: Role
    scope_code: str
    display_name: str = ""
    place_id: int | None = None
    person_id: UUID | None = None
    active: bool = True


class AuditLog(Protocol):
    def add(self, entry: AuditEntry) -> None: ...

    def list(self, *, scope_code: str, limit: int = 100) -> Sequence[AuditEntry]: ...


class AccountRepository(Protocol):
    def get(self, account_id: int) -> AccountRecord | None: ...

    def get_by_username(self, username: str) -> AccountRecord | None: ...

    def add(self, record: AccountRecord) -> int: ...

    def usernames(self) -> set[str]: ...

    def list(self, *, scope_code: str) -> Sequence[AccountRecord]: ...

    def add_session(
        self, id_hash: bytes, account_id: int, created_at: datetime, expires_at: datetime
    ) -> None: ...

    def session_account(self, id_hash: bytes, now: datetime) -> int | None: ...

    def delete_session(self, id_hash: bytes) -> None: ...

    def delete_expired_sessions(self, now: datetime) -> int: ...

    def put_notice(
        self, id_hash: bytes, name: str, sealed: bytes, expires_at: datetime
    ) -> None: ...

    def take_notice(self, id_hash: bytes, name: str, now: datetime) -> bytes | None: ...


class SecurityUnitOfWork(Protocol):
    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def audit(self) -> AuditLog: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
