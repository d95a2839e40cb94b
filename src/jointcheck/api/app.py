"""The FastAPI application: ``create_app(settings) -> FastAPI``.

Nothing is built at import time: the factory reads settings, wires the services through
``jointcheck.bootstrap`` and mounts the routers, so tests and ``uvicorn --factory`` each get
an app of their own. ``jointcheck serve`` and ``jointcheck demo up`` serve it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from jointcheck import __version__
from jointcheck.api import (
    checkpoint,
    routes_family,
    routes_health_code,
    routes_holder,
    routes_registrations,
    routes_system,
    routes_verify,
)
from jointcheck.api.checkpoint_schemas import EVENTS_BODY_LIMIT, PAPER_COLOUR_BODY_LIMIT
from jointcheck.api.deps import AppServices
from jointcheck.api.errors import install_error_handlers
from jointcheck.api.middleware import BodyLimitMiddleware, RequestStateMiddleware
from jointcheck.api.trust import ServerTrust, TrustPaths
from jointcheck.api.uvicorn_options import NO_TELEMETRY, serving_gc
from jointcheck.bootstrap import DistrictKeyFiles, Registry, build_registry
from jointcheck.config import Settings, load_settings, refuse_weak_secret
from jointcheck.errors import ConfigError
from jointcheck.web import (
    pages_auth,
    pages_devices,
    pages_family,
    pages_health_code,
    pages_holder,
    pages_home,
    pages_registrations,
    pages_verify,
)
from jointcheck.web.holder import HolderCodes
from jointcheck.web.session import Cookies

log = logging.getLogger("jointcheck.api")

UPLOAD_PATHS = ("/verify", "/api/verify/image")
# A batch of an agent's events (api/checkpoint_schemas.py: up to MAX_BATCH events).
EVENTS_PATH = "/api/checkpoint/events"
PAPER_COLOUR_PATH = "/api/checkpoint/paper-colour"  # a subject hash: a small body


def utc_now() -> datetime:
    return datetime.now(UTC)


def _session_secret(settings: Settings) -> str:
    if settings.session_secret:
        return refuse_weak_secret("JOINTCHECK_SESSION_SECRET", settings.session_secret)
    # No secret configured (a bare `jointcheck serve` before `demo up`): sessions are signed
    # with a key of this process only, so they end when it stops. Never a fixed default.
    log.warning("no session secret configured: sign-ins last until the server stops")
    return secrets.token_urlsafe(32)


def _registry(settings: Settings) -> Registry | None:
    try:
        return build_registry(settings)
    except ConfigError as exc:
        # The verify page needs no database; sign-in and the holder page say they are
        # unavailable until `jointcheck demo up` (or the operator) provides the keys.
        log.warning("registry unavailable (%s): sign-in is off", exc.code)
        return None


def build_services(settings: Settings, clock: Callable[[], datetime]) -> AppServices:
    registry = _registry(settings)
    services = AppServices(
        settings=settings,
        clock=clock,
        cookies=Cookies(_session_secret(settings)),
        trust=ServerTrust(TrustPaths.of(settings), timedelta(seconds=settings.clock_skew_seconds)),
        registry=registry,
        holder=(
            HolderCodes(
                registry,
                DistrictKeyFiles.of(settings),
                timedelta(seconds=settings.health_code_ttl_seconds),
                paper_ttl=timedelta(hours=settings.paper_code_ttl_hours),
            )
            if registry is not None
            else None
        ),
    )
    if registry is not None:
        # Feature routers that look the registry up by name share this one engine.
        services.extras["registry"] = registry
    return services


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    with serving_gc():
        yield
    services = app.state.services
    for close in services.extras.get("on_shutdown", ()):
        close()
    if services.registry is not None:
        services.registry.close()


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] | None = None
) -> FastAPI:
    """A new application for ``settings`` (from the environment when None)."""
    settings = settings if settings is not None else load_settings()
    services = build_services(settings, clock or utc_now)
    app = FastAPI(
        title="jointcheck 证码联查",
        version=__version__,
        lifespan=_lifespan,
        # The interactive docs load third-party scripts; the schema alone is served.
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        telemetry=NO_TELEMETRY,
    )
    app.state.services = services
    app.state.timezone = settings.timezone
    install_error_handlers(app)
    upload_limit = max(settings.max_upload_bytes, settings.max_body_bytes)
    app.add_middleware(
        BodyLimitMiddleware,
        default=settings.max_body_bytes,
        limits={
            **dict.fromkeys(UPLOAD_PATHS, upload_limit),
            EVENTS_PATH: max(EVENTS_BODY_LIMIT, settings.max_body_bytes),
            PAPER_COLOUR_PATH: PAPER_COLOUR_BODY_LIMIT,
        },
    )
    app.add_middleware(
        RequestStateMiddleware,
        cookies=services.cookies,
        clock=services.clock,
        secure=settings.secure_cookies,
        live_session=services.accounts.session_alive if services.accounts is not None else None,
    )
    app.mount("/static", StaticFiles(packages=[("jointcheck.web", "static")]), name="static")
    # The terminals' routes first: a scan is the most frequent request, and the framework
    # tries the routers in turn (their paths do not overlap, so the order changes nothing else).
    for router in (
        checkpoint.router,
        routes_system.router,
        routes_verify.router,
        routes_holder.router,
        routes_family.router,
        routes_registrations.router,
        routes_health_code.router,
        pages_home.router,
        pages_verify.router,
        pages_auth.router,
        pages_holder.router,
        pages_devices.router,
        pages_family.router,
        pages_registrations.router,
        pages_health_code.router,
    ):
        app.include_router(router)
    return app
