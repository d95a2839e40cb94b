"""``GET /healthz``: liveness and what the server is ready to do, for load balancers and ops."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from jointcheck import __version__
from jointcheck.api.deps import ServicesDep

router = APIRouter(tags=["system"])


@router.get("/healthz")
def healthz(services: ServicesDep) -> dict[str, Any]:
    trust = services.trust.state()
    return {
        "status": "ok",
        "version": __version__,
        "trust_list": "ready" if trust.ready else str(trust.problem),
        "accounts": "ready" if services.accounts is not None else "unavailable",
    }
