"""The checkpoint API (issue 4): enroll and revoke devices, the signed bundle, batches of
checks, registrations and overrides, server-side scans and the ID-document path (R14), the
server's time, and the day's counts.

A device authenticates with its token (``Authorization: Bearer``); the entrance page served
by the server for an enrolled device carries the token in an HttpOnly cookie instead, and its
posts then need the CSRF header like any cookie-authenticated call. A device only ever reaches
its own place (R6).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from jointcheck.api import checkpoint_pages
from jointcheck.api.checkpoint_deps import DeviceDep, ServerDep, services_of
from jointcheck.api.checkpoint_schemas import (
    EnrollIn,
    IdDocumentIn,
    OverrideRequestIn,
    PaperColourIn,
    RegisterIn,
    ScanIn,
    parse_body,
)
from jointcheck.api.checkpoint_service import device_principal
from jointcheck.api.deps import csrf_header_checked, require_role
from jointcheck.api.errors import ApiError
from jointcheck.checkpoint.model import Registration, ScreenResult
from jointcheck.credentials.keyfiles import public_pem
from jointcheck.security.roles import ENROLLERS, Principal

api = APIRouter(prefix="/api/checkpoint", tags=["checkpoint"])
EnrollerDep = Annotated[Principal, Depends(require_role(*ENROLLERS))]


@api.get("/time")
async def server_time(request: Request) -> dict[str, str]:
    """The server's clock, for a device's skew (issue 4: compared at each sync)."""
    return {"now": services_of(request).clock().isoformat()}


@api.post("/devices", dependencies=[Depends(csrf_header_checked)])
def enroll(body: EnrollIn, principal: EnrollerDep, server: ServerDep) -> dict[str, Any]:
    """Enroll a device for a place (and entrance) in the caller's scope; the token once.

    With it the district root key's fingerprint, which the operator gives the agent
    (``--root-key``): the agent pins the root key only if the server offers that one.
    """
    device, token = server.enroll(principal, body.place_id, body.entrance, body.label)
    return {
        "device_id": device.id,
        "token": token,
        "place_id": device.place_id,
        "street_code": device.street_code,
        "root_kid": device.root_kid,
        "root_fingerprint": server.root_fingerprint(),
        "root_public_key": public_pem(server.root_public()).decode("ascii"),
    }


@api.post("/devices/{device_id}/revoke", dependencies=[Depends(csrf_header_checked)])
def revoke(device_id: str, principal: EnrollerDep, server: ServerDep) -> dict[str, Any]:
    """Revoke a lost terminal's token: it is refused from the next request on."""
    if not server.revoke(principal, device_id):
        raise ApiError(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    return {"device_id": device_id, "revoked": True}


@api.get("/device")
def device_info(device: DeviceDep, server: ServerDep) -> dict[str, Any]:
    """Who the token is: its station, and the district root key the agent pins."""
    station = server.station(device)
    place = server.registry.places.get(device_principal(device), device.place_id)
    return {
        "station": {
            "device_id": station.device_id,
            "place_id": station.place_id,
            # For the entrance page's header (the agent keeps it with the station).
            "place_name": place.name if place is not None else station.place_id,
            "entrance_id": station.entrance_id,
            "street_code": station.street_code,
            "category": station.category,
        },
        "root_kid": device.root_kid,
        "root_fingerprint": server.root_fingerprint(),
        "root_public_key": public_pem(server.root_public()).decode("ascii"),
        # After a rotation: how an agent pinned to an earlier key reaches this one.
        "root_endorsements": server.endorsements(),
    }


@api.get("/bundle")
def bundle(device: DeviceDep, server: ServerDep) -> Response:
    """The signed bundle, exactly as signed (the device checks it with its pinned key)."""
    del device
    row = server.bundle_document()
    return Response(
        row.document,
        media_type="application/json",
        headers={"X-Bundle-Version": str(row.version), "Cache-Control": "no-store"},
    )


@api.post("/events", openapi_extra={"requestBody": {"content": {"application/json": {}}}})
async def events(request: Request, device: DeviceDep, server: ServerDep) -> dict[str, Any]:
    """A batch of a device's events: stored once each, the bad ones refused by id."""
    body = await request.body()
    try:
        parsed, skew_ms = parse_body(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_input=False)) from exc
    result = await run_in_threadpool(
        server.ingest,
        device,
        parsed.checks,
        parsed.registrations,
        parsed.overrides,
        parsed.refused,
        skew_ms,
    )
    return {
        "accepted": result.accepted,
        "refused": [{"id": i, "code": c} for i, c in result.refused.items()],
    }


