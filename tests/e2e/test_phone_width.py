"""Pages opened on a phone (390 px wide, issue 4). A grid administrator's: the devices list,
a place's terminals and the enrolled terminal's answer fit the screen in zh-CN and en, with
no sideways scrolling; each table row reads as its values under their column headings. The
entrance page on a phone gives the result's reasons the screen's width."""

from __future__ import annotations

from playwright.sync_api import expect
from test_entrance_page import Codes, enroll_demo_device, scan

from jointcheck.bootstrap import DistrictKeyFiles
from jointcheck.credentials.model import CodeColour
from jointcheck.web.holder import ServerIssuers

PHONE = {"width": 390, "height": 844}


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_a_grid_administrator_manages_terminals_on_a_phone(page, live_server, sign_in, screenshot):
    page.set_viewport_size(PHONE)
    sign_in(page, *live_server.login_of("grid1"))
    for lang, heading in (("zh-CN", "所属社区代码"), ("en", "Community code")):
        page.goto(f"/devices?lang={lang}")
        _fits(page)
        caption = page.locator("[data-testid=places] caption").bounding_box()
        assert caption is not None
        assert caption["width"] > PHONE["width"] / 2, "the caption is not squeezed into a column"
        first = page.locator("[data-testid=places] tbody tr").first
        labels = first.locator("td").evaluate_all(
            "cells => cells.map(c => getComputedStyle(c, '::before').content)"
        )
        assert f'"{heading}"' in labels, "each value is shown under its column's heading"
        screenshot(page, f"phone-devices-{lang}")
        first.locator("a").click()
        page.wait_for_load_state()
        _fits(page)
        screenshot(page, f"phone-place-{lang}")

    page.get_by_test_id("enroll-label").fill("phone gate")
    page.get_by_test_id("enroll-submit").click()
    page.wait_for_load_state()
    token = page.get_by_test_id("token").inner_text().strip()
    _fits(page)
    link = page.get_by_test_id("entrance-link").bounding_box()
    command = page.get_by_test_id("agent-command").bounding_box()
    assert link is not None
    assert command is not None
    assert link["x"] + link["width"] <= PHONE["width"]
    assert command["x"] + command["width"] <= PHONE["width"]
    assert token in page.get_by_test_id("agent-command").inner_text()
    screenshot(page, "phone-enrolled-en")


def test_the_entrance_page_on_a_phone_gives_the_reasons_the_width(page, live_server, screenshot):
    """Staff checking on a phone read the reasons across the screen, not in a narrow column
    beside a large icon."""
    token = enroll_demo_device(live_server)
    codes = Codes(ServerIssuers.load(DistrictKeyFiles.of(live_server.settings)))
    page.set_viewport_size(PHONE)
    page.goto(f"/entrance?token={token}&lang=en")
    scan(page, codes.health(CodeColour.RED))
    expect(page.get_by_test_id("result")).to_have_attribute("data-outcome", "DENY")
    _fits(page)
    reason = page.get_by_test_id("result-en").bounding_box()
    assert reason is not None
    assert reason["width"] >= PHONE["width"] * 0.6
    screenshot(page, "phone-entrance-deny-en")
