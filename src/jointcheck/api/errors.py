"""Error answers of the HTTP edge: one JSON shape, stable codes, zh-CN and en messages.

Every error the app answers has the shape

    {"error": {"code": "BODY_TOO_LARGE",
               "message": {"zh-CN": "...", "en": "..."},
               "fields": [{"field": "body.text", "code": "string_too_long",
                           "message": {"zh-CN": "...", "en": "..."}}]}}

``code`` is stable (clients and tests key on it); messages come from the ``error.<CODE>``
entries of the web catalog. Page routes (anything outside ``/api/``) answer an HTML page with
the same code and message in the request's language instead. A field error never echoes the
value that was sent: it may be personal data (house rule 4).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from jointcheck.errors import (
    ConfigError,
    InputError,
    JointcheckError,
    KeyMaterialError,
    StoreError,
    TrustListError,
)
from jointcheck.security.roles import AccessDenied
from jointcheck.web.i18n import both, catalog

log = logging.getLogger("jointcheck.api")

API_PREFIX = "/api/"


class ApiError(Exception):
    """An error answer raised by a route: HTTP status plus a stable code."""

    def __init__(
        self, status: int, code: str, fields: Sequence[dict[str, Any]] = (), detail: str = ""
    ) -> None:
        super().__init__(detail or code)
        self.status = status
        self.code = code
        self.fields = list(fields)


# Statuses of the fault classes; a subclass inherits its parent's.
_FAULT_STATUS: tuple[tuple[type[JointcheckError], int], ...] = (
    (AccessDenied, HTTPStatus.FORBIDDEN),
    (InputError, HTTPStatus.BAD_REQUEST),
    (ConfigError, HTTPStatus.SERVICE_UNAVAILABLE),
    (KeyMaterialError, HTTPStatus.SERVICE_UNAVAILABLE),
    (TrustListError, HTTPStatus.SERVICE_UNAVAILABLE),
    (StoreError, HTTPStatus.SERVICE_UNAVAILABLE),
)
_HTTP_CODES = {
    HTTPStatus.BAD_REQUEST: "BAD_REQUEST",
    HTTPStatus.UNAUTHORIZED: "UNAUTHENTICATED",
    HTTPStatus.FORBIDDEN: "FORBIDDEN",
    HTTPStatus.NOT_FOUND: "NOT_FOUND",
    HTTPStatus.METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "BODY_TOO_LARGE",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
}
_CLASS_FALLBACK = {
    InputError: "INPUT_INVALID",
    ConfigError: "CONFIG_INVALID",
    KeyMaterialError: "KEY_MATERIAL_INVALID",
    TrustListError: "TRUST_LIST_INVALID",
    StoreError: "STORE_ERROR",
}


def error_message(code: str) -> dict[str, str]:
    """The zh-CN and en message of an error code (a code without its own entry says so)."""
    key = f"error.{code}"
    return both(key) if key in catalog() else both("error.UNDESCRIBED")


def error_body(code: str, fields: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    return {"error": {"code": code, "message": error_message(code), "fields": list(fields)}}


def fault_status(exc: JointcheckError) -> int:
    for cls, status in _FAULT_STATUS:
        if isinstance(exc, cls):
            return int(status)
    return int(HTTPStatus.INTERNAL_SERVER_ERROR)


def _fault_code(exc: JointcheckError) -> str:
    # A code with a catalog entry is shown as it is; a code only a log reader knows is
    # answered with its class's code, so no internal wording leaks to the screen.
    if f"error.{exc.code}" in catalog():
        return exc.code
    for cls, code in _CLASS_FALLBACK.items():
        if isinstance(exc, cls):
            return code
    return "INTERNAL_ERROR"


def _field_name(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def validation_fields(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic's errors as field entries: where, a stable code, a zh-CN/en message."""
    fields = []
    for err in errors:
        kind = str(err.get("type", "value_error"))
        key = f"invalid.{kind}"
        message = both(key) if key in catalog() else both("invalid.value")
        fields.append({"field": _field_name(err.get("loc", ())), "code": kind, "message": message})
    return fields


def wants_html(request: Request) -> bool:
    """Page routes answer HTML; the API answers JSON (and so does anything asking for it)."""
    if request.url.path.startswith(API_PREFIX) or request.url.path == "/healthz":
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept or "*/*" in accept or not accept


def error_response(
    request: Request, status: int, code: str, fields: Sequence[dict[str, Any]] = ()
) -> Response:
    if wants_html(request):
        from jointcheck.web.render import render_error

        return render_error(request, status, code, fields)
    return JSONResponse(error_body(code, fields), status_code=status)


async def _on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)  # noqa: S101 - registered for ApiError only
    if exc.code == "UNAUTHENTICATED" and wants_html(request):
        # A page that needs a sign-in sends the browser to it, and back here afterwards.
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", HTTPStatus.SEE_OTHER)
    return error_response(request, exc.status, exc.code, exc.fields)


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for it only
    fields = validation_fields(exc.errors())
    return error_response(request, HTTPStatus.UNPROCESSABLE_ENTITY, "VALIDATION_FAILED", fields)


async def _on_fault(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, JointcheckError)  # noqa: S101 - registered for it only
    status = fault_status(exc)
    # Logs carry codes and routes, never the request's data (house rule 4). Bad input and a
    # role's refusal are expected answers (house rule 1), logged as refusals for whoever
    # follows a request; a fault is what an operator must look at.
    if isinstance(exc, InputError | AccessDenied):
        log.info("refused %s (%s) on %s", exc.code, type(exc).__name__, request.url.path)
    else:
        log.warning("fault %s (%s) on %s", exc.code, type(exc).__name__, request.url.path)
    return error_response(request, status, _fault_code(exc))


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for it only
    code = _HTTP_CODES.get(HTTPStatus(exc.status_code), "BAD_REQUEST")
    response = error_response(request, exc.status_code, code)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    # The frames say where it broke; the exception's own text may quote request data, so
    # it is left out of the log (house rule 4).
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unexpected %s on %s\n%s", type(exc).__name__, request.url.path, frames)
    return error_response(request, HTTPStatus.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(JointcheckError, _on_fault)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)
