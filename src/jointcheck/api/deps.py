"""Typed dependencies of the routes (``Annotated[...]``): settings, clock, locale, who asks.

Every protected route declares ``PrincipalDep`` or ``Depends(require_role(...))``; a route
without one is public (the verify page, sign-in, health). A session names an account id and a
session id; both are read again on each request, so a deactivated account or a signed-out
session loses access at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import Depends, Form, Request

from jointcheck.api.errors import ApiError
from jointcheck.api.trust import ServerTrust
from jointcheck.bootstrap import Registry
from jointcheck.config import Settings
from jointcheck.security.accounts import AccountService
from jointcheck.security.roles import Principal, Role
from jointcheck.web.holder import HolderCodes
from jointcheck.web.i18n import DEFAULT_LOCALE
from jointcheck.web.session import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, Cookies, Session


@dataclass(slots=True)
class AppServices:
    """Everything the routes use, built once in the app factory (no import-time engines)."""

    settings: Settings
    clock: Callable[[], datetime]
    cookies: Cookies
    trust: ServerTrust
    registry: Registry | None = None
    holder: HolderCodes | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def accounts(self) -> AccountService | None:
        return self.registry.accounts if self.registry is not None else None


def get_services(request: Request) -> AppServices:
    services = request.app.state.services
    assert isinstance(services, AppServices)  # noqa: S101 - set by create_app
    return services


ServicesDep = Annotated[AppServices, Depends(get_services)]


def get_settings(services: ServicesDep) -> Settings:
    return services.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_now(services: ServicesDep) -> datetime:
    """The instant of this request, UTC (house rule 3); tests give the app their own clock."""
    return services.clock()


NowDep = Annotated[datetime, Depends(get_now)]


def get_locale(request: Request) -> str:
    return str(getattr(request.state, "locale", DEFAULT_LOCALE))


LocaleDep = Annotated[str, Depends(get_locale)]


def get_registry(services: ServicesDep) -> Registry:
    if services.registry is None:
        raise ApiError(HTTPStatus.SERVICE_UNAVAILABLE, "ACCOUNTS_UNAVAILABLE")
    return services.registry


RegistryDep = Annotated[Registry, Depends(get_registry)]


def get_accounts(registry: RegistryDep) -> AccountService:
    return registry.accounts


AccountsDep = Annotated[AccountService, Depends(get_accounts)]


def session_of(request: Request) -> Session | None:
    session = getattr(request.state, "session", None)
    return session if isinstance(session, Session) else None


def optional_principal(request: Request, services: ServicesDep) -> Principal | None:
    """Who is signed in, or None; an account deactivated since sign-in, or a session signed out
    (its cookie copied before), counts as nobody."""
    session = session_of(request)
    if session is None or services.accounts is None:
        return None
    if getattr(request.state, "session_live", False):
        # The middleware found the session live in this request: read the account alone.
        return services.accounts.principal(session.account_id)
    return services.accounts.session_principal(
        session.account_id, session.session_id, services.clock()
    )


OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]


def current_principal(principal: OptionalPrincipalDep) -> Principal:
    """The signed-in principal; 401 UNAUTHENTICATED (pages: a redirect to /login)."""
    if principal is None:
        raise ApiError(HTTPStatus.UNAUTHORIZED, "UNAUTHENTICATED")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency admitting only these roles (R6, least privilege); others get 403."""
    allowed = frozenset(roles)

    def dependency(principal: PrincipalDep) -> Principal:
        if principal.role not in allowed:
            raise ApiError(HTTPStatus.FORBIDDEN, "FORBIDDEN")
        return principal

    return dependency


def csrf_checked(
    request: Request,
    services: ServicesDep,
    csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
) -> None:
    """Double-submit check for form posts: the form's token must equal the cookie's."""
    submitted = csrf_token or request.headers.get(CSRF_HEADER)
    if not services.cookies.csrf_valid(request.cookies.get(CSRF_COOKIE), submitted):
        raise ApiError(HTTPStatus.FORBIDDEN, "CSRF_FAILED")


CsrfChecked = Annotated[None, Depends(csrf_checked)]


def csrf_header_checked(request: Request, services: ServicesDep) -> None:
    """The same check for fetch calls, which send the token in ``X-CSRF-Token``."""
    submitted = request.headers.get(CSRF_HEADER)
    if not services.cookies.csrf_valid(request.cookies.get(CSRF_COOKIE), submitted):
        raise ApiError(HTTPStatus.FORBIDDEN, "CSRF_FAILED")
