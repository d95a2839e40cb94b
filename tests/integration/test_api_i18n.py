"""Languages (house rule 10): ?lang=, then the cookie, then Accept-Language, then zh-CN; every
message in both languages; dates shown in Asia/Shanghai."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from importlib import resources

import pytest
from fastapi.testclient import TestClient

from jointcheck.api.app import create_app
from jointcheck.credentials.model import CodeColour, CredentialType
from jointcheck.credentials.pipeline import STEPS
from jointcheck.web.i18n import LOCALES, Translator, catalog, negotiate
from jointcheck.web.pages_home import PAGES
from web_factories import NOW, make_settings

PAGE_PATHS = ("/", "/verify", "/login")


@pytest.fixture
def client(tmp_path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path), clock=lambda: NOW)) as c:
        yield c


def page_lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', html)
    assert match
    return match.group(1)


def test_default_language_is_chinese(client):
    response = client.get("/verify")
    assert page_lang(response.text) == "zh-Hans-CN"
    assert "查验凭证" in response.text


def test_query_parameter_switches_and_the_cookie_remembers(client):
    response = client.get("/verify?lang=en")
    assert page_lang(response.text) == "en"
    assert "Verify a code" in response.text
    assert "lang=en" in response.headers["set-cookie"]
    assert page_lang(client.get("/verify").text) == "en"
    assert page_lang(client.get("/verify?lang=zh-CN").text) == "zh-Hans-CN"
    assert page_lang(client.get("/").text) == "zh-Hans-CN"


def test_accept_language_decides_when_nothing_else_does(client):
    english = client.get("/", headers={"accept-language": "fr-FR, en-US;q=0.8, zh;q=0.1"})
    assert page_lang(english.text) == "en"
    chinese = client.get("/", headers={"accept-language": "zh-TW,zh;q=0.9"})
    assert page_lang(chinese.text) == "zh-Hans-CN"
    unknown = client.get("/", headers={"accept-language": "fr, de;q=0.5"})
    assert page_lang(unknown.text) == "zh-Hans-CN"


def test_negotiation_order():
    assert negotiate("en", "zh-CN", "zh") == "en"
    assert negotiate(None, "en", "zh") == "en"
    assert negotiate("klingon", None, "en;q=0.3, zh;q=0.9") == "zh-CN"
    assert negotiate(None, None, "en;q=0") == "zh-CN"
    assert negotiate(None, None, None) == "zh-CN"


@pytest.mark.parametrize("path", PAGE_PATHS)
def test_every_page_has_the_language_switch_and_works_in_both(client, path):
    for locale, marker in (("zh-CN", "English"), ("en", "中文")):
        response = client.get(f"{path}?lang={locale}")
        assert response.status_code == 200
        assert f'href="{path}?lang=zh-CN"' in response.text
        assert f'href="{path}?lang=en"' in response.text
        assert marker in response.text


def test_language_switch_keeps_the_other_query_parameters(client):
    response = client.get("/login?next=%2Fme")
    assert 'href="/login?next=%2Fme&amp;lang=en"' in response.text


def test_api_error_messages_carry_both_languages_whatever_the_locale(client):
    body = client.post("/api/verify?lang=en", json={}).json()
    assert set(body["error"]["message"]) == set(LOCALES)


def test_every_catalog_message_has_both_languages():
    for key, entry in catalog().items():
        for locale in LOCALES:
            assert entry[locale].strip(), f"{key} has no {locale} text"


def test_every_message_id_in_the_templates_is_in_the_catalog():
    folder = resources.files("jointcheck.web") / "templates"
    used: set[str] = set()
    pending = [folder]
    while pending:
        for item in pending.pop().iterdir():
            if item.is_dir():
                pending.append(item)
            elif item.name.endswith(".html"):
                used |= set(
                    re.findall(r"\bt\('([a-z_.]+)'\s*[,)]", item.read_text(encoding="utf-8"))
                )
    assert used, "no message ids found: the pattern no longer matches the templates"
    missing = sorted(used - set(catalog()))
    assert not missing


def test_ids_built_at_render_time_are_in_the_catalog():
    ids = {f"type.{t.value}" for t in CredentialType}
    ids |= {f"colour.{c.value}" for c in CodeColour}
    ids |= {f"step.{name}" for name in (*STEPS, "numeric", "jws")}
    ids |= {f"home.{page.key}.{part}" for page in PAGES for part in ("title", "summary", "who")}
    assert not sorted(ids - set(catalog()))


def test_dates_and_times_are_shown_in_shanghai_time():
    at = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    assert "10:00" in Translator("en").datetime(at)
    assert "2026年11月28日" in Translator("zh-CN").datetime(at)
    assert "10:00" in Translator("zh-CN").datetime(at)
    assert Translator("en").date(date(2021, 9, 1)) == "1 Sept 2021"
    assert Translator("zh-CN").number(12345) == "12,345"


def test_naive_datetimes_are_refused_at_display():
    with pytest.raises(ValueError, match="naive"):
        Translator("en").datetime(datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


def test_the_home_page_links_the_mounted_pages(client):
    page = client.get("/?lang=en").text
    links = re.findall(r'<h2><a href="([^"]+)">', page)
    assert {"/verify", "/me", "/login"} <= set(links)
    assert "Verify a code" in page
