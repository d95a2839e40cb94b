"""Sign-in, sign-out and sessions (R6): argon2 passwords through the security service, signed
HttpOnly SameSite=Lax session cookies, CSRF on form posts, role checks on protected routes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from jointcheck.api.app import create_app
from jointcheck.security.roles import Role
from jointcheck.web.session import SESSION_COOKIE
from web_factories import NOW, add_account, csrf_of, sign_in

PASSWORD = "correct horse battery"


@pytest.fixture
def client(settings, registry, tree) -> Iterator[TestClient]:
    add_account(registry, "street-staff-1", PASSWORD, Role.STREET_STAFF, "370704001")
    with TestClient(create_app(settings, clock=lambda: NOW)) as c:
        yield c


def test_sign_in_sets_a_protected_session_cookie_and_shows_who_is_signed_in(client):
    response = sign_in(client, "street-staff-1", PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = next(c for c in response.headers.get_list("set-cookie") if SESSION_COOKIE in c)
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert PASSWORD not in cookie
    page = client.get("/?lang=en").text
    assert "Signed in: street-staff-1" in page
    assert 'data-testid="logout"' in page


def test_wrong_password_and_unknown_user_get_the_same_answer(client):
    wrong = sign_in(client, "street-staff-1", "not the password")
    unknown = sign_in(client, "nobody-here", "not the password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert 'data-code="LOGIN_FAILED"' in response.text
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert "用户名或密码错误" in wrong.text


def test_sign_in_returns_to_the_page_that_asked_but_never_off_site(client):
    token = csrf_of(client.get("/login").text)
    form = {"username": "street-staff-1", "password": PASSWORD, "csrf_token": token}
    back = client.post("/login", data={**form, "next": "/verify?lang=en"}, follow_redirects=False)
    assert back.headers["location"] == "/verify?lang=en"
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        # Each sign-in rotates the CSRF token: take the new one from the page.
        form["csrf_token"] = csrf_of(client.get("/login").text)
        away = client.post("/login", data={**form, "next": target}, follow_redirects=False)
        assert away.headers["location"] == "/"


def test_sign_in_without_the_csrf_token_is_refused(client):
    client.get("/login")
    response = client.post(
        "/login", data={"username": "street-staff-1", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "CSRF_FAILED" in response.text


def test_sign_out_ends_the_session(client):
    sign_in(client, "street-staff-1", PASSWORD)
    token = csrf_of(client.get("/").text)
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert 'data-testid="login-link"' in client.get("/").text


def test_a_copied_cookie_stops_working_when_its_session_signs_out(client, settings):
    """Sign-out ends the session at the server: a copy of the cookie taken before is nobody."""
    sign_in(client, "street-staff-1", PASSWORD)
    copied = client.cookies[SESSION_COOKIE]
    with TestClient(create_app(settings, clock=lambda: NOW)) as thief:
        thief.cookies = {SESSION_COOKIE: copied}
        assert "Signed in: street-staff-1" in thief.get("/?lang=en").text
        assert thief.get("/api/me/health-code").status_code == 403  # signed in, wrong role
        token = csrf_of(client.get("/").text)
        client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        thief.cookies = {SESSION_COOKIE: copied}
        api = thief.get("/api/me/health-code")
        assert api.status_code == 401
        assert api.json()["error"]["code"] == "UNAUTHENTICATED"
        page = thief.get("/me", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"].startswith("/login")
        assert 'data-testid="login-link"' in thief.get("/").text


def test_signing_out_one_browser_leaves_the_others_signed_in(client, settings):
    sign_in(client, "street-staff-1", PASSWORD)
    with TestClient(create_app(settings, clock=lambda: NOW)) as other:
        sign_in(other, "street-staff-1", PASSWORD)
        token = csrf_of(client.get("/").text)
        client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        assert "Signed in: street-staff-1" in other.get("/?lang=en").text


def test_a_signed_cookie_without_a_live_server_session_signs_nobody_in(client, settings):
    """A cookie signed with the deployment's secret but naming no session the server keeps
    (one from before sessions were kept, or one made up) is nobody."""
    from jointcheck.web.session import Cookies

    sign_in(client, "street-staff-1", PASSWORD)
    cookies = Cookies(settings.session_secret)
    account_id = cookies.session.unsign(client.cookies[SESSION_COOKIE])["aid"]
    without_sid = cookies.session.sign(
        {"aid": account_id, "usr": "street-staff-1", "rol": "street_staff", "exp": 2**40}
    )
    _, made_up = cookies.new_session(
        account_id, "street-staff-1", "street_staff", "not-a-session", NOW.replace(year=2030)
    )
    for cookie in (without_sid, made_up):
        client.cookies = {SESSION_COOKIE: cookie}
        assert 'data-testid="login-link"' in client.get("/").text


def test_an_expired_session_is_nobody_and_is_purged_at_the_next_sign_in(client, settings, registry):
    from datetime import timedelta

    from sqlalchemy import select

    from jointcheck.store.models import WebSessionRow
    from jointcheck.web.session import SESSION_TTL

    clock = [NOW]
    with TestClient(create_app(settings, clock=lambda: clock[0])) as browser:
        sign_in(browser, "street-staff-1", PASSWORD)
        clock[0] = NOW + SESSION_TTL + timedelta(seconds=1)
        assert 'data-testid="login-link"' in browser.get("/").text
        sign_in(browser, "street-staff-1", PASSWORD)
    with registry.uow() as uow:
        rows = uow.session.scalars(select(WebSessionRow)).all()
        assert len(rows) == 1
        assert rows[0].expires_at > clock[0]


def test_a_forged_session_cookie_signs_nobody_in(client):
    response = sign_in(client, "street-staff-1", PASSWORD)
    genuine = client.cookies[SESSION_COOKIE]
    body, mac = genuine.split(".")
    client.cookies = {SESSION_COOKIE: body + "." + mac[::-1]}
    assert 'data-testid="login-link"' in client.get("/").text
    assert response.status_code == 303


def test_a_session_from_another_deployment_is_not_accepted(client, settings, tmp_path):
    sign_in(client, "street-staff-1", PASSWORD)
    stolen = client.cookies[SESSION_COOKIE]
    other_settings = settings.model_copy(update={"session_secret": "another-deployment-secret"})
    with TestClient(create_app(other_settings, clock=lambda: NOW)) as other:
        other.cookies = {SESSION_COOKIE: stolen}
        assert 'data-testid="login-link"' in other.get("/").text


def test_protected_pages_send_anonymous_browsers_to_sign_in(client):
    page = client.get("/me", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fme"
    api = client.get("/api/me/health-code")
    assert api.status_code == 401
    assert api.json()["error"]["code"] == "UNAUTHENTICATED"


def test_a_role_without_access_gets_403(client):
    sign_in(client, "street-staff-1", PASSWORD)
    assert client.get("/me").status_code == 403
    response = client.get("/api/me/health-code")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


def test_sign_in_is_unavailable_without_the_deployment_keys(tmp_path):
    from jointcheck.config import Settings

    bare = Settings(var_dir=tmp_path / "bare", pii_key="", lookup_key="", session_secret="")
    with TestClient(create_app(bare)) as c:
        token = csrf_of(c.get("/login").text)
        response = c.post("/login", data={"username": "a", "password": "b", "csrf_token": token})
        assert response.status_code == 503
        assert "ACCOUNTS_UNAVAILABLE" in response.text
