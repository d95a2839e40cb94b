"""``POST /api/persons/health-code``: the health authority changes a person's health-code
colour (issue 4, R6).

The person is named by their ID document and found through the keyed look-up hash, as on the
ID-document path (R14); the answer shows them masked with the new status. Only a
health-authority account may call it, for persons of its district: every other role is
refused (403), and a person of another district answers as unknown (404
``HEALTH_CODE_PERSON_UNKNOWN``). A bad colour, a missing reason or an ``until`` that is naive
or past is 422 with its code (``registry.code_change``). Each change is audited
(``health_code.change``) by the service. The document number is never echoed back.
"""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from jointcheck.api.deps import NowDep, RegistryDep, csrf_header_checked, require_role
from jointcheck.api.errors import ApiError
from jointcheck.api.routes_family import DocumentIn
from jointcheck.bootstrap import Registry
from jointcheck.registry.code_change import HealthCodeInputError, check_change
from jointcheck.registry.health_code import CodeCard, HealthCodeDesk, PersonUnknown
from jointcheck.registry.model import HealthCodeStatus
from jointcheck.security.roles import Principal, Role
from jointcheck.web.i18n import both

router = APIRouter(prefix="/api/persons", tags=["health-code"])
HealthAuthorityDep = Annotated[Principal, Depends(require_role(Role.HEALTH_AUTHORITY))]


class HealthCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document: DocumentIn
    # Free text, so that a wrong colour is answered with our own code, not pydantic's.
    colour: str = Field(max_length=20)
    reason: str = Field(default="", max_length=1000)
    until: datetime | None = None


def desk_of(registry: Registry) -> HealthCodeDesk:
    return HealthCodeDesk(registry.persons, registry.health)


def person_json(card: CodeCard) -> dict[str, Any]:
    person = card.person
    return {
        "id": str(person.id),
        "masked_name": person.masked_name,
        "document_type": person.document_type,
        "masked_number": person.masked_number,
        "birth_year": person.birth_year,
    }


def status_json(status: HealthCodeStatus | None, changed_by: str = "") -> dict[str, Any] | None:
    if status is None:
        return None
    return {
        "colour": status.colour.value,
        "colour_label": both(f"colour.{status.colour.value}"),
        "reason": status.reason,
        "since": status.since.isoformat(),
        "until": status.until.isoformat() if status.until else None,
        "changed_by": {"account_id": status.changed_by, "username": changed_by or None},
    }


def _change(
    desk: HealthCodeDesk, principal: Principal, body: HealthCodeIn, now: datetime
) -> tuple[CodeCard, HealthCodeStatus]:
    change = check_change(body.colour, body.reason, body.until, now)
    person_id = desk.find(principal, body.document.document_type, body.document.number, now)
    status = desk.change(principal, person_id, change, now)
    return desk.card(principal, person_id), status


@router.post("/health-code", dependencies=[Depends(csrf_header_checked)])
async def change_health_code(
    body: HealthCodeIn, principal: HealthAuthorityDep, registry: RegistryDep, now: NowDep
) -> dict[str, Any]:
    try:
        card, status = await run_in_threadpool(_change, desk_of(registry), principal, body, now)
    except HealthCodeInputError as exc:
        raise ApiError(HTTPStatus.UNPROCESSABLE_ENTITY, exc.code) from exc
    except PersonUnknown as exc:
        raise ApiError(HTTPStatus.NOT_FOUND, exc.code) from exc
    return {"person": person_json(card), "status": status_json(status, principal.username)}
