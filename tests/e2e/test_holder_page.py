"""The holder page in a browser (R14): the demo resident sees a health code QR that refreshes
by itself (the e2e server refreshes every 3 s), a countdown, and a printable paper code."""

from __future__ import annotations

import pytest


@pytest.fixture
def resident_page(page, live_server, sign_in):
    username, password = live_server.login_of("resident")
    sign_in(page, username, password)
    page.wait_for_url("**/me")
    return page


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_health_code_refreshes_by_itself(resident_page, screenshot, lang):
    page = resident_page
    page.goto(f"/me?lang={lang}")
    qr = page.get_by_test_id("health-code-qr")
    if not qr.count():
        pytest.fail("the demo resident has no health code: " + page.locator("main").inner_text())
    first = qr.get_attribute("src")
    assert first.startswith("data:image/svg+xml;base64,")
    countdown = page.get_by_test_id("countdown").inner_text()
    assert any(ch.isdigit() for ch in countdown)
    screenshot(page, f"holder-{lang}")
    page.wait_for_function(
        "() => (parseInt(document.getElementById('health-code-qr').dataset.refreshes) || 0) >= 1",
        timeout=15_000,
    )
    assert qr.get_attribute("src") != first
    assert page.get_by_test_id("privacy-notice").is_visible()


def test_refresh_now_fetches_a_new_code(resident_page):
    page = resident_page
    qr = page.get_by_test_id("health-code-qr")
    before = qr.get_attribute("src")
    page.get_by_test_id("refresh-now").click()
    page.wait_for_function(
        "(before) => document.getElementById('health-code-qr').src !== before", arg=before
    )


def test_the_print_page_has_a_paper_code(resident_page, screenshot):
    page = resident_page
    page.goto("/me/print?lang=en")
    paper = page.get_by_test_id("paper-code")
    assert paper.count() == 1
    assert "resident ID card" in paper.inner_text()
    screenshot(page, "print-en")
    page.emulate_media(media="print")
    assert not page.locator("header.site-header").is_visible()
    screenshot(page, "print-en-media-print")


def test_the_holder_page_fits_a_phone(resident_page, screenshot):
    page = resident_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/me?lang=zh-CN")
    qr = page.get_by_test_id("health-code-qr").bounding_box()
    assert qr is not None
    assert qr["width"] >= 250, "the code is large enough to scan from a phone screen"
    assert qr["x"] >= 0
    assert qr["x"] + qr["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling"
    screenshot(page, "holder-phone-zh-CN")


def test_a_family_member_without_a_phone_gets_a_paper_code(resident_page, screenshot):
    """The demo resident has a grandparent and a grandchild linked: each is listed masked with
    a print link, and the link prints that member's codes, not the resident's."""
    page = resident_page
    page.goto("/me?lang=en")
    members = page.get_by_test_id("family-member")
    assert members.count() == 2
    own = page.get_by_test_id("holder-name").inner_text().split(" ")[0]
    first = members.nth(0).inner_text()
    assert "*" in first
    # The relation in the page's language (R14): the demo's are from the list, none in Chinese.
    relations = {members.nth(i).get_by_test_id("relation").inner_text() for i in range(2)}
    assert relations <= {"Parent", "Grandparent", "Child", "Grandchild"}, relations
    screenshot(page, "holder-family-en")
    members.nth(0).get_by_test_id("print-member").click()
    page.wait_for_url("**/me/print?member=*")
    paper = page.get_by_test_id("paper-code")
    assert paper.count() == 1
    name = page.get_by_test_id("paper-name").inner_text()
    assert name.split(" ")[0] == first.split(" ")[0]
    assert name.split(" ")[0] != own
    assert page.get_by_test_id("paper-health-code").is_visible()
    assert page.get_by_test_id("paper-health-code").get_attribute("data-paper") == "true"
    assert "Paper health code valid until" in page.get_by_test_id("paper-valid-until").inner_text()
    assert "print it again" in page.get_by_test_id("paper-reprint").inner_text()
    assert "When printed:" in page.get_by_test_id("paper-colour").inner_text()
    assert page.get_by_test_id("paper-privacy").is_visible()
    screenshot(page, "print-member-en")
