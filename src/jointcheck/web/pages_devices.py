"""The devices page (issue 4): enroll, list and revoke a place's entrance terminals.

For the enrolling roles (``checkpoint.ENROLLERS``: the district administrator, street staff
and grid administrators within their subtree, a place's operator for their place):

- ``/devices``: the places in the caller's scope with their count of devices, searched by
  name or address and paged;
- ``/places/{id}/devices``: a place's devices (label, entrance, enrolled, last seen, clock
  skew, bundle version, revoked) and the form that enrolls a new terminal. The form's POST
  enrolls and redirects (POST-redirect-GET) to ``?enrolled=<device id>``, which shows the token
  once, with the district root key's fingerprint, the agent's command and the entrance page's
  link: the answer waits at the server for this browser session only (sealed, five minutes,
  ``AccountService.leave_notice``) and is deleted when shown, so a reload shows the list with
  "the token was shown once" and enrolls nothing;
- ``POST /devices/revoke``: revoke a lost terminal, after the confirmation box of its row.

Another scope's place or device answers 404 as if it did not exist (R6), without repeating
the id asked for.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from jointcheck.api.checkpoint import EnrollerDep
from jointcheck.api.checkpoint_deps import ServerDep
from jointcheck.api.checkpoint_service import CheckpointServer
from jointcheck.api.deps import CsrfChecked, ServicesDep, session_of
from jointcheck.api.errors import error_message
from jointcheck.checkpoint.enrollment import agent_command
from jointcheck.errors import InputError, StoreError
from jointcheck.registry.model import Place
from jointcheck.security.roles import Principal
from jointcheck.store.checkpoint_devices import DeviceStatus
from jointcheck.web.render import render, render_error

router = APIRouter(tags=["pages"])

PAGE_SIZE = 20
MAX_SEARCH = 100
MAX_FIELD = 100
NO_STORE = {"cache-control": "no-store"}


def _server_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _not_found(request: Request) -> HTMLResponse:
    return render_error(request, HTTPStatus.NOT_FOUND, "NOT_FOUND", lang_path="/devices")


@router.get("/devices", response_class=HTMLResponse)
async def devices_page(
    request: Request,
    principal: EnrollerDep,
    server: ServerDep,
    q: Annotated[str, Query(max_length=MAX_SEARCH)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    search = q.strip()
    places, total = await run_in_threadpool(
        server.places, principal, search, PAGE_SIZE, (page - 1) * PAGE_SIZE
    )
    pages = max(1, -(-total // PAGE_SIZE))

    def page_link(number: int) -> str:
        return "/devices?" + urlencode(
            {"q": search, "page": number} if search else {"page": number}
        )

    return render(
        request,
        "devices.html",
        {
            "places": places,
            "total": total,
            "search": search,
            "page": page,
            "pages": pages,
            "previous": page_link(page - 1) if page > 1 else None,
            "next": page_link(page + 1) if page < pages else None,
        },
    )


def _entrances(place: Place) -> dict[int, str]:
    return {e.id: e.name for e in place.entrances if e.id is not None}


def _rows(server: CheckpointServer, place: Place, devices: list[DeviceStatus]) -> list[Any]:
    names = _entrances(place)
    limit_ms = server.clock_skew.total_seconds() * 1000
    return [
        {
            "device": d,
            "entrance": names.get(d.entrance_id, "") if d.entrance_id is not None else "",
            # + 0.0: a skew of a few milliseconds behind reads +0.0 s, not -0.0 s.
            "skew_s": None if d.last_skew_ms is None else round(d.last_skew_ms / 1000, 1) + 0.0,
            "skew_off": d.last_skew_ms is not None and abs(d.last_skew_ms) > limit_ms,
        }
        for d in devices
    ]


def _place_page(
    request: Request,
    server: CheckpointServer,
    place: Place,
    devices: list[DeviceStatus],
    *,
    problem: str | None = None,
    form: dict[str, str] | None = None,
    revoked: DeviceStatus | None = None,
    shown: DeviceStatus | None = None,
    status: int = HTTPStatus.OK,
) -> HTMLResponse:
    return render(
        request,
        "devices_place.html",
        {
            "place": place,
            "rows": _rows(server, place, devices),
            "active": sum(1 for d in devices if not d.revoked),
            "problem": {"code": problem, "message": error_message(problem)} if problem else None,
            "form": form or {"entrance": "", "label": ""},
            "revoked": revoked,
            "shown": shown,
        },
        status_code=status,
    )


def _place_and_devices(
    server: CheckpointServer, principal: Principal, place_id: int
) -> tuple[Place, list[DeviceStatus]] | None:
    place = server.registry.places.get(principal, place_id)
    devices = server.devices(principal, place_id) if place is not None else None
    if place is None or devices is None:
        return None
    return place, devices


@router.get("/places/{place_id}/devices", response_class=HTMLResponse)
async def place_devices_page(
    request: Request,
    place_id: int,
    principal: EnrollerDep,
    server: ServerDep,
    services: ServicesDep,
    revoked: Annotated[str, Query(max_length=40)] = "",
    enrolled: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    found = await run_in_threadpool(_place_and_devices, server, principal, place_id)
    if found is None:
        return _not_found(request)
    place, devices = found
    gone = next((d for d in devices if d.id == revoked and d.revoked), None)
    new = next((d for d in devices if d.id == enrolled), None)
    if new is None:
        return _place_page(request, server, place, devices, revoked=gone)
    answer = await run_in_threadpool(_take_answer, request, services, new.id)
    if answer is None:
        # A reload, or the link opened again: the token was shown once and is gone.
        return _place_page(request, server, place, devices, shown=new)
    return await _enrolled_page(request, server, place, new.id, answer)


def _notice_name(device_id: str) -> str:
    return f"enrolled:{device_id}"


def _leave_answer(request: Request, services: ServicesDep, device_id: str, answer: str) -> bool:
    """Keep the enrollment's answer for this browser session; False without one, or when it
    cannot be kept: the terminal is enrolled already, and its token is then shown on this
    answer itself rather than lost with an error page."""
    session = session_of(request)
    if session is None or services.accounts is None:
        return False
    try:
        services.accounts.leave_notice(
            session.session_id, _notice_name(device_id), answer, services.clock()
        )
    except StoreError:
        return False
    return True


def _take_answer(request: Request, services: ServicesDep, device_id: str) -> dict[str, str] | None:
    session = session_of(request)
    if session is None or services.accounts is None:
        return None
    text = services.accounts.take_notice(
        session.session_id, _notice_name(device_id), services.clock()
    )
    return None if text is None else dict(json.loads(text))


async def _enrolled_page(
    request: Request, server: CheckpointServer, place: Place, device_id: str, answer: dict[str, str]
) -> HTMLResponse:
    """The one page that shows a new terminal's token, with what to do with it."""
    base = _server_url(request)
    token = answer["token"]
    fingerprint = await run_in_threadpool(server.root_fingerprint)
    context = {
        "place": place,
        "device_id": device_id,
        "entrance": answer["entrance"],
        "label": answer["label"],
        "token": token,
        "fingerprint": fingerprint,
        "command": agent_command(base, token, fingerprint),
        "entrance_link": f"{base}/entrance?{urlencode({'token': token})}",
    }
    # The token is shown this once: the page is not kept by the browser or a proxy.
    response = render(request, "devices_enrolled.html", context)
    response.headers.update(NO_STORE)
    return response


