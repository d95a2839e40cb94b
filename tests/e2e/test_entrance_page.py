"""The entrance page in a browser (issue 4, R1-R4, R14): codes typed as a USB scanner types
them, each result read on screen (colour, icon, word, masked name, reasons in both languages),
a persuaded person registered, a refusal overridden with a reason, the day's counts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from jointcheck.api.checkpoint_service import CheckpointServer
from jointcheck.bootstrap import DistrictKeyFiles, build_registry
from jointcheck.credentials import issue
from jointcheck.credentials.issue import Holder
from jointcheck.credentials.model import CodeColour
from jointcheck.security.roles import Principal, Role
from jointcheck.web.holder import ServerIssuers

HOLDER = Holder("11010519491231002X", "张小三", "1949-12-31")


class Codes:
    def __init__(self, issuers: ServerIssuers) -> None:
        self.issuers = issuers

    def health(self, colour: CodeColour = CodeColour.GREEN) -> str:
        return issue.issue_health_code(
            self.issuers.health_code, self.issuers.subject_key, HOLDER, colour=colour,
            issued_at=datetime.now(UTC),
        )  # fmt: skip

    def vaccination(self) -> str:
        payload = issue.vaccination_payload(
            HOLDER, product="CoronaVac", dose=2, doses=2, on=date(2021, 6, 1),
            issuer="坊子区卫生健康局", uvci=issue.make_uvci("JOINTCHECK", "E2E0001"),
        )  # fmt: skip
        return issue.issue_vaccination(
            self.issuers.vaccination, self.issuers.subject_key, HOLDER, payload,
            issued_at=datetime.now(UTC),
        )  # fmt: skip


@pytest.fixture(scope="module")
def device_token(live_server) -> str:
    return enroll_demo_device(live_server)


def enroll_demo_device(live_server, category: str = "malls_and_supermarkets") -> str:
    """A device enrolled at the first entrance of a demo place of CATEGORY (persuade mode)."""
    registry = build_registry(live_server.settings)
    server = CheckpointServer.of(
        live_server.settings, registry, lambda: datetime.now(UTC), "fangzi-2021"
    )
    admin = Principal(0, "e2e", Role.DISTRICT_ADMIN, live_server.demo.district_code)
    try:
        place = registry.places.list(admin, category=category, limit=1)[0]
        entrance = place.entrances[0].name if place.entrances else ""
        _, token = server.enroll(admin, place.id, entrance, "e2e terminal")
        server.bundle_document()  # published now, not in the first scan's time
    finally:
        registry.close()
    return token


@pytest.fixture
def codes(live_server) -> Codes:
    issuers = ServerIssuers.load(DistrictKeyFiles.of(live_server.settings))
    assert issuers is not None
    return Codes(issuers)


def scan(page, *texts: str) -> None:
    """Type each code as a keyboard-wedge scanner does (characters, then Enter), then check."""
    field = page.get_by_test_id("scan-input")
    for text in texts:
        field.press_sequentially(text, delay=0)
        field.press("Enter")
    field.press("Enter")


def result_of(page, outcome: str) -> dict[str, str]:
    box = page.get_by_test_id("result")
    expect(box).to_have_attribute("data-outcome", outcome, timeout=30_000)
    return {
        "class": box.get_attribute("class") or "",
        "icon": page.get_by_test_id("result-icon").inner_text(),
        "word": page.get_by_test_id("result-word").inner_text(),
        "name": page.get_by_test_id("result-name").inner_text(),
        "zh": page.get_by_test_id("result-zh").inner_text(),
        "en": page.get_by_test_id("result-en").inner_text(),
    }


def test_scans_at_an_entrance_register_and_override(page, device_token, codes, screenshot):
    page.goto(f"/entrance?token={device_token}")
    assert page.url.endswith("/entrance")
    shots: list[Path] = [screenshot(page, "entrance-waiting")]

    scan(page, codes.health(), codes.vaccination())
    admitted = result_of(page, "ADMIT")
    assert "tone-green" in admitted["class"]
    assert admitted["icon"] == "✔"
    assert admitted["word"] == "通过"
    assert admitted["name"] == "张*三"
    assert "已接种" in admitted["zh"]
    assert "Vaccinated" in admitted["en"]
    shots.append(screenshot(page, "entrance-admit"))

    scan(page, codes.health())
    persuaded = result_of(page, "PERSUADE")
    assert "tone-amber" in persuaded["class"]
    assert persuaded["icon"] == "!"
    assert persuaded["word"] == "劝返"
    form = page.get_by_test_id("register-form")
    assert form.is_visible()
    assert "28" in page.get_by_test_id("privacy-notice").inner_text()
    shots.append(screenshot(page, "entrance-persuade"))

    page.get_by_test_id("reg-name").fill("张小三")
    page.get_by_test_id("reg-number").fill(HOLDER.id_number)
    page.get_by_test_id("reg-phone").fill("13812345678")
    page.get_by_test_id("reg-purpose").fill("购买药品")
    page.get_by_test_id("register").click()
    registered = result_of(page, "ADMIT_REGISTERED")
    assert "tone-green" in registered["class"]
    assert registered["word"] == "登记后通过"
    assert registered["name"] == "张*三"
    assert not form.is_visible()
    shots.append(screenshot(page, "entrance-registered"))

    scan(page, codes.health(CodeColour.RED))
    denied = result_of(page, "DENY")
    assert "tone-red" in denied["class"]
    assert denied["icon"] == "✖"
    assert "红码" in denied["zh"]
    assert "Red code" in denied["en"]
    assert page.get_by_test_id("override-form").is_visible()
    shots.append(screenshot(page, "entrance-deny"))

    page.get_by_test_id("override-reason").select_option("MEDICAL_EMERGENCY")
    page.get_by_test_id("override-staff").fill("S-017")
    page.get_by_test_id("override").click()
    expect(page.get_by_test_id("result-en")).to_contain_text("staff")
    # Let in against the DENY: the screen no longer says DENY in red to the staff at the door.
    overridden = result_of(page, "DENY")
    assert page.get_by_test_id("result").get_attribute("data-overridden") == "yes"
    assert "tone-amber" in overridden["class"]
    assert overridden["icon"] == "!"
    assert overridden["word"] == "特殊放行（已记录）"
    assert overridden["name"] == "张*三", "the person let in is still named"
    shots.append(screenshot(page, "entrance-overridden"))

    page.get_by_test_id("scan-input").press_sequentially("NOT-A-CODE", delay=0)
    page.get_by_test_id("scan-input").press("Enter")
    page.get_by_test_id("scan-input").press("Enter")
    expect(page.get_by_test_id("result-en")).to_contain_text("Unrecognised")
    assert page.get_by_test_id("result").get_attribute("data-outcome") == "DENY"

    expect(page.get_by_test_id("count-checks")).to_have_text("5")
    assert page.get_by_test_id("count-registered").inner_text() == "1"
    assert page.get_by_test_id("count-persuaded").inner_text() == "1"
    assert page.get_by_test_id("count-denied").inner_text() == "2"
    shots.append(screenshot(page, "entrance-counts"))
    assert all(p.stat().st_size > 0 for p in shots)


def test_a_family_is_checked_in_one_go(page, device_token, codes, screenshot):
    page.goto(f"/entrance?token={device_token}&lang=en")
    field = page.get_by_test_id("scan-input")
    for text in (codes.health(), codes.vaccination()):
        field.press_sequentially(text, delay=0)
        field.press("Enter")
    page.get_by_test_id("next-person").click()
    field.press_sequentially(codes.health(CodeColour.YELLOW), delay=0)
    field.press("Enter")
    page.get_by_test_id("check").click()
    page.wait_for_selector("[data-testid=family-results] li >> nth=1")
    items = page.get_by_test_id("family-results").locator("li")
    assert [items.nth(i).get_attribute("data-outcome") for i in range(2)] == ["ADMIT", "DENY"]
    assert "ADMIT" in items.nth(0).inner_text()
    screenshot(page, "entrance-family-en")


def test_the_page_without_an_enrolled_device_is_refused(page):
    page.goto("/entrance?token=not-a-token")
    assert "DEVICE_UNKNOWN" in page.content()


def test_a_family_members_registration_and_override_are_made_from_their_line(
    page, device_token, codes, screenshot
):
    """R3 and R14 together: the persuaded member of a family is registered, and the refused
    one let in with a reason, each from their own line of the family's results."""
    page.goto(f"/entrance?token={device_token}&lang=en")
    field = page.get_by_test_id("scan-input")
    for person in ((codes.health(), codes.vaccination()), (codes.health(),)):
        for text in person:
            field.press_sequentially(text, delay=0)
            field.press("Enter")
        page.get_by_test_id("next-person").click()
    field.press_sequentially(codes.health(CodeColour.YELLOW), delay=0)
    field.press("Enter")
    page.get_by_test_id("check").click()
    items = page.get_by_test_id("family-results").locator("li")
    expect(items).to_have_count(3)
    assert [items.nth(i).get_attribute("data-outcome") for i in range(3)] == [
        "ADMIT", "PERSUADE", "DENY",
    ]  # fmt: skip
    assert items.nth(0).get_by_test_id("family-follow-up").count() == 0
    screenshot(page, "entrance-family-follow-up-en")

    items.nth(1).get_by_test_id("family-follow-up").click()
    assert page.get_by_test_id("register-form").is_visible()
    assert page.get_by_test_id("result").get_attribute("data-outcome") == "PERSUADE"
    page.get_by_test_id("reg-name").fill("张小三")
    page.get_by_test_id("reg-number").fill(HOLDER.id_number)
    page.get_by_test_id("reg-phone").fill("13812345678")
    page.get_by_test_id("reg-purpose").fill("陪同家人")
    page.get_by_test_id("register").click()
    expect(items.nth(1)).to_have_attribute("data-outcome", "ADMIT_REGISTERED")
    assert "ADMIT (registered)" in items.nth(1).inner_text()

    items.nth(2).get_by_test_id("family-follow-up").click()
    assert page.get_by_test_id("override-form").is_visible()
    page.get_by_test_id("override-reason").select_option("RESIDENT_RETURNING")
    page.get_by_test_id("override-staff").fill("S-018")
    page.get_by_test_id("override").click()
    expect(items.nth(2)).to_have_attribute("data-outcome", "OVERRIDDEN")
    assert "ADMIT (override recorded) 张*三" in items.nth(2).inner_text()
    screenshot(page, "entrance-family-followed-up-en")
