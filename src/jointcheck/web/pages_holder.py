"""The holder page ``/me`` and its print page ``/me/print`` (R14, issue 4 "Holder page").

``/me`` shows the resident's dynamic health code (refreshed every minute by ``holder.js``,
with a countdown) and their vaccination certificate, and the privacy notice (R6). ``/me/print``
is a print-friendly paper code for someone without a phone: the vaccination certificate QR
with the masked name, to be shown with the resident ID card, whose number the entrance uses
to look up the current code colour online (the ID-document path).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse

from jointcheck.api.deps import NowDep, ServicesDep
from jointcheck.api.routes_holder import HolderDep, ResidentDep
from jointcheck.web.render import render

router = APIRouter(tags=["pages"])


def _context(services: ServicesDep) -> dict[str, Any]:
    return {"refresh_seconds": services.settings.holder_refresh_seconds}


@router.get("/me", response_class=HTMLResponse)
async def holder_page(
    request: Request,
    principal: ResidentDep,
    holder: HolderDep,
    services: ServicesDep,
    now: NowDep,
) -> HTMLResponse:
    card = await run_in_threadpool(holder.card, principal, now)
    response = render(request, "me.html", {**_context(services), "card": card})
    response.headers["cache-control"] = "no-store"
    return response


@router.get("/me/print", response_class=HTMLResponse)
async def print_page(
    request: Request, principal: ResidentDep, holder: HolderDep, now: NowDep
) -> HTMLResponse:
    card = await run_in_threadpool(holder.card, principal, now)
    response = render(request, "me_print.html", {"cards": [card], "printed_at": now})
    response.headers["cache-control"] = "no-store"
    return response
