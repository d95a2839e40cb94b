"""The family page on a phone (R14): the demo grid administrator finds a resident of their
community by ID card, sees the family members linked to them with the relation in the page's
language, links one more and removes that link through the row's confirmation box."""

from __future__ import annotations

from jointcheck.credentials.masking import mask_name

PHONE = {"width": 390, "height": 844}


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def _household(live_server):
    """Two persons of grid1's community in no family link of the demo: the resident and the
    neighbour to link to them."""
    demo = live_server.demo
    scope = next(a for a in demo.accounts if a.username == "grid1").scope_code
    taken = {f.member_index for f in demo.families} | {f.holder_index for f in demo.families}
    holder, member = [
        p
        for i, p in enumerate(demo.persons)
        if p.form.grid_code.startswith(scope) and i not in taken
    ][:2]
    return holder, member


def test_a_grid_administrator_links_and_unlinks_on_a_phone(page, live_server, sign_in, screenshot):
    holder, member = _household(live_server)
    page.set_viewport_size(PHONE)
    sign_in(page, *live_server.login_of("grid1"))
    page.goto("/?lang=en")
    page.get_by_role("navigation").get_by_role("link", name="Family links").click()
    page.wait_for_load_state()
    _fits(page)
    screenshot(page, "family-find-en")
    page.get_by_test_id("find-number").fill(holder.form.document_number)
    page.get_by_test_id("find-submit").click()
    page.wait_for_load_state()
    assert holder.form.document_number not in page.url
    assert holder.form.document_number not in page.content()
    rows = page.get_by_test_id("family-link")
    assert rows.count() == 0
    assert page.get_by_test_id("no-links").is_visible()
    _fits(page)
    screenshot(page, "family-resident-en")
    resident = page.get_by_test_id("resident").inner_text()
    assert f"Resident {mask_name(holder.form.name)}" in resident
    assert holder.form.name not in page.content()

    page.get_by_test_id("member-number").fill(member.form.document_number)
    page.get_by_test_id("add-relation").select_option("neighbour")
    page.get_by_test_id("add-reason").fill("elderly neighbour, checked at home")
    page.get_by_test_id("add-submit").click()
    page.wait_for_load_state()
    notice = page.get_by_test_id("family-notice")
    assert "(Neighbour) is linked to the resident." in notice.inner_text()
    assert rows.count() == 1
    assert rows.get_by_test_id("relation").inner_text() == "Neighbour"
    assert member.form.document_number not in page.content()
    assert member.form.name not in page.content()
    _fits(page)

    page.get_by_role("link", name="中文").click()
    page.wait_for_load_state()
    new_row = rows.filter(has_text="邻居")
    assert new_row.count() == 1
    new_row.locator("summary").click()  # the confirmation opens; nothing is sent yet
    new_row.get_by_test_id("remove-reason").fill("已迁出本社区")
    _fits(page)
    screenshot(page, "family-remove-confirm-zh-CN")
    new_row.get_by_test_id("remove-confirm").click()
    page.wait_for_load_state()
    assert "已解除关联" in page.get_by_test_id("family-notice").inner_text()
    assert rows.count() == 0
    _fits(page)
    screenshot(page, "family-removed-zh-CN")
