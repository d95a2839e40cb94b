"""The health authority's code desk (issue 4, R6): find a person by their ID document, see
their current health-code colour, and change it with a reason and an optional end.

Only a health-authority account changes a colour, within its district; each change is audited
by ``HealthRecordService.change_code`` (``health_code.change``: the account, the person's id,
the colours before and after, the reason; never the document number). The person is found
through the keyed look-up hash of their document, as at an entrance (R14), never by searching
plaintext; showing them is an audited masked read. Someone outside the district answers as
unknown (``HEALTH_CODE_PERSON_UNKNOWN``), so that no one probes other districts.

The checks of a change itself are in ``code_change`` (pure).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from jointcheck.errors import InputError
from jointcheck.registry.code_change import CodeChange, HealthCodeInputError
from jointcheck.registry.health import HealthRecordService
from jointcheck.registry.model import HealthCodeStatus, PersonSummary
from jointcheck.registry.persons import PersonService, document_kind
from jointcheck.security.idcard import check_document
from jointcheck.security.roles import AccessDenied, Principal, may_change_health_code

FIND_REASON = "health authority: the person's health-code colour (issue 4)"


class PersonUnknown(InputError):  # noqa: N818 - an outcome, named as users see it
    """No person with this document in the caller's district (404 at the API)."""

    code = "HEALTH_CODE_PERSON_UNKNOWN"


@dataclass(frozen=True, slots=True)
class CodeCard:
    """What the desk shows of a person: masked (house rule 4), and their current status."""

    person: PersonSummary
    status: HealthCodeStatus | None


class HealthCodeDesk:
    """Find, show and change a person's health-code colour, as the health authority."""

    def __init__(self, persons: PersonService, health: HealthRecordService) -> None:
        self._persons = persons
        self._health = health

    def _allowed(self, principal: Principal) -> None:
        if not may_change_health_code(principal):
            raise AccessDenied("only the health authority changes a health-code colour")

    def find(self, principal: Principal, document_type: str, number: str, now: datetime) -> UUID:
        """The id of the person with this document in the caller's district."""
        self._allowed(principal)
        kind = document_kind(document_type)
        check = check_document(kind, number, now.date())
        if not check.ok:
            raise HealthCodeInputError("the document number is not valid", code="ID_NUMBER_INVALID")
        found = self._persons.find(principal, kind, check.number, reason=FIND_REASON)
        if found is None:
            raise PersonUnknown("no person with this document in your district")
        return found.id

    def card(self, principal: Principal, person_id: UUID) -> CodeCard:
        """The person masked and their current status (the masked read is audited)."""
        self._allowed(principal)
        person = self._persons.summary(principal, person_id, reason=FIND_REASON)
        health = self._persons.health(principal, person_id)
        if person is None or health is None:
            raise PersonUnknown(f"no person {person_id} in your district")
        return CodeCard(person=person, status=health.code)

    def change(
        self, principal: Principal, person_id: UUID, change: CodeChange, now: datetime
    ) -> HealthCodeStatus:
        self._allowed(principal)
        try:
            return self._health.change_code(
                principal,
                person_id,
                change.colour,
                reason=change.reason,
                until=change.until,
                now=now,
            )
        except InputError as exc:
            if exc.code == "PERSON_NOT_FOUND":
                raise PersonUnknown(f"no person {person_id} in your district") from exc
            raise
