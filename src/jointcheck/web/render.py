"""Server-rendered pages: one Jinja2 environment (autoescape on) and the base context.

Every page gets ``t`` (the request's translator), ``lang_links`` (this page in each language),
``csrf_token`` for its forms, ``session`` (who is signed in, or None), ``nav`` and
``can_sign_in`` (the app has the sign-in page: the entrance agent has not).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import NoMatchFound

from jointcheck.registry.family import LINKERS
from jointcheck.security.roles import ENROLLERS, REGISTRATION_READERS
from jointcheck.web.i18n import DEFAULT_LOCALE, LOCALES, Translator, both, catalog
from jointcheck.web.session import CSRF_FIELD, Session
from jointcheck.web.verify_view import reason_messages

# The pages of the navigation bar: (path, message id, roles or None, route name or None).
# A page is linked only where its route is mounted: the entrance agent serves its entrance
# page alone, and a link to /verify or /login there would lead to a 404 on the terminal.
NAV: tuple[tuple[str, str, frozenset[str] | None, str | None], ...] = (
    ("/", "nav.home", None, None),
    ("/verify", "nav.verify", None, "verify_page"),
    ("/me", "nav.me", frozenset({"resident"}), "holder_page"),
    ("/devices", "nav.devices", frozenset(r.value for r in ENROLLERS), "devices_page"),
    ("/family", "nav.family", frozenset(r.value for r in LINKERS), "family_page"),
    (
        "/registrations",
        "nav.registrations",
        frozenset(r.value for r in REGISTRATION_READERS),
        "registrations_page",
    ),
    ("/health-codes", "nav.health_codes", frozenset({"health_authority"}), "health_codes_page"),
)


def mounted(request: Request, route: str) -> bool:
    """Whether the app serving REQUEST has the route named ROUTE."""
    try:
        request.app.url_path_for(route)
    except NoMatchFound:
        return False
    return True


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("jointcheck.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["LOCALES"] = LOCALES
    env.globals["CSRF_FIELD"] = CSRF_FIELD
    env.globals["reason_message"] = reason_messages
    return env


def translator(request: Request) -> Translator:
    locale = getattr(request.state, "locale", DEFAULT_LOCALE)
    timezone = getattr(request.app.state, "timezone", "Asia/Shanghai")
    return Translator(locale, timezone)


def request_session(request: Request) -> Session | None:
    session = getattr(request.state, "session", None)
    return session if isinstance(session, Session) else None


def lang_links(request: Request) -> dict[str, str]:
    """This page's URL in each language (the other query parameters kept)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return {loc: f"{request.url.path}?{urlencode([*params, ('lang', loc)])}" for loc in LOCALES}


def base_context(request: Request) -> dict[str, Any]:
    session = request_session(request)
    nav = [
        (path, key)
        for path, key, needs, route in NAV
        if (needs is None or (session is not None and session.role in needs))
        and (route is None or mounted(request, route))
    ]
    return {
        "request": request,
        "t": translator(request),
        "lang_links": lang_links(request),
        "csrf_token": getattr(request.state, "csrf", ""),
        "session": session,
        "nav": nav,
        "can_sign_in": mounted(request, "login_page"),
        "path": request.url.path,
    }


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    page = environment().get_template(template)
    html = page.render({**base_context(request), **(context or {})})
    return HTMLResponse(html, status_code=status_code)


def render_error(
    request: Request,
    status: int,
    code: str,
    fields: Sequence[dict[str, Any]] = (),
    *,
    lang_path: str | None = None,
) -> HTMLResponse:
    """The HTML error page: status, stable code, and the message in both languages.
    LANG_PATH: where its language links lead (by default the same address again, which for
    an id no one may see would only answer the same error)."""
    key = f"error.{code}"
    message = both(key) if key in catalog() else both("error.UNDESCRIBED")
    # The verify page's fetch asks for a fragment: answer the problem box, not a whole page.
    template = "partials/problem.html" if request.query_params.get("fragment") else "error.html"
    return render(
        request,
        template,
        {
            "status": status,
            "code": code,
            "message": message,
            "fields": list(fields),
            "problem": {"code": code, "message": message},
            **(
                {"lang_links": {loc: f"{lang_path}?{urlencode({'lang': loc})}" for loc in LOCALES}}
                if lang_path
                else {}
            ),
        },
        status_code=status,
    )
