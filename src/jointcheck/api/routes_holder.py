"""``GET /api/me/health-code``: the signed-in resident's fresh health code (R14).

The holder page fetches it every minute; each answer is a new ``JKM1:`` code with a new
nonce and a short validity, as an SVG image, with its expiry formatted for the page.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from jointcheck.api.deps import LocaleDep, NowDep, ServicesDep, require_role
from jointcheck.api.errors import ApiError
from jointcheck.security.roles import Principal, Role
from jointcheck.web.holder import HolderCodes
from jointcheck.web.i18n import Translator

router = APIRouter(prefix="/api/me", tags=["holder"])
ResidentDep = Annotated[Principal, Depends(require_role(Role.RESIDENT))]


def holder_codes(services: ServicesDep) -> HolderCodes:
    if services.holder is None:
        raise ApiError(HTTPStatus.SERVICE_UNAVAILABLE, "ACCOUNTS_UNAVAILABLE")
    return services.holder


HolderDep = Annotated[HolderCodes, Depends(holder_codes)]


@router.get("/health-code")
async def health_code(
    principal: ResidentDep,
    holder: HolderDep,
    services: ServicesDep,
    now: NowDep,
    locale: LocaleDep,
    response: Response,
) -> dict[str, Any]:
    code = await run_in_threadpool(holder.health_code, principal, now)
    response.headers["cache-control"] = "no-store"
    if code is None:
        raise ApiError(HTTPStatus.NOT_FOUND, "NO_HEALTH_CODE")
    t = Translator(locale, services.settings.timezone)
    return {
        "image": code.image,
        "issued_at": code.issued_at.isoformat(),
        "expires_at": code.expires_at.isoformat(),
        "expires_display": t.datetime(code.expires_at, "medium"),
        "refresh_seconds": services.settings.holder_refresh_seconds,
    }
