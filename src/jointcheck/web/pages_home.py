"""The home page ``/``: what each page is for and who uses it, in the request's language."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse
from starlette.routing import NoMatchFound

from jointcheck.registry.family import LINKERS
from jointcheck.security.roles import ENROLLERS, REGISTRATION_READERS, Role
from jointcheck.web.render import render, request_session

router = APIRouter(tags=["pages"])


@dataclass(frozen=True, slots=True)
class PageEntry:
    route: str  # the route's name: the page is listed only when its feature is mounted
    key: str  # message ids home.<key>.title, .summary and .who
    roles: frozenset[str] | None = None  # listed only for these roles when set
    # When set: listed to a visitor (who may sign in to use it), but once signed in only for
    # these roles; a signed-in health official is not offered "My codes" (403) or "Sign in".
    signed_in_roles: frozenset[str] | None = None

    def shown_to(self, request: Request) -> bool:
        session = request_session(request)
        if self.roles is not None:
            return session is not None and session.role in self.roles
        if self.signed_in_roles is not None and session is not None:
            return session.role in self.signed_in_roles
        return True

    def path(self, request: Request) -> str | None:
        try:
            return str(request.app.url_path_for(self.route))
        except NoMatchFound:
            return None


PAGES = (
    PageEntry("verify_page", "verify"),
    PageEntry("holder_page", "me", signed_in_roles=frozenset({Role.RESIDENT.value})),
    PageEntry("entrance", "entrance"),
    PageEntry("devices_page", "devices", frozenset(r.value for r in ENROLLERS)),
    PageEntry("family_page", "family", frozenset(r.value for r in LINKERS)),
    PageEntry(
        "registrations_page", "registrations", frozenset(r.value for r in REGISTRATION_READERS)
    ),
    PageEntry("health_codes_page", "health_codes", frozenset({Role.HEALTH_AUTHORITY.value})),
    PageEntry("login_page", "login", signed_in_roles=frozenset()),
)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    pages = [
        {"path": path, "key": entry.key}
        for entry in PAGES
        if entry.shown_to(request) and (path := entry.path(request)) is not None
    ]
    return render(request, "index.html", {"pages": pages})
