"""Who may enroll and revoke checkpoint devices (R6, least privilege): enrollers within their
scope only; no other role; and nobody without a session and the CSRF header."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from checkpoint_factories import ROOT_FINGERPRINT, District
from fastapi.testclient import TestClient

from jointcheck.api.app import create_app
from jointcheck.security.roles import Role
from jointcheck.web.session import CSRF_HEADER
from web_factories import add_account, csrf_of, sign_in

PASSWORD = "correct horse battery"


@pytest.fixture
def app(district: District):
    """The app, its lifespan running for the test (so its database pool is closed after)."""
    app = create_app(district.settings, clock=district.now)
    with TestClient(app):
        yield app


def signed_in(app, district: District, role: Role, scope: str, place_id: int | None = None):
    username = f"{role.value}-user"
    add_account(district.registry, username, PASSWORD, role, scope, place_id=place_id)
    client = TestClient(app)
    assert sign_in(client, username, PASSWORD).status_code in {302, 303}
    client.headers[CSRF_HEADER] = csrf_of(client.get("/verify").text)
    return client


@pytest.fixture
def anonymous(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def enroll(client: TestClient, place_id: int):
    return client.post("/api/checkpoint/devices", json={"place_id": place_id, "label": "t"})


def test_street_staff_enroll_in_their_street_only(app, district):
    staff = signed_in(app, district, Role.STREET_STAFF, "370704001")
    mine = enroll(staff, district.place_id)
    assert mine.status_code == 200
    assert mine.json()["token"]
    assert "BEGIN PUBLIC KEY" in mine.json()["root_public_key"]
    # The fingerprint the operator gives the agent (--root-key) comes with the token.
    assert mine.json()["root_fingerprint"] == ROOT_FINGERPRINT
    other = enroll(staff, district.other_place_id)
    assert other.status_code == 400
    assert other.json()["error"]["code"] == "PLACE_UNKNOWN"


def test_an_operator_enrolls_for_their_place_only(app, district):
    operator = signed_in(
        app, district, Role.PLACE_OPERATOR, "370704001001", place_id=district.place_id
    )
    assert enroll(operator, district.place_id).status_code == 200
    assert enroll(operator, district.other_place_id).json()["error"]["code"] == "PLACE_UNKNOWN"


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.HEALTH_AUTHORITY, Role.SCHOOL_ADMIN])
def test_other_roles_cannot_enroll(app, district, role):
    client = signed_in(
        app, district, role, "370704001001001" if role is Role.RESIDENT else "370704"
    )
    answer = enroll(client, district.place_id)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "FORBIDDEN"


def test_no_session_or_no_csrf_header_enrolls_nothing(app, district, anonymous):
    assert enroll(anonymous, district.place_id).status_code in {401, 403}
    staff = signed_in(app, district, Role.STREET_STAFF, "370704001")
    del staff.headers[CSRF_HEADER]
    assert enroll(staff, district.place_id).status_code == 403


def test_a_device_is_revoked_only_from_within_its_scope(app, district):
    mine = signed_in(app, district, Role.STREET_STAFF, "370704001")
    device_id = enroll(mine, district.place_id).json()["device_id"]
    add_account(district.registry, "other-street", PASSWORD, Role.STREET_STAFF, "370704002")
    other = TestClient(app)
    sign_in(other, "other-street", PASSWORD)
    other.headers[CSRF_HEADER] = csrf_of(other.get("/verify").text)
    assert other.post(f"/api/checkpoint/devices/{device_id}/revoke").status_code == 404
    assert mine.post(f"/api/checkpoint/devices/{device_id}/revoke").json()["revoked"] is True


def test_enrolling_and_revoking_a_terminal_is_audited(app, district):
    """Who gave a terminal its token, and who withdrew it, stays on record (R6)."""
    staff = signed_in(app, district, Role.STREET_STAFF, "370704001")
    device_id = enroll(staff, district.place_id).json()["device_id"]
    staff.post(f"/api/checkpoint/devices/{device_id}/revoke")
    # Revoking it again changes nothing, and records nothing.
    staff.post(f"/api/checkpoint/devices/{device_id}/revoke")
    with district.registry.uow() as uow:
        entries = [
            e for e in uow.audit.list(scope_code="370704", limit=1000) if e.subject_id == device_id
        ]
    assert sorted(e.action.value for e in entries) == ["device.enroll", "device.revoke"]
    assert {e.actor_username for e in entries} == {"street_staff-user"}
    assert all(e.subject_kind == "device" for e in entries)
