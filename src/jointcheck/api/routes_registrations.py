"""The street's list of registrations over HTTP (R3, R5): ``GET /api/streets/{street_code}/
registrations?day=YYYY-MM-DD`` (or ``from`` and ``to``, a span of at most the retention days).

For the street's staff, the district administrator and the health authority
(``roles.REGISTRATION_READERS``); another street, or one that does not exist, answers 404 as
other scoped routes do (R6). Every registration in the answer is masked and its read audited
(``api.street_registrations``).
"""

from __future__ import annotations

from datetime import date
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from jointcheck.api.deps import get_registry, get_services, require_role
from jointcheck.api.errors import ApiError
from jointcheck.api.street_registrations import (
    StreetList,
    StreetRegistrations,
    days_asked,
)
from jointcheck.policy import DEFAULT_PACK
from jointcheck.security.roles import REGISTRATION_READERS, Principal

router = APIRouter(tags=["registrations"])
SERVICE_KEY = "street_registrations"
STREET_CODE = r"^[0-9]{9}$"

ReaderDep = Annotated[Principal, Depends(require_role(*REGISTRATION_READERS))]


def street_registrations(request: Request) -> StreetRegistrations:
    """The app's service, built on first use (no engine at import time)."""
    services = get_services(request)
    found = services.extras.get(SERVICE_KEY)
    if isinstance(found, StreetRegistrations):
        return found
    pack_id = str(services.extras.get("pack_id", DEFAULT_PACK))
    service = StreetRegistrations.of(get_registry(services), services.clock, pack_id)
    services.extras[SERVICE_KEY] = service
    return service


ServiceDep = Annotated[StreetRegistrations, Depends(street_registrations)]
DayQuery = Annotated[date | None, Query()]


def as_json(found: StreetList) -> dict[str, Any]:
    return {
        "street_code": found.street.code,
        "street_name": {"zh-CN": found.street.name_zh, "en": found.street.name_en},
        "from": found.first.isoformat(),
        "to": found.last.isoformat(),
        "retention_days": found.retention_days,
        "registrations": [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "place_id": e.place_id,
                "place_name": e.place_name,
                "entrance": e.entrance,
                "name": e.name,
                "id_number": e.id_number,
                "phone": e.phone,
                "purpose": e.purpose,
                "outcome": e.outcome,
                "reasons": list(e.reasons),
            }
            for e in found.entries
        ],
        "counts": [
            {
                "day": c.day.isoformat(),
                "place_id": c.place_id,
                "place_name": c.place_name,
                "registrations": c.counted,
                "registered": c.registered,
                "listed": c.listed,
                "purged": c.purged,
            }
            for c in found.counts
        ],
        "total": {"registrations": found.counted, "purged": found.purged},
    }


def read_list(
    service: StreetRegistrations,
    principal: Principal,
    street_code: str,
    days: tuple[date | None, date | None, date | None],
    *,
    export: bool = False,
) -> StreetList | None:
    """The list, or None for a street that is not PRINCIPAL's to read (answered as 404)."""
    street = service.street(principal, street_code)
    if street is None:
        return None
    first, last = days_asked(*days, service.today(), service.retention())
    return service.read(principal, street, first, last, export=export)


@router.get("/api/streets/{street_code}/registrations")
async def registrations(
    principal: ReaderDep,
    service: ServiceDep,
    street_code: Annotated[str, Path(pattern=STREET_CODE)],
    day: DayQuery = None,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """The street's registrations of a day (today by default) or a span, masked, audited."""
    found = await run_in_threadpool(read_list, service, principal, street_code, (day, first, last))
    if found is None:
        raise ApiError(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    return as_json(found)
