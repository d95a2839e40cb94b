"""How the HTTP edge logs what it answers (house rules 1 and 4): bad input and a role's
refusal are expected answers, logged as refusals at info; a fault is logged as a warning.
Neither line holds the request's data."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from jointcheck.api.errors import install_error_handlers
from jointcheck.errors import InputError, StoreError
from jointcheck.security.roles import AccessDenied

SECRET = "13812345678"


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/api/input")
    def bad_input() -> None:
        raise InputError(f"phone {SECRET} is not valid", code="PHONE_INVALID")

    @app.post("/api/denied")
    def denied() -> None:
        raise AccessDenied("not for this role")

    @app.post("/api/store")
    def store() -> None:
        raise StoreError(f"database went away with {SECRET}", code="STORE_UNAVAILABLE")

    return app


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [("/api/input", 400, "PHONE_INVALID"), ("/api/denied", 403, "ACCESS_DENIED")],
)
def test_an_expected_refusal_is_logged_at_info_not_as_a_fault(caplog, path, status, code):
    caplog.set_level(logging.DEBUG, logger="jointcheck.api")
    answer = TestClient(_app()).post(path)
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
    records = [r for r in caplog.records if r.name == "jointcheck.api"]
    assert [(r.levelno, r.getMessage()) for r in records] == [
        (
            logging.INFO,
            f"refused {code} ({'InputError' if status == 400 else 'AccessDenied'}) on {path}",
        )
    ]
    assert SECRET not in caplog.text


def test_a_fault_is_still_logged_as_a_warning(caplog):
    caplog.set_level(logging.DEBUG, logger="jointcheck.api")
    answer = TestClient(_app()).post("/api/store")
    assert answer.status_code == 503
    records = [r for r in caplog.records if r.name == "jointcheck.api"]
    assert [(r.levelno, r.getMessage()) for r in records] == [
        (logging.WARNING, "fault STORE_UNAVAILABLE (StoreError) on /api/store")
    ]
    assert SECRET not in caplog.text
