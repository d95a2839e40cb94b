"""The health authority's code page in a browser (issue 4, R6): the demo's health account goes
there from the navigation bar, finds a person by their ID document, sees them masked with
their colour in word and shape, changes it to red with a reason and an "until" after a
confirmation, and sees the new status; on a phone's width nothing scrolls sideways."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from jointcheck.credentials.masking import mask_name

PHONE = {"width": 390, "height": 844}


def _person(live_server, index: int):
    people = [p for p in live_server.demo.persons if p.form.document_type == "resident_id_card"]
    # Not the demo resident (their page belongs to the holder tests): a person of their own.
    return people[index]


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_the_health_authority_changes_a_colour_after_a_confirmation(
    page, live_server, sign_in, screenshot
):
    person = _person(live_server, 7).form
    sign_in(page, *live_server.login_of("health"))
    page.goto("/?lang=en")
    page.get_by_role("navigation").get_by_role("link", name="Health codes").click()
    page.wait_for_load_state()
    page.get_by_test_id("hc-document-type").select_option("resident_id_card")
    page.get_by_test_id("hc-number").fill(person.document_number)
    screenshot(page, "health-codes-find-en")
    page.get_by_test_id("hc-find-submit").click()
    page.wait_for_load_state()
    assert person.document_number not in page.url
    assert mask_name(person.name) in page.locator("h1").inner_text()
    assert person.name not in page.content()
    assert person.document_number not in page.content()
    before = page.get_by_test_id("hc-colour").get_attribute("data-colour")
    assert before in {"green", "yellow", "red"}

    until = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=14)
    page.get_by_test_id("hc-colour-red").check()
    page.get_by_test_id("hc-reason-input").fill("close contact, 14 days at home")
    page.get_by_test_id("hc-until-input").fill(until.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_test_id("hc-change-submit").click()
    page.wait_for_load_state()
    confirm = page.get_by_test_id("hc-confirm")
    assert confirm.is_visible()
    assert "Red code" in confirm.inner_text()
    # Nothing is changed yet: the current status is still the one before.
    assert page.get_by_test_id("hc-colour").get_attribute("data-colour") == before
    screenshot(page, "health-codes-confirm-en")
    page.get_by_test_id("hc-confirm-submit").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("hc-changed").is_visible()
    colour = page.get_by_test_id("hc-colour")
    assert colour.get_attribute("data-colour") == "red"
    assert "■" in colour.inner_text()  # the shape, not the colour alone
    assert "Red code" in colour.inner_text()
    assert page.get_by_test_id("hc-reason").inner_text() == "close contact, 14 days at home"
    assert until.strftime("%Y") in page.get_by_test_id("hc-until").inner_text()
    screenshot(page, "health-codes-changed-en")


def test_the_page_in_chinese_on_a_phone_refuses_a_past_until(
    page, live_server, sign_in, screenshot
):
    person = _person(live_server, 8).form
    page.set_viewport_size(PHONE)
    sign_in(page, *live_server.login_of("health"))
    page.goto("/health-codes?lang=zh-CN")
    _fits(page)
    assert "健康码管理" in page.locator("h1").inner_text()
    page.get_by_test_id("hc-number").fill(person.document_number)
    page.get_by_test_id("hc-find-submit").click()
    page.wait_for_load_state()
    _fits(page)
    page.get_by_test_id("hc-colour-yellow").check()
    page.get_by_test_id("hc-reason-input").fill("时空伴随")
    page.get_by_test_id("hc-until-input").fill("2021-09-01T18:00")
    page.get_by_test_id("hc-change-submit").click()
    page.wait_for_load_state()
    error = page.get_by_test_id("hc-error")
    assert "截止时间须晚于现在" in error.inner_text()
    assert error.locator("[data-code=HEALTH_CODE_UNTIL_PAST]").count() == 1
    _fits(page)
    screenshot(page, "health-codes-past-until-zh-CN-phone")
    page.get_by_test_id("hc-until-input").fill("")
    page.get_by_test_id("hc-change-submit").click()
    page.wait_for_load_state()
    _fits(page)
    screenshot(page, "health-codes-confirm-zh-CN-phone")
    page.get_by_test_id("hc-confirm-submit").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("hc-colour").get_attribute("data-colour") == "yellow"
    assert "黄码" in page.get_by_test_id("hc-colour").inner_text()
    assert "未设定" in page.get_by_test_id("hc-until").inner_text()
    _fits(page)
    screenshot(page, "health-codes-changed-zh-CN-phone")


def test_other_accounts_have_no_link_and_are_refused(page, live_server, sign_in):
    sign_in(page, *live_server.login_of("street1"))
    page.goto("/?lang=en")
    assert page.get_by_role("navigation").get_by_role("link", name="Health codes").count() == 0
    answer = page.goto("/health-codes?lang=en")
    assert answer is not None
    assert answer.status == 403
