"""Bad input at the HTTP edge (issue 4, "Bad input"): one error shape, stable codes, zh-CN and
en messages, size limits, and nothing of the request echoed back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from jointcheck.api.app import create_app
from web_factories import NOW, csrf_of, make_settings


@pytest.fixture
def client(tmp_path) -> Iterator[TestClient]:
    settings = make_settings(tmp_path, max_body_bytes=4096, max_upload_bytes=64 * 1024)
    with TestClient(create_app(settings, clock=lambda: NOW)) as c:
        yield c


def assert_error(body: dict, code: str) -> None:
    error = body["error"]
    assert error["code"] == code
    assert error["message"]["zh-CN"]
    assert error["message"]["en"]
    assert error["message"]["zh-CN"] != error["message"]["en"]
    assert isinstance(error["fields"], list)


def test_unknown_api_route_answers_json_not_found(client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert_error(response.json(), "NOT_FOUND")


def test_unknown_page_answers_an_html_page_in_both_languages(client):
    response = client.get("/no-such-page", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "NOT_FOUND" in response.text
    assert "找不到该页面或资源" in response.text
    assert "No such page or resource" in response.text


def test_validation_error_names_each_field_without_echoing_values(client):
    response = client.post("/api/verify", json={"txt": "张三 370702199001011234", "text": ""})
    assert response.status_code == 422
    body = response.json()
    assert_error(body, "VALIDATION_FAILED")
    fields = {f["field"]: f for f in body["error"]["fields"]}
    assert fields["body.text"]["code"] == "string_too_short"
    assert fields["body.txt"]["code"] == "extra_forbidden"
    assert fields["body.txt"]["message"] == {"zh-CN": "不允许的字段", "en": "Unexpected field"}
    assert "370702199001011234" not in response.text
    assert "张三" not in response.text


def test_malformed_json_is_a_validation_error(client):
    response = client.post(
        "/api/verify", content=b'{"text": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["code"] == "json_invalid"


def test_declared_body_over_the_limit_is_refused_with_413(client):
    response = client.post("/api/verify", json={"text": "HC1:" + "A" * 5000})
    assert response.status_code == 413
    assert_error(response.json(), "BODY_TOO_LARGE")


def test_streamed_body_over_the_limit_is_refused_with_413(client):
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(10):
            yield b"A" * 1000
        yield b'"}'

    response = client.post(
        "/api/verify", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert_error(response.json(), "BODY_TOO_LARGE")


def test_image_upload_route_has_its_own_larger_limit(client):
    junk = b"\x89PNG not really" * 1000  # 15 KiB: over the 4 KiB default, under 64 KiB
    response = client.post("/api/verify/image", files={"image": ("code.png", junk, "image/png")})
    assert response.status_code == 400
    assert_error(response.json(), "IMAGE_UNREADABLE")
    too_big = b"\x00" * (70 * 1024)
    response = client.post("/api/verify/image", files={"image": ("c.png", too_big, "image/png")})
    assert response.status_code == 413


def test_wrong_method_is_405_with_its_code(client):
    response = client.delete("/api/verify")
    assert response.status_code == 405
    assert_error(response.json(), "METHOD_NOT_ALLOWED")


def test_form_post_without_csrf_token_is_refused(client):
    response = client.post("/verify", data={"text": "HC1:XYZ"}, headers={"accept": "text/html"})
    assert response.status_code == 403
    assert "CSRF_FAILED" in response.text


def test_form_post_with_a_token_from_another_browser_is_refused(client, tmp_path):
    other = TestClient(create_app(make_settings(tmp_path / "other")))
    foreign = csrf_of(other.get("/verify").text)
    client.get("/verify")
    response = client.post("/verify", data={"text": "HC1:XYZ", "csrf_token": foreign})
    assert response.status_code == 403


def test_every_answer_carries_the_security_headers(client):
    for response in (client.get("/"), client.get("/api/nope"), client.get("/healthz")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"


def test_healthz_reports_what_is_missing(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["trust_list"] == "missing"


def test_faults_map_to_statuses_a_client_can_act_on():
    from jointcheck.api.errors import fault_status
    from jointcheck.errors import ConfigError, InputError, JointcheckError
    from jointcheck.security.roles import AccessDenied

    assert fault_status(AccessDenied("not yours")) == 403
    assert fault_status(InputError("bad", code="ID_NUMBER_INVALID")) == 400
    assert fault_status(ConfigError("no key")) == 503
    assert fault_status(JointcheckError("bug")) == 500


def test_a_service_refusal_keeps_its_code_when_it_has_a_message(tmp_path):
    from jointcheck.errors import InputError, StoreError

    app = create_app(make_settings(tmp_path))

    def refuse(code: str) -> None:
        raise InputError("free text that may not be shown", code=code)

    app.add_api_route("/api/refuse/{code}", refuse)

    def broken() -> None:
        raise StoreError("connection refused to db.internal:5432")

    app.add_api_route("/api/broken", broken)
    with TestClient(app) as c:
        known = c.get("/api/refuse/VACCINE_PRODUCT")
        assert known.status_code == 400
        assert known.json()["error"]["message"]["en"] == "Unknown vaccine product"
        unknown = c.get("/api/refuse/SOMETHING_ONLY_A_LOG_READER_KNOWS")
        assert unknown.json()["error"]["code"] == "INPUT_INVALID"
        assert "free text" not in unknown.text
        store = c.get("/api/broken")
        assert store.status_code == 503
        assert store.json()["error"]["code"] == "STORE_ERROR"
        assert "db.internal" not in store.text