def _in_body(errors: list[Any]) -> list[Any]:
    """Errors of a body validated by hand, located as the framework locates its own."""
    return [{**e, "loc": ("body", *e["loc"])} for e in errors]


def _screen(screen: ScreenResult) -> dict[str, Any]:
    return screen.as_dict()


@api.post(
    "/scan",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ScanIn.model_json_schema()}},
        }
    },
)
async def scan(request: Request, device: DeviceDep, server: ServerDep) -> JSONResponse:
    """Decide at the server for one person (or a family, R14) and store the checks."""
    # The body is validated here in one pass over its JSON (pydantic's own parser), not by the
    # framework's JSON decoding and model field: the scan is the terminals' hot path.
    try:
        body = ScanIn.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(_in_body(exc.errors(include_input=False))) from exc
    results = await server.scan_async(device, body.groups())
    # The body as it is: a plain dict of strings needs no encoding pass by the framework.
    return JSONResponse({"results": [_screen(s) for _, s in results]})


@api.post("/id-document")
def id_document(body: IdDocumentIn, device: DeviceDep, server: ServerDep) -> dict[str, Any]:
    """R14: a person without a phone, looked up by document; the same kind of decision."""
    record, screen = server.id_document(device, body.document_type, body.number, store=body.store)
    return {"record": record.as_dict(), "result": _screen(screen)}


@api.post("/paper-colour")
def paper_colour(body: PaperColourIn, device: DeviceDep, server: ServerDep) -> dict[str, str]:
    """A paper health code's current colour (issue 4), for an agent deciding while online.

    The keyed subject hash the code carries in, the health authority's colour out, and
    nothing else; only for a person of the device's district (``SUBJECT_UNKNOWN`` otherwise,
    as for no one at all, so the answer does not tell the two apart).
    """
    colour = server.registry.persons.colour_by_subject(device_principal(device), body.subject_hash)
    if colour is None:
        raise ApiError(HTTPStatus.NOT_FOUND, "SUBJECT_UNKNOWN")
    return {"colour": colour.value}


@api.post("/register")
def register(body: RegisterIn, device: DeviceDep, server: ServerDep) -> dict[str, Any]:
    """R3 at the server: a persuaded person registered, admitted ADMIT_REGISTERED."""
    person = Registration(
        name=body.name, id_number=body.id_number, phone=body.phone, purpose=body.purpose
    )
    screen = server.register(device, body.check_id, person, body.document_type)
    return {"result": _screen(screen)}


@api.post("/override")
def override(body: OverrideRequestIn, device: DeviceDep, server: ServerDep) -> dict[str, Any]:
    """Admit against a DENY with a reason; recorded and audited."""
    screen = server.override(device, body.check_id, body.reason, body.staff)
    return {"result": _screen(screen)}


@api.get("/counts")
async def counts(device: DeviceDep, server: ServerDep) -> dict[str, Any]:
    """The day's counts of the device's place (Asia/Shanghai day)."""
    found = await run_in_threadpool(server.counts, device.place_id)
    return {"place_id": device.place_id, "counts": found}


# The API and the entrance page the server serves, mounted by the app as one router.
router = APIRouter()
router.include_router(api)
router.include_router(checkpoint_pages.router)
