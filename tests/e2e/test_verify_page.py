"""The verify page in a browser (issue 2): paste a code, see the masked result; paste garbage,
see the reason in Chinese and English; the same page in both languages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from jointcheck.bootstrap import DistrictKeyFiles
from jointcheck.credentials import issue
from jointcheck.credentials.issue import Holder
from jointcheck.credentials.model import CodeColour
from jointcheck.credentials.reasons import MESSAGES, Reason
from jointcheck.web.holder import ServerIssuers
from jointcheck.web.i18n import Translator

HOLDER = Holder("11010519491231002X", "张小三", "1949-12-31")


@pytest.fixture
def certificate(live_server) -> str:
    issuers = ServerIssuers.load(DistrictKeyFiles.of(live_server.settings))
    assert issuers is not None
    payload = issue.vaccination_payload(
        HOLDER,
        product="CoronaVac",
        dose=2,
        doses=2,
        on=date(2021, 6, 1),
        issuer="坊子区卫生健康局",
        uvci=issue.make_uvci("JOINTCHECK", "0123456789ABCDEF"),
    )
    return issue.issue_vaccination(
        issuers.vaccination, issuers.subject_key, HOLDER, payload, issued_at=datetime.now(UTC)
    )


def paste_and_verify(page, text: str) -> None:
    page.get_by_test_id("code-text").fill(text)
    page.get_by_test_id("verify-submit").click()
    page.get_by_test_id("verify-result").locator("[data-valid], [data-code]").wait_for()


@pytest.mark.parametrize(
    ("lang", "valid_word", "type_word", "name_label"),
    [
        ("zh-CN", "有效", "疫苗接种证明", "姓名"),
        ("en", "Valid", "Vaccination certificate", "Name"),
    ],
)
def test_a_pasted_certificate_shows_a_masked_valid_result(
    page, certificate, screenshot, lang, valid_word, type_word, name_label
):
    page.goto(f"/verify?lang={lang}")
    paste_and_verify(page, certificate)
    result = page.get_by_test_id("result")
    assert result.get_attribute("data-valid") == "true"
    assert valid_word in result.inner_text()
    assert type_word in result.inner_text()
    holder = page.locator("table[data-section=holder]")
    assert name_label in holder.inner_text()
    assert page.locator("tr[data-field=name] td").inner_text() == "张*三"
    assert page.locator("tr[data-field=dob] td").inner_text() == "1949-**-**"
    body = page.locator("main").inner_text()
    assert "张小三" not in body
    assert "1949-12-31" not in body
    assert page.locator("tr.step-pass").count() == 8
    assert page.url.endswith(f"/verify?lang={lang}"), "the result came by fetch, no reload"
    screenshot(page, f"verify-valid-{lang}")


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_garbage_shows_the_reason_in_both_languages(page, screenshot, lang):
    page.goto(f"/verify?lang={lang}")
    paste_and_verify(page, "HC1:NOT*BASE45~~")
    result = page.get_by_test_id("result")
    assert result.get_attribute("data-valid") == "false"
    assert page.get_by_test_id("reason-code").inner_text() == "BAD_BASE45"
    zh, en = MESSAGES[Reason.BAD_BASE45]
    assert page.get_by_test_id("reason-zh").inner_text() == zh
    assert page.get_by_test_id("reason-en").inner_text() == en
    failed = page.locator("tr.step-fail")
    assert failed.count() == 1
    assert failed.get_attribute("data-step") == "base45"
    screenshot(page, f"verify-garbage-{lang}")


def test_the_language_switch_keeps_the_page(page):
    page.goto("/verify")
    assert page.locator("html").get_attribute("lang") == "zh-Hans-CN"
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Verify a code"
    page.goto("/verify")
    assert page.locator("h1").inner_text() == "Verify a code", "the choice is remembered"
    page.get_by_role("link", name="中文").click()
    assert page.locator("h1").inner_text() == "查验凭证"


def test_an_uploaded_qr_image_is_verified(page, certificate, tmp_path):
    from jointcheck.credentials.qrimage import qr_image

    image = tmp_path / "certificate.png"
    image.write_bytes(qr_image(certificate, "png"))
    page.goto("/verify?lang=en")
    page.get_by_test_id("code-image").set_input_files(str(image))
    page.get_by_test_id("verify-submit").click()
    page.get_by_test_id("result").wait_for()
    assert page.get_by_test_id("result").get_attribute("data-valid") == "true"


def test_the_home_page_lists_the_pages(page, screenshot):
    page.goto("/?lang=en")
    cards = page.locator(".card h2").all_inner_texts()
    assert "Verify a code" in cards
    assert "My codes" in cards
    screenshot(page, "home-en")


@pytest.mark.parametrize(
    ("lang", "words"),
    [("zh-CN", ("纸质健康码", "有效至")), ("en", ("Paper health code", "valid until"))],
)
def test_a_pasted_paper_health_code_says_it_is_paper_and_until_when(
    page, live_server, screenshot, lang, words
):
    # Issue 4, R14: the printed code of someone without a phone lives a day, not minutes.
    issuers = ServerIssuers.load(DistrictKeyFiles.of(live_server.settings))
    assert issuers is not None
    now = datetime.now(UTC)
    paper = issue.issue_health_code(
        issuers.health_code, issuers.subject_key, HOLDER, colour=CodeColour.GREEN,
        issued_at=now, ttl=timedelta(hours=24), paper=True,
    )  # fmt: skip
    page.goto(f"/verify?lang={lang}")
    paste_and_verify(page, paper)
    assert page.get_by_test_id("result").get_attribute("data-valid") == "true"
    notice = page.get_by_test_id("paper-code").inner_text()
    until = Translator(lang).datetime(now + timedelta(hours=24), "short")
    assert all(w in notice for w in words)
    assert until in notice
    assert page.locator("tr[data-field=paper] td").is_visible()
    screenshot(page, f"verify-paper-{lang}")
