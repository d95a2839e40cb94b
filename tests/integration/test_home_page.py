"""The home page offers each visitor the pages they can use (issue 4): signed out, every page
that starts with signing in; signed in, not "Sign in" again, and "My codes" only to a
resident (another role would get 403 there), in zh-CN and en."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from checkpoint_factories import District
from fastapi.testclient import TestClient

from jointcheck.api.app import create_app
from jointcheck.security.roles import Role
from web_factories import add_account, sign_in

PASSWORD = "home-page-password-2021"


@pytest.fixture
def app(district: District) -> Iterator[object]:
    app = create_app(district.settings, clock=district.now)
    with TestClient(app):
        yield app


def cards(client: TestClient, lang: str) -> set[str]:
    return set(re.findall(r'<h2><a href="([^"]+)">', client.get(f"/?lang={lang}").text))


def signed_in(app, district: District, role: Role, scope: str) -> TestClient:
    place_id = district.place_id if role is Role.PLACE_OPERATOR else None
    add_account(district.registry, role.value, PASSWORD, role, scope, place_id=place_id)
    client = TestClient(app)
    assert sign_in(client, role.value, PASSWORD).status_code == 303
    return client


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_each_visitor_is_offered_the_pages_they_can_open(app, district, lang):
    with TestClient(app) as visitor:
        assert cards(visitor, lang) == {"/verify", "/me", "/entrance", "/login"}
    health = signed_in(app, district, Role.HEALTH_AUTHORITY, "370704")
    assert cards(health, lang) == {"/verify", "/entrance", "/registrations", "/health-codes"}
    assert health.get("/me").status_code == 403  # what the card would have led to
    assert health.get("/registrations").status_code == 200
    assert health.get("/health-codes").status_code == 200
    resident = signed_in(app, district, Role.RESIDENT, "370704001001001")
    assert cards(resident, lang) == {"/verify", "/me", "/entrance"}
    operator = signed_in(app, district, Role.PLACE_OPERATOR, "370704001001")
    assert cards(operator, lang) == {"/verify", "/entrance", "/devices"}
    staff = signed_in(app, district, Role.STREET_STAFF, "370704001")
    assert cards(staff, lang) == {"/verify", "/entrance", "/devices", "/registrations"}
