"""The entrance agent's local web app (issue 4): the entrance page on localhost and the calls
it makes, answered from the agent with no network (the ID-document path excepted, R14).

A web page elsewhere must not drive the terminal: every call carries the page's per-process
key (``X-Agent-Key``), which only the page served here knows.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from jointcheck.api.checkpoint_schemas import IdDocumentIn, OverrideRequestIn, RegisterIn, ScanIn
from jointcheck.api.errors import ApiError, install_error_handlers
from jointcheck.api.middleware import RequestStateMiddleware
from jointcheck.api.qr_image import decode_qr_image
from jointcheck.api.uvicorn_options import NO_TELEMETRY
from jointcheck.checkpoint.agent import META_STATION, Agent
from jointcheck.checkpoint.model import OverrideReason, Registration
from jointcheck.checkpoint.outbox import Rotation
from jointcheck.checkpoint.reasons import refusal_message
from jointcheck.web.render import render
from jointcheck.web.session import Cookies

DOCUMENT_TYPES = ("resident_id_card", "passport", "hk_macao_permit", "taiwan_permit")
MAX_FRAME_BYTES = 2 * 1024 * 1024
OUTCOME_COUNTS = {
    "ADMIT": "admitted",
    "ADMIT_REGISTERED": "registered",
    "PERSUADE": "persuaded",
    "DENY": "denied",
}


def entrance_page(
    request: Request, api_base: str, agent_key: str, place: str, entrance: str
) -> HTMLResponse:
    """The entrance page, for the agent and for the server's enrolled demo devices."""
    return render(
        request,
        "entrance.html",
        {
            "api_base": api_base,
            "agent_key": agent_key,
            "place_name": place,
            "entrance_name": entrance,
            "document_types": DOCUMENT_TYPES,
            "override_reasons": [r.value for r in OverrideReason],
        },
    )


def _router(agent: Agent, key: str) -> APIRouter:
    def checked(request: Request) -> None:
        sent = request.headers.get("x-agent-key", "")
        if not hmac.compare_digest(sent.encode(), key.encode()):
            raise ApiError(HTTPStatus.FORBIDDEN, "AGENT_KEY")

    guarded = APIRouter(prefix="/api/agent", dependencies=[Depends(checked)])

    @guarded.post("/scan")
    def scan(body: ScanIn) -> dict[str, Any]:
        return {"results": [s.as_dict() for s in agent.scan(body.groups())]}

    @guarded.post("/register")
    def register(body: RegisterIn) -> dict[str, Any]:
        person = Registration(
            name=body.name, id_number=body.id_number, phone=body.phone, purpose=body.purpose
        )
        return {"result": agent.register(body.check_id, person).as_dict()}

    @guarded.post("/override")
    def override(body: OverrideRequestIn) -> dict[str, Any]:
        return {"result": agent.override(body.check_id, body.reason, body.staff).as_dict()}

    @guarded.post("/id-document")
    def id_document(body: IdDocumentIn) -> dict[str, Any]:
        return {"result": agent.id_document(body.document_type, body.number).as_dict()}

    @guarded.post("/decode")
    async def decode(request: Request) -> dict[str, str]:
        frame = await request.body()
        if len(frame) > MAX_FRAME_BYTES:
            raise ApiError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "BODY_TOO_LARGE")
        return {"text": await run_in_threadpool(decode_qr_image, frame)}

    @guarded.get("/counts")
    def counts() -> dict[str, Any]:
        return counts_json(agent)

    return guarded


def _pages(agent: Agent, key: str) -> APIRouter:
    pages = APIRouter()

    @pages.get("/", response_class=HTMLResponse)
    def page(request: Request) -> HTMLResponse:
        station = agent.station
        # The place's name came with the station at enrolment (GET /api/checkpoint/device).
        kept = json.loads(agent.outbox.get_meta(META_STATION) or "{}")
        name = str(kept.get("place_name") or station.place_id)
        return entrance_page(request, "/api/agent", key, name, station.entrance_id)

    return pages


def counts_json(agent: Agent) -> dict[str, Any]:
    """The day's counts in the server's terms, and the link status for the page."""
    by_outcome = agent.counts()
    totals = {name: by_outcome.get(outcome, 0) for outcome, name in OUTCOME_COUNTS.items()}
    totals["checks"] = sum(by_outcome.values())
    # Admitted against a refusal: the DENY check stays, the override is counted beside it.
    totals["overrides"] = agent.overrides()
    status = agent.status()
    return {
        "counts": totals,
        "status": {
            "online": status.online,
            "bundle_version": status.bundle_version,
            "stale": status.stale,
            "backlog": status.backlog,
            "skew_ms": status.skew_ms,
            "last_error": status.last_error,
            # A bundle refused (not signed by the pinned root key...): the page says so while
            # the agent decides with its last good bundle.
            "bundle_refused": status.bundle_refused,
            "refused_since": (
                status.refused_since.isoformat() if status.refused_since is not None else None
            ),
            "refused_events": refused_events_json(agent.station.device_id, status.refused_events),
            # Revoked at the district office: the page says so instead of "offline".
            "revoked": status.revoked_since is not None,
            "revoked_since": (
                status.revoked_since.isoformat() if status.revoked_since is not None else None
            ),
        },
        # The district rotated its root key and the agent followed: said once on the page.
        "root_rotated": _rotation_json(agent.rotation_notice()),
    }


def _rotation_json(rotation: Rotation | None) -> dict[str, str] | None:
    if rotation is None:
        return None
    return {
        "previous": rotation.previous,
        "next": rotation.next,
        "at": rotation.at.isoformat(),
        "since": rotation.since.isoformat(),
    }


def refused_events_json(device_id: str, by_code: dict[str, int]) -> dict[str, Any]:
    """Events the server refused: how many, and each code with its messages, so staff can call
    the district office with the device id (the events stay on the terminal, issue 4)."""
    codes = []
    for code, n in by_code.items():
        zh, en = refusal_message(code)
        codes.append({"code": code, "count": n, "message_zh": zh, "message_en": en})
    return {"count": sum(by_code.values()), "device_id": device_id, "codes": codes}


class SyncLoop:
    """Sync with the server every INTERVAL seconds in a background thread."""

    def __init__(self, agent: Agent, interval: float) -> None:
        self.agent = agent
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="checkpoint-sync", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.agent.sync()
            self._stop.wait(self.interval)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def create_agent_app(
    agent: Agent, *, sync_interval: float = 5.0, clock: Callable[[], datetime] | None = None
) -> FastAPI:
    key = secrets.token_urlsafe(24)
    loop = SyncLoop(agent, sync_interval)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        loop.start()
        yield
        loop.stop()

    app = FastAPI(title="jointcheck entrance agent", lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url=None, telemetry=NO_TELEMETRY)  # fmt: skip
    app.state.timezone = "Asia/Shanghai"
    install_error_handlers(app)
    app.add_middleware(
        RequestStateMiddleware,
        cookies=Cookies(secrets.token_urlsafe(32)),
        clock=clock or (lambda: datetime.now(UTC)),
        secure=False,
    )
    app.mount("/static", StaticFiles(packages=[("jointcheck.web", "static")]), name="static")
    app.include_router(_pages(agent, key))
    app.include_router(_router(agent, key))
    return app
