"""The holder page ``/me`` and its print page ``/me/print`` (R14, issue 4 "Holder page").

``/me`` shows the resident's dynamic health code (refreshed every minute by ``holder.js``,
with a countdown) and their vaccination certificate, the family members linked to them
(masked) with a print link each, and the privacy notice (R6). ``/me/print`` is a
print-friendly paper code for someone without a phone (issue 4): the paper health code (the
same ``JKM1:`` credential marked as paper, valid for the deployment's ``paper_code_ttl_hours``,
default 24 h) beside the vaccination certificate QR, the masked name, the colour in word and
icon (readable in black and white), "valid until" in large type with the advice to print
again after it, and the privacy line. An online entrance checks the colour against the
authority's current one; after the paper expires the ID card still works (the ID-document
path). ``/me/print?member=ID`` prints a linked family member's; any other person is refused
with 403 ``FAMILY_NOT_LINKED``.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
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
    family = await run_in_threadpool(holder.family, principal)
    response = render(request, "me.html", {**_context(services), "card": card, "family": family})
    response.headers["cache-control"] = "no-store"
    return response


@router.get("/me/print", response_class=HTMLResponse)
async def print_page(
    request: Request,
    principal: ResidentDep,
    holder: HolderDep,
    now: NowDep,
    member: Annotated[UUID | None, Query()] = None,
) -> HTMLResponse:
    card = await run_in_threadpool(holder.card, principal, now, member, paper=True)
    response = render(request, "me_print.html", {"cards": [card], "printed_at": now})
    response.headers["cache-control"] = "no-store"
    return response
