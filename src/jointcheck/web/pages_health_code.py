"""The health authority's health-code page (issue 4, R6): find a person by ID document, see
their current colour, change it with a reason and an optional "until", after a confirmation.

- ``GET /health-codes``: the search form (document type and number);
- ``POST /health-codes``: finds the person through the keyed look-up hash and redirects
  (POST-redirect-GET) to their page, so that the document number is never in a URL;
- ``GET /health-codes/{person_id}``: the person masked, their colour (word, colour and shape),
  reason, since and until, and the change form; ``?changed=1`` after a change;
- ``POST /health-codes/{person_id}``: without ``confirmed`` the change is checked and shown
  for confirmation; with it, made (audited by the service) and redirected to the person's page.

Only the health authority's accounts reach these pages; a person of another district answers
404 ``HEALTH_CODE_PERSON_UNKNOWN`` as if absent. "Until" is typed in the deployment's time
zone (Asia/Shanghai) and kept in UTC (house rule 3).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from jointcheck.api.deps import CsrfChecked, NowDep, RegistryDep, ServicesDep
from jointcheck.api.errors import error_message
from jointcheck.api.routes_health_code import HealthAuthorityDep, desk_of
from jointcheck.errors import InputError
from jointcheck.registry.code_change import (
    CodeChange,
    HealthCodeInputError,
    change_faults,
    check_change,
    parse_until,
)
from jointcheck.registry.health_code import CodeCard, PersonUnknown
from jointcheck.security.idcard import DocumentType
from jointcheck.security.roles import Principal
from jointcheck.web.render import render

router = APIRouter(tags=["pages"])

MAX_FIELD = 200
NO_STORE = {"cache-control": "no-store"}
COLOURS = ("green", "yellow", "red")


def _problem(code: str) -> dict[str, Any]:
    return {"code": code, "message": error_message(code)}


def _find_page(
    request: Request, *, problem: str | None = None, document_type: str = "", status: int = 200
) -> HTMLResponse:
    context = {
        "document_types": [d.value for d in DocumentType],
        "document_type": document_type or DocumentType.RESIDENT_ID_CARD.value,
        "problem": _problem(problem) if problem else None,
    }
    response = render(request, "health_codes.html", context, status_code=status)
    response.headers.update(NO_STORE)
    return response


def _card_page(
    request: Request,
    card: CodeCard,
    *,
    form: dict[str, str] | None = None,
    faults: dict[str, str] | None = None,
    confirm: CodeChange | None = None,
    changed: bool = False,
    status: int = HTTPStatus.OK,
) -> HTMLResponse:
    context = {
        "card": card,
        "colours": COLOURS,
        "form": form or {"colour": "", "reason": "", "until": ""},
        "faults": {k: _problem(v) for k, v in (faults or {}).items()},
        "confirm": confirm,
        "changed": changed,
    }
    response = render(request, "health_code_person.html", context, status_code=status)
    response.headers.update(NO_STORE)
    return response


@router.get("/health-codes", response_class=HTMLResponse)
async def health_codes_page(request: Request, principal: HealthAuthorityDep) -> HTMLResponse:
    del principal
    return _find_page(request)


@router.post("/health-codes", response_class=HTMLResponse)
async def find_submit(
    request: Request,
    principal: HealthAuthorityDep,
    registry: RegistryDep,
    now: NowDep,
    _csrf: CsrfChecked,
    document_type: Annotated[str, Form(max_length=30)] = DocumentType.RESIDENT_ID_CARD.value,
    number: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    desk = desk_of(registry)
    try:
        person_id = await run_in_threadpool(desk.find, principal, document_type, number, now)
    except PersonUnknown as exc:
        return _find_page(request, problem=exc.code, document_type=document_type, status=404)
    except InputError as exc:  # a wrong check digit, an unknown document type
        return _find_page(request, problem=exc.code, document_type=document_type, status=422)
    return RedirectResponse(f"/health-codes/{person_id}", status_code=HTTPStatus.SEE_OTHER)


async def _card(
    request: Request, registry: RegistryDep, principal: Principal, person_id: str
) -> CodeCard | HTMLResponse:
    """The person's card, or the 404 page (an unknown id, or another district's person)."""
    try:
        wanted = UUID(person_id)
    except ValueError:
        wanted = None
    card = None
    if wanted is not None:
        with suppress(PersonUnknown):
            card = await run_in_threadpool(desk_of(registry).card, principal, wanted)
    if card is None:
        return _find_page(request, problem=PersonUnknown.code, status=HTTPStatus.NOT_FOUND)
    return card


@router.get("/health-codes/{person_id}", response_class=HTMLResponse)
async def person_page(
    request: Request,
    person_id: str,
    principal: HealthAuthorityDep,
    registry: RegistryDep,
    changed: str = "",
) -> HTMLResponse:
    card = await _card(request, registry, principal, person_id)
    if isinstance(card, HTMLResponse):
        return card
    return _card_page(request, card, changed=changed == "1")


class ChangeForm(BaseModel):
    """The change form's fields (its CSRF token is read by ``csrf_checked``)."""

    colour: str = Field(default="", max_length=20)
    reason: str = Field(default="", max_length=MAX_FIELD * 5)
    until: str = Field(default="", max_length=40)  # datetime-local: 2021-09-20T18:00
    confirmed: str = Field(default="", max_length=5)


@router.post("/health-codes/{person_id}", response_class=HTMLResponse)
async def change_submit(
    request: Request,
    person_id: str,
    principal: HealthAuthorityDep,
    registry: RegistryDep,
    services: ServicesDep,
    now: NowDep,
    _csrf: CsrfChecked,
    body: Annotated[ChangeForm, Form()],
) -> Response:
    card = await _card(request, registry, principal, person_id)
    if isinstance(card, HTMLResponse):
        return card
    form = {"colour": body.colour, "reason": body.reason, "until": body.until}
    zone = ZoneInfo(services.settings.timezone)
    faults = _faults(body, zone, now)
    if faults:
        return _card_page(request, card, form=form, faults=faults, status=422)
    change = check_change(body.colour, body.reason, parse_until(body.until, zone), now)
    if body.confirmed != "yes":
        return _card_page(request, card, form=form, confirm=change)
    desk = desk_of(registry)
    await run_in_threadpool(desk.change, principal, card.person.id, change, now)
    target = f"/health-codes/{card.person.id}?changed=1"
    return RedirectResponse(target, status_code=HTTPStatus.SEE_OTHER)


def _faults(body: ChangeForm, zone: ZoneInfo, now: datetime) -> dict[str, str]:
    try:
        parsed = parse_until(body.until, zone)
    except HealthCodeInputError as exc:
        return {**change_faults(body.colour, body.reason, None, now), "until": exc.code}
    return change_faults(body.colour, body.reason, parsed, now)