@router.post("/places/{place_id}/devices", response_class=HTMLResponse)
async def enroll_submit(
    request: Request,
    place_id: int,
    principal: EnrollerDep,
    server: ServerDep,
    services: ServicesDep,
    _csrf: CsrfChecked,
    entrance: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    label: Annotated[str, Form(max_length=MAX_FIELD)] = "",
) -> Response:
    """Enroll, then POST-redirect-GET: the answer (with the token) waits for this browser
    session at the server, and the page it is redirected to shows it once; a reload of that
    page enrolls nothing and shows no token (the token is never in a URL)."""
    found = await run_in_threadpool(_place_and_devices, server, principal, place_id)
    if found is None:
        return _not_found(request)
    place, devices = found
    entrance, label = entrance.strip(), label.strip()
    try:
        device, token = await run_in_threadpool(server.enroll, principal, place_id, entrance, label)
    except InputError as exc:
        form = {"entrance": entrance, "label": label}
        return _place_page(
            request, server, place, devices, problem=exc.code, form=form,
            status=HTTPStatus.BAD_REQUEST,
        )  # fmt: skip
    answer = json.dumps({"token": token, "entrance": entrance, "label": label})
    if not await run_in_threadpool(_leave_answer, request, services, device.id, answer):
        return await _enrolled_page(request, server, place, device.id, json.loads(answer))
    target = f"/places/{place_id}/devices?{urlencode({'enrolled': device.id})}"
    return RedirectResponse(target, status_code=HTTPStatus.SEE_OTHER)


@router.post("/devices/revoke")
async def revoke_submit(
    request: Request,
    principal: EnrollerDep,
    server: ServerDep,
    _csrf: CsrfChecked,
    device_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Revoke a terminal (the place page's confirmation box posts here; the device's id is in
    the form, not the path, so that no answer repeats another scope's id)."""
    device = await run_in_threadpool(server.device_status, principal, device_id)
    if device is None:
        return _not_found(request)
    if not device.revoked:
        # False only when revoked meanwhile: done either way.
        await run_in_threadpool(server.revoke, principal, device.id)
    target = f"/places/{device.place_id}/devices?{urlencode({'revoked': device.id})}"
    return RedirectResponse(target, status_code=HTTPStatus.SEE_OTHER)
