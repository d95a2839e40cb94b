"""The entrance page served by the district server for an enrolled device (issue 4).

``/entrance?token=...`` (the link an operator opens once on the terminal) stores the device
token in an HttpOnly cookie and sends the browser on to ``/entrance``; the page then calls the
checkpoint API with that cookie and the CSRF header. Without the network a terminal runs the
agent instead (``jointcheck checkpoint``), which serves the same page on localhost. The
header names the place and the entrance as staff know them (百货大楼 · north), not by id.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from jointcheck.api.agent_app import entrance_page
from jointcheck.api.checkpoint_deps import DEVICE_COOKIE, DeviceDep, ServerDep
from jointcheck.api.checkpoint_service import device_principal
from jointcheck.api.errors import ApiError
from jointcheck.api.qr_image import decode_qr_image

router = APIRouter()
MAX_FRAME_BYTES = 2 * 1024 * 1024
COOKIE_SECONDS = 30 * 24 * 3600


@router.get("/entrance", response_class=HTMLResponse)
async def entrance(
    request: Request,
    server: ServerDep,
    token: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The entrance page of the device whose token is in the cookie (or given once here)."""
    if token:
        device = await run_in_threadpool(server.device_for_token, token)
        if device is None:
            raise ApiError(HTTPStatus.UNAUTHORIZED, "DEVICE_UNKNOWN")
        answer = RedirectResponse("/entrance", status_code=HTTPStatus.SEE_OTHER)
        secure = request.app.state.services.settings.secure_cookies
        answer.set_cookie(
            DEVICE_COOKIE, token, max_age=COOKIE_SECONDS, httponly=True, samesite="strict",
            secure=secure,
        )  # fmt: skip
        return answer
    cookie = request.cookies.get(DEVICE_COOKIE, "")
    if not cookie:
        # Opened from the home page or a bookmark on a browser that is not a terminal: say
        # where the page is opened from, not that a device is unknown.
        raise ApiError(HTTPStatus.UNAUTHORIZED, "DEVICE_TOKEN_MISSING")
    device = await run_in_threadpool(server.device_for_token, cookie)
    if device is None:
        raise ApiError(HTTPStatus.UNAUTHORIZED, "DEVICE_UNKNOWN")
    station = await run_in_threadpool(server.station, device)
    place = await run_in_threadpool(
        server.registry.places.get, device_principal(device), device.place_id
    )
    name = place.name if place is not None else station.place_id
    return entrance_page(request, "/api/checkpoint", "", name, station.entrance_id)


@router.post("/api/checkpoint/decode")
async def decode(request: Request, device: DeviceDep) -> dict[str, str]:
    """A camera frame (JPEG) from the entrance page: the QR code's text (zxing-cpp)."""
    del device
    frame = await request.body()
    if len(frame) > MAX_FRAME_BYTES:
        raise ApiError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "BODY_TOO_LARGE")
    return {"text": await run_in_threadpool(decode_qr_image, frame)}
