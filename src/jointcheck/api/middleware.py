"""ASGI middleware of the app: body size limits, and each request's locale, CSRF and session.

Both are plain ASGI (no ``BaseHTTPMiddleware``), so streaming bodies pass through untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from http import HTTPStatus
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jointcheck.api.errors import error_response
from jointcheck.web.i18n import LANG_COOKIE, negotiate, parse_locale
from jointcheck.web.session import CSRF_COOKIE, SESSION_COOKIE, Cookies

_YEAR = 365 * 24 * 3600
STATIC_PREFIX = "/static/"
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    # No third-party script or style, nothing inline but SVG and data: images (house rule 10).
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
}


class BodyLimitMiddleware:
    """Refuse request bodies over a limit with 413 BODY_TOO_LARGE.

    A declared ``Content-Length`` over the limit is refused before reading; a body streamed
    without one is counted, and once it passes the limit the route's answer is replaced by
    the 413. ``limits`` raises the limit for given paths (the QR image upload).
    """

    def __init__(self, app: ASGIApp, default: int, limits: Mapping[str, int]) -> None:
        self.app = app
        self.default = default
        self.limits = dict(limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default)
        declared = Request(scope).headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send)
            return
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return
            started = True
            await send(message)

        await self.app(scope, counting_receive, guarded_send)
        if exceeded and not started:
            await self._refuse(scope, receive, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = error_response(request, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "BODY_TOO_LARGE")
        response.headers["connection"] = "close"
        await response(scope, receive, send)


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except ValueError:
                continue
    return {key: morsel.value for key, morsel in jar.items()}


class RequestStateMiddleware:
    """Put the locale, the CSRF token and the session on ``request.state``.

    Sets the ``lang`` cookie when ``?lang=`` chose a language, issues a CSRF cookie to a
    browser without a valid one, and adds the security headers to every answer.
    """

    def __init__(
        self,
        app: ASGIApp,
        cookies: Cookies,
        clock: Callable[[], datetime],
        secure: bool,
        live_session: Callable[[int, str, datetime], bool] | None = None,
    ) -> None:
        self.app = app
        self.cookies = cookies
        self.clock = clock
        self.secure = secure
        # Whether the server still keeps a signed cookie's session (not signed out, R6).
        self.live_session = live_session

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        jar = _cookies(scope)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        chosen = parse_locale((query.get("lang") or [None])[0])
        headers = Request(scope).headers
        locale = negotiate(chosen, jar.get(LANG_COOKIE), headers.get("accept-language"))
        csrf = jar.get(CSRF_COOKIE)
        # A call with a bearer token (a checkpoint device) is no browser: it is given no CSRF
        # cookie, and minting one (random bytes and a signature) on every scan is pure cost.
        bearer = headers.get("authorization", "")[:7].lower() == "bearer "
        fresh_csrf = not bearer and self.cookies.csrf.unsign(csrf) is None
        if fresh_csrf:
            csrf = self.cookies.new_csrf()
        state = scope.setdefault("state", {})
        state["locale"] = locale
        state["csrf"] = csrf
        await self._session(scope, jar.get(SESSION_COOKIE), state)

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                already = " ".join(out.getlist("set-cookie"))
                if chosen and chosen != jar.get(LANG_COOKIE):
                    out.append("set-cookie", self._cookie(LANG_COOKIE, chosen, http_only=False))
                if fresh_csrf and f"{CSRF_COOKIE}=" not in already:
                    out.append("set-cookie", self._cookie(CSRF_COOKIE, str(csrf), http_only=True))
                for name, value in SECURITY_HEADERS.items():
                    if name not in out:
                        out[name] = value
            await send(message)

        await self.app(scope, receive, send_with_cookies)

    async def _session(self, scope: Scope, cookie: str | None, state: dict[str, Any]) -> None:
        """The signed-in session, if its cookie verifies and the server still keeps it."""
        now = self.clock()
        session = self.cookies.read_session(cookie, now)
        if str(scope.get("path", "")).startswith(STATIC_PREFIX):
            session = None  # files need no session: no store query for each asset
        elif session is not None and self.live_session is not None:
            live = await run_in_threadpool(
                self.live_session, session.account_id, session.session_id, now
            )
            session = session if live else None
            # The route's principal need not ask the store about the session again.
            state["session_live"] = live
        state["session"] = session

    def _cookie(self, name: str, value: str, *, http_only: bool) -> str:
        parts = [f"{name}={value}", "Path=/", "SameSite=Lax", f"Max-Age={_YEAR}"]
        if http_only:
            parts.append("HttpOnly")
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)
