"""The devices page in a browser (issue 4): the demo operator finds their place from the home
page, enrolls a terminal (the token shown once, with the fingerprint and the agent command),
and revokes it through the row's confirmation box; the token is then refused."""

from __future__ import annotations

import httpx2


def _device_answer(live_server, token: str) -> int:
    answer = httpx2.get(
        f"{live_server.url}/api/checkpoint/device", headers={"authorization": f"Bearer {token}"}
    )
    return answer.status_code


def test_an_operator_enrolls_and_revokes_a_terminal(page, live_server, sign_in, screenshot):
    sign_in(page, *live_server.login_of("operator"))
    page.goto("/?lang=en")
    # The navigation bar leads there (the home page has a card with the same name).
    page.get_by_role("navigation").get_by_role("link", name="Entrance terminals").click()
    page.wait_for_load_state()
    screenshot(page, "devices-places-en")
    page.locator("[data-testid=places] tbody a").first.click()
    page.wait_for_load_state()
    page.get_by_test_id("enroll-label").fill("gate e2e")
    page.get_by_test_id("enroll-submit").click()
    page.wait_for_load_state()
    screenshot(page, "devices-enrolled-en")
    token = page.get_by_test_id("token").inner_text().strip()
    fingerprint = page.get_by_test_id("fingerprint").inner_text().strip()
    command = page.get_by_test_id("agent-command").inner_text()
    assert command == (
        f"JOINTCHECK_DEVICE_TOKEN={token} jointcheck checkpoint --server {live_server.url} "
        f"--root-key {fingerprint}"
    )
    assert _device_answer(live_server, token) == 200
    why = page.get_by_test_id("agent-env-why").inner_text()
    assert "not --token: a command's arguments are visible to every user" in why

    page.go_back()
    page.reload()
    row = page.locator("tr", has_text="gate e2e")
    row.locator("summary").click()  # the confirmation opens; nothing is sent yet
    screenshot(page, "devices-revoke-confirm-en")
    assert _device_answer(live_server, token) == 200
    row.get_by_test_id("revoke-confirm").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("revoked-notice").is_visible()
    assert page.locator("tr", has_text="gate e2e").get_attribute("data-revoked") == "yes"
    screenshot(page, "devices-revoked-en")
    assert _device_answer(live_server, token) == 401


def test_reloading_the_enrolled_page_shows_no_token_and_enrolls_nothing(
    page, live_server, sign_in, screenshot
):
    sign_in(page, *live_server.login_of("operator"))
    page.goto("/devices?lang=zh-CN")
    page.locator("[data-testid=places] tbody a").first.click()
    page.wait_for_load_state()
    page.get_by_test_id("enroll-label").fill("gate reload")
    page.get_by_test_id("enroll-submit").click()
    page.wait_for_load_state()
    token = page.get_by_test_id("token").inner_text().strip()
    assert token not in page.url  # the address the browser reloads holds the device id only
    assert "enrolled=" in page.url
    page.reload()  # a GET: the browser asks nothing and sends no form again
    page.wait_for_load_state()
    notice = page.get_by_test_id("token-shown")
    assert notice.is_visible()
    assert "gate reload" in notice.inner_text()
    assert "令牌已显示过一次" in notice.inner_text()
    assert page.get_by_test_id("token").count() == 0
    assert token not in page.content()
    assert page.locator("tr", has_text="gate reload").count() == 1
    screenshot(page, "devices-token-shown-zh-CN")
    assert _device_answer(live_server, token) == 200
