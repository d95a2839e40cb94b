"""Sign-in and sign-out: ``/login`` and ``/logout`` (R6: every protected page needs a sign-in).

The password is checked by the security service (argon2, no user enumeration by timing);
on success the server opens a session (kept in the store) and the browser gets a signed
session cookie (HttpOnly, SameSite=Lax) naming the account and the session, and a new CSRF
token. Sign-out deletes the session at the server and the cookie in the browser. ``next`` only ever points inside this
site, so the sign-in page cannot be used to send someone elsewhere.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from jointcheck.api.deps import AccountsDep, CsrfChecked, NowDep, ServicesDep, session_of
from jointcheck.api.errors import error_message
from jointcheck.security.roles import Role
from jointcheck.web.render import render
from jointcheck.web.session import CSRF_COOKIE, SESSION_COOKIE, SESSION_TTL

router = APIRouter(tags=["pages"])

MAX_CREDENTIAL = 256
# Where each role lands after signing in, unless the sign-in was asked for by another page.
LANDING = {Role.RESIDENT: "/me"}


def safe_next(target: str | None) -> str | None:
    """A local path to return to after sign-in; anything else (other hosts, ``//x``) is None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _login_page(
    request: Request, next_path: str | None, username: str = "", problem: str | None = None
) -> HTMLResponse:
    context = {
        "next": next_path or "",
        "username": username,
        "problem": {"code": problem, "message": error_message(problem)} if problem else None,
    }
    status = HTTPStatus.UNAUTHORIZED if problem == "LOGIN_FAILED" else HTTPStatus.OK
    if problem and problem != "LOGIN_FAILED":
        status = HTTPStatus.BAD_REQUEST
    return render(request, "login.html", context, status_code=status)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:  # noqa: A002 - the query parameter's name
    return _login_page(request, safe_next(next))


@router.post("/login")
async def login_submit(
    request: Request,
    services: ServicesDep,
    accounts: AccountsDep,
    now: NowDep,
    _csrf: CsrfChecked,
    username: Annotated[str, Form(max_length=MAX_CREDENTIAL)] = "",
    password: Annotated[str, Form(max_length=MAX_CREDENTIAL)] = "",
    next: Annotated[str, Form(max_length=2048)] = "",  # noqa: A002 - the form field's name
) -> Response:
    target = safe_next(next)
    if not username.strip() or not password:
        return _login_page(request, target, username, "LOGIN_MISSING")
    principal = await run_in_threadpool(accounts.authenticate, username, password)
    if principal is None:
        return _login_page(request, target, username, "LOGIN_FAILED")
    expires_at = now + SESSION_TTL
    session_id = await run_in_threadpool(accounts.open_session, principal, now, expires_at)
    _, token = services.cookies.new_session(
        principal.account_id, principal.username, principal.role.value, session_id, expires_at
    )
    landing = target or LANDING.get(principal.role, "/")
    response = RedirectResponse(landing, status_code=HTTPStatus.SEE_OTHER)
    secure = services.settings.secure_cookies
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    # A new CSRF token for the signed-in browser: one seen before sign-in is not reused.
    response.set_cookie(
        CSRF_COOKIE, services.cookies.new_csrf(), httponly=True, samesite="lax", secure=secure
    )
    return response


@router.post("/logout")
def logout(request: Request, services: ServicesDep, _csrf: CsrfChecked) -> Response:
    session = session_of(request)
    if session is not None and services.accounts is not None:
        # Server-side: the session is gone, so a copy of the cookie is worth nothing now.
        services.accounts.close_session(session.session_id)
    response = RedirectResponse("/", status_code=HTTPStatus.SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax")
    return response
