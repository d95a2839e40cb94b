"""The audit trail of personal-data reads and status changes (R6).

Every read of decrypted personal data and every health-code change is written in the same
transaction as the work it records, so that no read escapes the log: if the audit row cannot
be written, the read is not returned.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID, uuid4

from jointcheck.errors import InputError
from jointcheck.security.ports import AuditAction, AuditEntry, AuditLog, SecurityUnitOfWork
from jointcheck.security.roles import PersonRef, Principal, Role, within

MAX_REASON = 500


def utc_now() -> datetime:
    return datetime.now(UTC)


def require_reason(reason: str) -> str:
    """A read of personal data states why (R6); an empty reason refuses the read."""
    reason = reason.strip()
    if not reason:
        raise InputError("a reason is required to read personal data", code="AUDIT_REASON_REQUIRED")
    if len(reason) > MAX_REASON:
        raise InputError(
            f"reason longer than {MAX_REASON} characters", code="AUDIT_REASON_TOO_LONG"
        )
    return reason


@dataclass(frozen=True, slots=True)
class Auditor:
    """Builds audit entries; the caller's unit of work stores them with the work itself."""

    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], UUID] = field(default=uuid4)

    def entry(
        self,
        principal: Principal,
        action: AuditAction,
        *,
        admin_code: str,
        subject_kind: str,
        subject_id: str,
        reason: str,
        detail: dict[str, object] | None = None,
    ) -> AuditEntry:
        return AuditEntry(
            id=self.new_id(),
            admin_code=admin_code,
            at=self.clock(),
            actor_account_id=principal.account_id,
            actor_username=principal.username,
            actor_role=principal.role.value,
            action=action,
            subject_kind=subject_kind,
            subject_id=subject_id,
            reason=reason,
            detail=json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str),
        )

    def personal_data_read(
        self,
        log: AuditLog,
        principal: Principal,
        person: PersonRef,
        *,
        fields: Iterable[str],
        reason: str,
        masked: bool = False,
    ) -> None:
        action = AuditAction.PERSONAL_DATA_READ_MASKED if masked else AuditAction.PERSONAL_DATA_READ
        log.add(
            self.entry(
                principal,
                action,
                admin_code=person.admin_code,
                subject_kind="person",
                subject_id=str(person.id),
                reason=require_reason(reason),
                detail={"fields": sorted(fields)},
            )
        )


# Who reads the trail: the district administrator and the health authority for the district,
# street staff for their street (R5, R6). Others are the ones being audited.
AUDIT_READERS = frozenset({Role.DISTRICT_ADMIN, Role.HEALTH_AUTHORITY, Role.STREET_STAFF})


class AuditTrail:
    """Reading the audit log, within the reader's scope."""

    def __init__(self, uow: Callable[[], SecurityUnitOfWork]) -> None:
        self._uow = uow

    def entries(
        self, principal: Principal, *, admin_code: str | None = None, limit: int = 100
    ) -> Sequence[AuditEntry]:
        scope = admin_code or principal.scope_code
        if principal.role not in AUDIT_READERS or not within(scope, principal.scope_code):
            return []
        with self._uow() as uow:
            return uow.audit.list(scope_code=scope, limit=limit)
