"""The holder page (R14): a resident sees a fresh health code and their vaccination
certificate, both verifying against the server's own trust list and bound to one subject;
names are masked on screen; every issuance is an audited read of their own record (R6)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from jointcheck.api.app import create_app
from jointcheck.api.trust import ServerTrust, TrustPaths
from jointcheck.bootstrap import DistrictKeyFiles, ensure_district_keys
from jointcheck.credentials.model import CodeColour, CredentialType, HealthCode
from jointcheck.credentials.qrimage import read_qr_image
from jointcheck.security.roles import Role
from jointcheck.web.holder import HolderCodes
from web_factories import DISTRICT, NOW, add_resident, sign_in

GRID = "370704001001001"


@pytest.fixture
def keys(settings):
    ensure_district_keys(settings, NOW - timedelta(days=1), DISTRICT)
    return DistrictKeyFiles.of(settings)


@pytest.fixture
def staff(principal):
    return principal(Role.HEALTH_AUTHORITY)


@pytest.fixture
def resident(registry, tree, staff):
    return add_resident(registry, staff, GRID, colour=CodeColour.YELLOW)


@pytest.fixture
def client(settings, keys, resident) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=lambda: NOW)) as c:
        assert sign_in(c, resident.username, resident.password).headers["location"] == "/me"
        yield c


def server_trust(settings) -> ServerTrust:
    return ServerTrust(TrustPaths.of(settings), timedelta(seconds=30))


def test_holder_page_shows_both_codes_with_the_name_masked(client, resident):
    response = client.get("/me?lang=en")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    page = response.text
    assert "张*三" in page
    assert resident.name not in page
    assert resident.id_number not in page
    assert 'data-testid="health-code-qr"' in page
    assert 'src="data:image/svg+xml;base64,' in page
    assert 'data-testid="vaccination-qr"' in page
    assert "Yellow code" in page
    assert "Privacy notice" in page


def test_each_refresh_is_a_new_code_that_verifies_as_the_residents(client, settings):
    first = client.get("/api/me/health-code").json()
    second = client.get("/api/me/health-code").json()
    assert first["image"] != second["image"]
    assert (
        first["expires_at"]
        == (NOW + timedelta(seconds=settings.health_code_ttl_seconds)).isoformat()
    )
    assert first["refresh_seconds"] == settings.holder_refresh_seconds


def test_issued_codes_verify_and_share_one_subject(settings, registry, keys, resident):
    holder = HolderCodes(registry, keys, timedelta(minutes=3))
    account = registry.accounts.authenticate(resident.username, resident.password)
    assert account is not None
    card = holder.card(account, NOW)
    assert card.health_code is not None
    assert card.vaccination is not None
    trust = server_trust(settings)
    health = trust.verify(card.health_code.text, NOW)
    vaccination = trust.verify(card.vaccination.text, NOW)
    assert health is not None
    assert vaccination is not None
    assert health.valid, health.reason
    assert vaccination.valid, vaccination.reason
    assert health.type is CredentialType.HEALTH_CODE
    assert vaccination.type is CredentialType.DCC_VACCINATION
    assert isinstance(health.credential, HealthCode)
    assert health.credential.colour is CodeColour.YELLOW
    assert vaccination.credential is not None
    assert health.credential.subject.id_hash == vaccination.credential.subject.id_hash
    stale = trust.verify(card.health_code.text, NOW + timedelta(minutes=10))
    assert stale is not None
    assert stale.reason.value == "EXPIRED"
    assert read_qr_image(_png_of(card.vaccination.text)) == [card.vaccination.text]


def _png_of(text: str) -> bytes:
    from jointcheck.credentials.qrimage import qr_image

    return qr_image(text, "png")


def test_every_issuance_is_an_audited_read_of_the_own_record(client, registry, resident):
    def reads() -> int:
        with registry.uow() as uow:
            entries = uow.audit.list(scope_code=DISTRICT, limit=1000)
        return sum(
            1
            for e in entries
            if e.action.value == "personal_data.read" and e.subject_id == str(resident.person_id)
        )

    before = reads()
    client.get("/api/me/health-code")
    client.get("/me")
    assert reads() == before + 2


def test_print_page_carries_the_certificate_and_the_instructions(client, resident):
    page = client.get("/me/print?lang=en").text
    assert 'data-testid="paper-code"' in page
    assert "together with the resident ID card" in page
    assert resident.name not in page
    assert "张*三" in page


def test_without_issuing_keys_the_page_says_what_to_run(settings, resident):
    with TestClient(create_app(settings, clock=lambda: NOW)) as c:
        sign_in(c, resident.username, resident.password)
        page = c.get("/me?lang=en").text
    assert 'data-code="NO_ISSUER"' in page
    assert "jointcheck demo up" in page


def test_a_resident_without_a_code_colour_sees_so(settings, keys, registry, tree, staff):
    other = add_resident(registry, staff, GRID, name="李四", colour=None, doses=0, sequence=124)
    with TestClient(create_app(settings, clock=lambda: NOW)) as c:
        sign_in(c, other.username, other.password)
        page = c.get("/me?lang=en").text
        assert 'data-testid="no-health-code"' in page
        assert 'data-testid="no-vaccination"' in page
        assert c.get("/api/me/health-code").json()["error"]["code"] == "NO_HEALTH_CODE"
