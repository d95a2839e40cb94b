"""The print page (R14, issue 4): a paper health code that lasts the deployment's paper
lifetime (default 24 h), beside the vaccination certificate, with "valid until" in large type,
the colour in word and shape, and the privacy line; the holder page's own code stays dynamic."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from jointcheck.api.app import create_app
from jointcheck.api.trust import ServerTrust, TrustPaths
from jointcheck.bootstrap import DistrictKeyFiles, ensure_district_keys
from jointcheck.credentials.model import CodeColour, HealthCode
from jointcheck.credentials.qrimage import qr_image, read_qr_image
from jointcheck.security.roles import Role
from jointcheck.web.holder import HolderCodes
from web_factories import DISTRICT, NOW, add_resident, sign_in

GRID = "370704001001001"


@pytest.fixture
def keys(settings):
    ensure_district_keys(settings, NOW - timedelta(days=1), DISTRICT)
    return DistrictKeyFiles.of(settings)


@pytest.fixture
def resident(registry, tree, principal):
    return add_resident(registry, principal(Role.HEALTH_AUTHORITY), GRID, colour=CodeColour.YELLOW)


@pytest.fixture
def client(settings, keys, resident) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=lambda: NOW)) as c:
        sign_in(c, resident.username, resident.password)
        yield c


def _trust(settings) -> ServerTrust:
    return ServerTrust(TrustPaths.of(settings), timedelta(seconds=30))


def _block(page: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</p>', page, re.DOTALL)
    assert found is not None, testid
    return " ".join(found.group(1).split())


def test_print_page_shows_the_paper_form_in_english(client, resident):
    page = client.get("/me/print?lang=en").text
    assert 'data-testid="paper-health-code" data-paper="true"' in page
    assert 'data-testid="paper-vaccination"' in page
    assert "张*三" in page
    assert resident.name not in page
    assert resident.id_number not in page
    colour = _block(page, "paper-colour")
    assert "▲" in colour  # a shape for black-and-white print, beside the word
    assert "When printed: Yellow code" in colour
    until = _block(page, "paper-valid-until")
    assert "Paper health code valid until" in until
    assert "<strong>" in until
    assert "print it again" in _block(page, "paper-reprint")
    assert "keyed hash of the ID number" in _block(page, "paper-privacy")


def test_print_page_in_chinese(client):
    page = client.get("/me/print?lang=zh-CN").text
    assert "纸质健康码有效至" in page
    assert "过期后请重新打印" in page
    assert "打印时：黄码" in page
    assert "仅供入口核对身份" in page


def test_the_printed_code_is_paper_and_lasts_a_day(settings, registry, keys, resident):
    account = registry.accounts.authenticate(resident.username, resident.password)
    assert account is not None
    card = HolderCodes(registry, keys, timedelta(minutes=3)).card(account, NOW, paper=True)
    assert card.health_code is not None
    assert read_qr_image(qr_image(card.health_code.text, "png")) == [card.health_code.text]
    trust = _trust(settings)
    at_23 = trust.verify(card.health_code.text, NOW + timedelta(hours=23))
    at_25 = trust.verify(card.health_code.text, NOW + timedelta(hours=25))
    assert at_23 is not None
    assert at_25 is not None
    assert at_23.valid, at_23.reason
    assert at_23.paper
    assert isinstance(at_23.credential, HealthCode)
    assert at_23.credential.colour is CodeColour.YELLOW
    assert at_25.reason.value == "EXPIRED"


def test_the_holder_pages_code_stays_dynamic(settings, registry, keys, resident):
    account = registry.accounts.authenticate(resident.username, resident.password)
    assert account is not None
    holder = HolderCodes(registry, keys, timedelta(minutes=3))
    dynamic = holder.card(account, NOW).health_code
    paper = holder.card(account, NOW, paper=True).health_code
    assert dynamic is not None
    assert paper is not None
    assert not dynamic.paper
    assert paper.paper
    assert paper.expires_at - NOW == timedelta(hours=24)
    trust = _trust(settings)
    checked = trust.verify(dynamic.text, NOW)
    assert checked is not None
    assert isinstance(checked.credential, HealthCode)
    assert not checked.credential.paper
    later = trust.verify(dynamic.text, NOW + timedelta(hours=1))
    assert later is not None
    assert later.reason.value == "EXPIRED"


def test_the_paper_lifetime_is_a_setting(client, settings, keys, resident):
    default = _block(client.get("/me/print?lang=en").text, "paper-valid-until")
    shorter = settings.model_copy(update={"paper_code_ttl_hours": 8})
    with TestClient(create_app(shorter, clock=lambda: NOW)) as c:
        sign_in(c, resident.username, resident.password)
        eight = _block(c.get("/me/print?lang=en").text, "paper-valid-until")
    # NOW is 10:00 in Fangzi: valid for 24 h by default, 8 h as this deployment sets.
    assert "<strong>29 Nov 2026, 10:00:00</strong>" in default
    assert "<strong>28 Nov 2026, 18:00:00</strong>" in eight
