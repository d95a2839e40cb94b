"""Sign-in and sign-out in a browser (R6): the demo accounts, a wrong password, the session
cookie out of reach of scripts, and sign-out."""

from __future__ import annotations


def test_sign_in_and_sign_out(page, live_server, sign_in, screenshot):
    page.goto("/login?lang=en")
    screenshot(page, "login-en")
    username, password = live_server.login_of("street1")
    sign_in(page, username, password)
    assert page.url.rstrip("/") == live_server.url
    assert "Signed in: street1" in page.locator("header").inner_text()
    assert page.evaluate("document.cookie").find("jc_session") == -1, "HttpOnly"
    screenshot(page, "signed-in-en")
    page.get_by_test_id("logout").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("login-link").is_visible()


def test_a_wrong_password_says_so_in_chinese(page, live_server, sign_in, screenshot):
    page.goto("/login?lang=zh-CN")
    username, _ = live_server.login_of("street1")
    sign_in(page, username, "definitely-not-it")
    error = page.get_by_test_id("login-error")
    assert error.get_attribute("data-code") == "LOGIN_FAILED"
    assert "用户名或密码错误" in error.inner_text()
    assert page.get_by_test_id("username").input_value() == username
    screenshot(page, "login-failed-zh-CN")


def test_a_protected_page_asks_for_sign_in_and_returns(page, live_server, sign_in):
    page.goto("/me")
    assert "/login?next=%2Fme" in page.url
    username, password = live_server.login_of("resident")
    page.get_by_test_id("username").fill(username)
    page.get_by_test_id("password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/me")
    assert page.get_by_test_id("health-code-card").is_visible()


def test_pages_load_without_a_failed_request(page, live_server, sign_in):
    """Every request a page makes succeeds, and the page names an icon that exists (browsers
    otherwise ask for /favicon.ico on each visit: a 404 in the console of every page hides
    the errors that matter)."""
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    for path in ("/?lang=en", "/verify", "/login"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    sign_in(page, *live_server.login_of("operator"))
    page.goto("/devices")
    page.wait_for_load_state("networkidle")
    assert failed == []
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon is not None
    answer = page.request.get(icon)
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")
