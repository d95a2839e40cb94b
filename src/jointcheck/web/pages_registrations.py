"""The registrations page (R3, R5): a street's list of the people let in after persuasion.

- ``/registrations?day=YYYY-MM-DD`` (today by default): the street's registrations of the day,
  masked (time, place, entrance, name, ID number, phone, reason for entry, the check's outcome
  and reasons), and the day's counts per place, which stay after the registrations are purged
  (R6). Street staff see their street; the district administrator and the health authority
  choose one of the district's streets (``?street=``).
- ``/registrations/export?day=...&street=...``: the same list as an Excel workbook
  (``registrations_xlsx``); the export is audited like the page's read, and once more as an
  export (``api.street_registrations``).

Another scope's street answers 404 as if it did not exist (R6). Every value is masked: there
is no reveal of a full phone number (docs/checkpoint.md).
"""

from __future__ import annotations

from datetime import date
from http import HTTPStatus
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from jointcheck.api.errors import error_message
from jointcheck.api.routes_registrations import ReaderDep, ServiceDep, read_list
from jointcheck.api.street_registrations import StreetList, StreetRegistrations
from jointcheck.checkpoint.reasons import CheckpointReason, checkpoint_message
from jointcheck.errors import InputError
from jointcheck.policy.reasons import PolicyReason, message
from jointcheck.security.roles import Principal
from jointcheck.web.i18n import ZH
from jointcheck.web.registrations_xlsx import MEDIA_TYPE, filename, workbook
from jointcheck.web.render import render, render_error

router = APIRouter(tags=["pages"])
StreetQuery = Annotated[str, Query(max_length=12)]
NO_STORE = {"cache-control": "no-store"}


def reason_text(code: str, locale: str) -> str:
    """A policy or checkpoint reason code in the page's language, else the code itself."""
    try:
        return message(PolicyReason(code), "zh_CN" if locale == ZH else "en")
    except ValueError:
        pass
    try:
        zh, en = checkpoint_message(CheckpointReason(code))
    except ValueError:
        return code
    return zh if locale == ZH else en


def _street_code(service: StreetRegistrations, principal: Principal, asked: str) -> str | None:
    """The street asked for; by default the reader's own street, or the first one listed."""
    if asked:
        return asked.strip()
    streets = service.streets(principal)
    return streets[0].code if streets else None


def _not_found(request: Request) -> HTMLResponse:
    return render_error(request, HTTPStatus.NOT_FOUND, "NOT_FOUND", lang_path="/registrations")


def _page(
    request: Request,
    service: StreetRegistrations,
    principal: Principal,
    found: StreetList | None,
    asked: dict[str, str],
    problem: str | None = None,
) -> HTMLResponse:
    context = {
        "found": found,
        "streets": service.streets(principal),
        "asked": asked,
        "export_link": "/registrations/export?" + urlencode(asked),
        "reason_text": reason_text,
        "problem": {"code": problem, "message": error_message(problem)} if problem else None,
    }
    status = HTTPStatus.BAD_REQUEST if problem else HTTPStatus.OK
    response = render(request, "registrations.html", context, status_code=status)
    response.headers.update(NO_STORE)
    return response


@router.get("/registrations", response_class=HTMLResponse)
async def registrations_page(
    request: Request,
    principal: ReaderDep,
    service: ServiceDep,
    day: Annotated[date | None, Query()] = None,
    street: StreetQuery = "",
) -> HTMLResponse:
    code = await run_in_threadpool(_street_code, service, principal, street)
    if code is None:
        return _not_found(request)
    asked_day = day or service.today()
    asked = {"street": code, "day": asked_day.isoformat()}
    try:
        found = await run_in_threadpool(
            read_list, service, principal, code, (asked_day, None, None)
        )
    except InputError as exc:
        return await run_in_threadpool(_page, request, service, principal, None, asked, exc.code)
    if found is None:
        return _not_found(request)
    return await run_in_threadpool(_page, request, service, principal, found, asked)


@router.get("/registrations/export")
async def registrations_export(
    request: Request,
    principal: ReaderDep,
    service: ServiceDep,
    day: Annotated[date | None, Query()] = None,
    street: StreetQuery = "",
) -> Response:
    """The day's list as .xlsx, masked; the export is audited (R6)."""
    code = await run_in_threadpool(_street_code, service, principal, street)
    found = None
    if code is not None:
        days = (day or service.today(), None, None)
        found = await run_in_threadpool(read_list, service, principal, code, days, export=True)
    if found is None:
        return _not_found(request)
    body = workbook(found, getattr(request.app.state, "timezone", "Asia/Shanghai"))
    return Response(
        body,
        media_type=MEDIA_TYPE,
        headers={
            "content-disposition": f'attachment; filename="{filename(found)}"',
            **NO_STORE,
        },
    )
