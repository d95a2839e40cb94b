"""The registrations page in a browser (R3, R5): street staff open it from the navigation,
see the day's registration masked with the counts per place, export it to Excel, and read it
on a phone in zh-CN and en without sideways scrolling."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx2
from openpyxl import load_workbook

from jointcheck.api.checkpoint_service import CheckpointServer
from jointcheck.bootstrap import build_registry
from jointcheck.credentials.masking import mask_id_number, mask_name, mask_phone
from jointcheck.security.roles import Principal, Role

PHONE = {"width": 390, "height": 844}


def _register_in_street_1(live_server) -> tuple[str, str, str]:
    """A registration uploaded by a terminal at a place of street1's street, with a seeded
    person's real values: (name, ID number, phone)."""
    street = next(a for a in live_server.demo.accounts if a.username == "street1").scope_code
    person = next(p for p in live_server.demo.persons if p.form.phone)
    registry = build_registry(live_server.settings)
    try:
        with registry.uow() as uow:
            place = next(p for p in uow.places.list(scope_code=street, limit=1))
        server = CheckpointServer.of(live_server.settings, registry, lambda: datetime.now(UTC))
        admin = Principal(0, "e2e", Role.DISTRICT_ADMIN, street[:6])
        device, token = server.enroll(admin, int(place.id or 0), "", "e2e registrations")
    finally:
        registry.close()
    now = datetime.now(UTC).isoformat()
    common = {"place_id": str(device.place_id), "street_code": device.street_code, "at": now}
    check = {
        **common,
        "kind": "check",
        "id": str(uuid.uuid4()),
        "device_id": device.id,
        "entrance_id": "east gate",
        "outcome": "ADMIT_REGISTERED",
        "reasons": ["NOT_VACCINATED_PERSUADED", "REGISTERED"],
        "summary": {"credential_types": ["health_code"], "code_colour": "green"},
        "bundle_version": 1,
    }
    form = person.form
    registration = {
        **common,
        "kind": "registration",
        "id": str(uuid.uuid4()),
        "check_id": check["id"],
        "name": form.name,
        "id_number": form.document_number,
        "phone": form.phone,
        "purpose": "探望老人",
    }
    answer = httpx2.post(
        f"{live_server.url}/api/checkpoint/events",
        json={"events": [check, registration]},
        headers={"authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["accepted"]) == 2, answer.text
    return form.name, form.document_number, form.phone or ""


def test_street_staff_list_and_export_the_day_s_registrations(
    page, live_server, sign_in, screenshot
):
    name, number, phone = _register_in_street_1(live_server)
    sign_in(page, *live_server.login_of("street1"))
    page.goto("/?lang=en")
    page.get_by_role("navigation").get_by_role("link", name="Registrations").click()
    page.wait_for_load_state()
    table = page.get_by_test_id("registrations")
    row = table.locator("tbody tr", has_text="探望老人")
    assert row.count() == 1
    text = row.inner_text()
    for shown in (mask_name(name), mask_id_number(number), mask_phone(phone), "east gate"):
        assert shown in text
    assert "ADMIT (registered)" in text
    assert "Registered: may enter" in text  # a reason in the page's language, with its code
    content = page.content()
    assert number not in content
    assert phone not in content
    assert int(page.get_by_test_id("count-counted").first.inner_text()) >= 1
    screenshot(page, "registrations-en")

    with page.expect_download() as waiting:
        page.get_by_test_id("reg-export").click()
    download = waiting.value
    assert download.suggested_filename.startswith("registrations-")
    path = download.path()
    assert path is not None
    data = Path(path).read_bytes()
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    values = [str(c.value) for r in sheet.iter_rows() for c in r if c.value is not None]
    assert mask_phone(phone) in values
    assert phone not in values
    assert number not in values


def test_the_registrations_page_fits_a_phone_in_both_languages(
    page, live_server, sign_in, screenshot
):
    _register_in_street_1(live_server)
    sign_in(page, *live_server.login_of("street1"))
    page.set_viewport_size(PHONE)
    for lang in ("zh-CN", "en"):
        page.goto(f"/registrations?lang={lang}")
        page.wait_for_load_state()
        assert page.get_by_test_id("registrations").locator("tbody tr").count() >= 1
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, f"registrations-phone-{lang}")
