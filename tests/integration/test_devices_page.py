"""The devices page (issue 4): an enroller enrolls a terminal through the page, the token shown
once works at the checkpoint API, the page revokes it and the token is refused; another
scope's places and devices never show, and roles that may not enroll are refused."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from html import unescape

import pytest
from checkpoint_factories import ROOT_FINGERPRINT, District
from fastapi.testclient import TestClient

from jointcheck.api.app import create_app
from jointcheck.security.roles import Principal, Role
from web_factories import add_account, csrf_of, sign_in

PASSWORD = "correct horse battery"
MALL, HOME = "百货大楼", "敬老院"  # street 1's mall, street 2's nursing home (checkpoint_factories)


@pytest.fixture
def app(district: District) -> Iterator[object]:
    app = create_app(district.settings, clock=district.now)
    with TestClient(app):
        yield app


def signed_in(app, district: District, role: Role, scope: str, place_id: int | None = None):
    username = f"{role.value}-{uuid.uuid4().hex[:6]}"
    add_account(district.registry, username, PASSWORD, role, scope, place_id=place_id)
    client = TestClient(app)
    assert sign_in(client, username, PASSWORD).status_code == 303
    return client


def operator(app, district: District) -> TestClient:
    return signed_in(app, district, Role.PLACE_OPERATOR, "370704001001", district.place_id)


def by_testid(html: str, name: str) -> str:
    found = re.search(rf'data-testid="{name}"[^>]*>([^<]*)<', html)
    assert found is not None, f"no {name} in the page"
    return unescape(found.group(1)).strip()


def listed(html: str) -> list[str]:
    """The places a page of /devices lists."""
    return re.findall(r'<a href="/places/\d+/devices">([^<]+)</a>', html)


def enroll_on_page(client: TestClient, place_id: int, **form: str):
    page = client.get(f"/places/{place_id}/devices")
    assert page.status_code == 200, page.text
    return client.post(
        f"/places/{place_id}/devices", data={**form, "csrf_token": csrf_of(page.text)}
    )


def device_info(app, token: str) -> int:
    with TestClient(app, headers={"authorization": f"Bearer {token}"}) as device:
        return device.get("/api/checkpoint/device").status_code


def admin(district: District) -> Principal:
    return Principal(0, "district office", Role.DISTRICT_ADMIN, "370704")


def test_an_operator_enrolls_uses_and_revokes_a_terminal_through_the_page(app, district):
    client = operator(app, district)
    listing = client.get("/devices")
    assert listing.status_code == 200
    assert f'href="/places/{district.place_id}/devices"' in listing.text
    answer = enroll_on_page(client, district.place_id, entrance="south", label="south gate 1")
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"  # the token is shown this once
    token, fingerprint = by_testid(answer.text, "token"), by_testid(answer.text, "fingerprint")
    assert fingerprint == ROOT_FINGERPRINT
    assert by_testid(answer.text, "agent-command") == (
        f"JOINTCHECK_DEVICE_TOKEN={token} jointcheck checkpoint --server http://testserver "
        f"--root-key {ROOT_FINGERPRINT}"
    )
    assert f"--token {token}" not in answer.text  # the token is not an argument, which ps shows
    assert "命令行参数在 ps 中对终端上的所有用户可见" in by_testid(answer.text, "agent-env-why")
    assert by_testid(answer.text, "entrance-link") == f"http://testserver/entrance?token={token}"
    device_id = re.search(r'data-testid="enrolled" data-device-id="([^"]+)"', answer.text)
    assert device_id is not None
    device_id = device_id.group(1)

    # The token works at the checkpoint API, for this place and entrance.
    with TestClient(app, headers={"authorization": f"Bearer {token}"}) as device:
        info = device.get("/api/checkpoint/device")
        assert info.status_code == 200, info.text
        assert info.json()["station"]["place_name"] == MALL
        assert info.json()["station"]["entrance_id"] == "south"
        assert info.json()["root_fingerprint"] == ROOT_FINGERPRINT
        synced = device.post("/api/checkpoint/events", json={"events": [], "skew_ms": -45_250})
        assert synced.status_code == 200, synced.text

    # The place's page lists it, with what its sync recorded, and never shows the token.
    place = client.get(f"/places/{district.place_id}/devices")
    row = re.search(
        rf'<tr data-device-id="{device_id}" data-revoked="no">(.*?)</tr>', place.text, re.DOTALL
    )
    assert row is not None, place.text
    assert "south gate 1" in row.group(1)
    assert "south" in row.group(1)
    assert "-45.2" in row.group(1)  # beyond the 30 s allowed: flagged
    assert 'class="warning"' in row.group(1)
    assert token not in place.text

    # Revoke: the row's confirmation box posts the device's id with the CSRF token.
    assert 'data-testid="revoke-form"' in row.group(1)
    forged = client.post("/devices/revoke", data={"device_id": device_id, "csrf_token": "x"})
    assert forged.status_code == 403
    assert device_info(app, token) == 200  # nothing revoked without the form's token
    form = {"device_id": device_id, "csrf_token": csrf_of(place.text)}
    revoked = client.post("/devices/revoke", data=form, follow_redirects=False)
    assert revoked.status_code == 303
    after = client.get(revoked.headers["location"])
    assert 'data-testid="revoked-notice"' in after.text
    row = re.search(
        rf'<tr data-device-id="{device_id}" data-revoked="yes">(.*?)</tr>', after.text, re.DOTALL
    )
    assert row is not None
    assert 'data-testid="revoke-form"' not in row.group(1)
    assert device_info(app, token) == 401  # refused from the next request on
    # Sent again (a second tab, a reload): it is revoked, not an error.
    assert client.post("/devices/revoke", data=form, follow_redirects=False).status_code == 303


def test_the_page_shows_the_bundle_version_of_the_terminals_checks(app, district):
    client = operator(app, district)
    answer = enroll_on_page(client, district.place_id, entrance="north", label="n1")
    token = by_testid(answer.text, "token")
    with TestClient(app, headers={"authorization": f"Bearer {token}"}) as device:
        station = device.get("/api/checkpoint/device").json()["station"]
        event = {
            "kind": "check",
            "id": str(uuid.uuid4()),
            "device_id": station["device_id"],
            "place_id": station["place_id"],
            "entrance_id": "north",
            "street_code": station["street_code"],
            "at": district.now().isoformat(),
            "outcome": "ADMIT",
            "reasons": ["VACCINATED"],
            "summary": {"credential_types": ["health_code"], "code_colour": "green", "doses": 2},
            "bundle_version": 7,
        }
        stored = device.post("/api/checkpoint/events", json={"events": [event]})
        assert stored.json()["accepted"] == [event["id"]]
    page = client.get(f"/places/{district.place_id}/devices").text
    row = re.search(rf'data-device-id="{station["device_id"]}".*?</tr>', page, re.DOTALL)
    assert row is not None
    assert re.search(r"<td[^>]*>7</td>", row.group(0))
    # Checks older than the window no longer say which bundle a terminal uses.
    district.clock[0] += timedelta(days=9)
    client = operator(app, district)  # the session of nine days ago has expired
    page = client.get(f"/places/{district.place_id}/devices").text
    row = re.search(rf'data-device-id="{station["device_id"]}".*?</tr>', page, re.DOTALL)
    assert row is not None
    assert not re.search(r"<td[^>]*>7</td>", row.group(0))


def test_a_street_sees_and_manages_its_own_street_only(app, district):
    street = signed_in(app, district, Role.STREET_STAFF, "370704001")
    listing = street.get("/devices")
    assert MALL in listing.text
    assert HOME not in listing.text
    # Another street's place: as if it did not exist, and nothing is enrolled there.
    other = street.get(f"/places/{district.other_place_id}/devices")
    assert other.status_code == 404
    assert HOME not in other.text
    page = street.get(f"/places/{district.place_id}/devices")
    posted = street.post(
        f"/places/{district.other_place_id}/devices",
        data={"entrance": "gate", "label": "x", "csrf_token": csrf_of(page.text)},
    )
    assert posted.status_code == 404
    assert district.server.devices(admin(district), district.other_place_id) == []
    # Another street's device: not shown, not revocable, and its id is not echoed.
    theirs, token = district.server.enroll(admin(district), district.other_place_id, "gate", "")
    assert theirs.id not in street.get(f"/places/{district.place_id}/devices").text
    refused = street.post(
        "/devices/revoke", data={"device_id": theirs.id, "csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 404
    assert theirs.id not in refused.text
    assert device_info(app, token) == 200


def test_the_search_and_the_pages_of_the_places(app, district):
    with district.registry.uow() as uow:
        from jointcheck.registry.model import Place

        for n in range(25):
            uow.places.add(Place(None, "370704001001", "restaurants", f"饭店{n:02d}", f"路{n}号"))
        uow.commit()
    street = signed_in(app, district, Role.STREET_STAFF, "370704001")
    first = street.get("/devices")
    assert 'data-testid="pager"' in first.text
    assert "饭店" in first.text
    second = street.get("/devices?page=2")
    names = listed(first.text) + listed(second.text)
    assert len(names) == len(set(names)) == 26  # the mall and the 25 restaurants, once each
    assert MALL in names
    found = street.get("/devices", params={"q": "饭店07"})
    assert listed(found.text) == ["饭店07"]
    assert MALL not in found.text
    nothing = street.get("/devices", params={"q": "%"})  # LIKE's wildcard is searched as text
    assert 'data-testid="no-places"' in nothing.text


def test_an_unknown_entrance_is_refused_and_enrolls_nothing(app, district):
    client = operator(app, district)
    answer = enroll_on_page(client, district.place_id, entrance="west", label="w")
    assert answer.status_code == 400
    assert 'data-code="ENTRANCE_UNKNOWN"' in answer.text
    assert 'data-testid="token"' not in answer.text
    assert district.server.devices(admin(district), district.place_id) == []


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (Role.HEALTH_AUTHORITY, "370704"),
        (Role.SCHOOL_ADMIN, "370704001001"),
        (Role.RESIDENT, "370704001001001"),
    ],
)
def test_roles_that_may_not_enroll_are_refused_and_not_shown_the_page(app, district, role, scope):
    client = signed_in(
        app, district, role, scope, district.place_id if role is Role.SCHOOL_ADMIN else None
    )
    assert client.get("/devices").status_code == 403
    assert client.get(f"/places/{district.place_id}/devices").status_code == 403
    assert 'href="/devices"' not in client.get("/").text
    assert 'href="/devices"' not in client.get("/verify").text  # nor in the navigation bar


def test_the_home_page_links_the_page_for_enrollers_and_sign_in_comes_first(app, district):
    assert 'href="/devices"' in operator(app, district).get("/").text
    # Every page's navigation bar leads an enroller there too.
    assert 'href="/devices"' in operator(app, district).get("/verify").text
    with TestClient(app) as anonymous:
        assert 'href="/devices"' not in anonymous.get("/").text
        answer = anonymous.get("/devices", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login")


def test_the_page_speaks_both_languages(app, district):
    client = operator(app, district)
    zh = client.get(f"/places/{district.place_id}/devices?lang=zh-CN").text
    en = client.get(f"/places/{district.place_id}/devices?lang=en").text
    assert "登记新终端" in zh
    assert "Enroll a new terminal" in en


def test_the_enroll_form_needs_its_csrf_token_and_escapes_the_label(app, district):
    client = operator(app, district)
    forged = client.post(
        f"/places/{district.place_id}/devices",
        data={"entrance": "north", "label": "x", "csrf_token": "not-the-token"},
    )
    assert forged.status_code == 403
    assert 'data-testid="token"' not in forged.text
    assert district.server.devices(admin(district), district.place_id) == []
    answer = enroll_on_page(client, district.place_id, entrance="north", label="<b>gate</b>")
    assert answer.status_code == 200
    listed = client.get(f"/places/{district.place_id}/devices").text
    assert "&lt;b&gt;gate&lt;/b&gt;" in listed
    assert "<b>gate</b>" not in listed


def test_a_skew_of_a_few_milliseconds_behind_reads_zero(app, district):
    """-0.0 s read as a fault to a grid administrator: a terminal 40 ms behind shows +0.0 s."""
    client = operator(app, district)
    answer = enroll_on_page(client, district.place_id, entrance="south", label="gate skew")
    token = by_testid(answer.text, "token")
    with TestClient(app, headers={"authorization": f"Bearer {token}"}) as device:
        synced = device.post("/api/checkpoint/events", json={"events": [], "skew_ms": -40})
        assert synced.status_code == 200, synced.text
    page = client.get(f"/places/{district.place_id}/devices").text
    row = re.search(r'<tr data-device-id="[^"]+" data-revoked="no">(?:(?!</tr>).)*gate skew.*?</tr>',
                    page, re.DOTALL)  # fmt: skip
    assert row is not None
    assert "+0.0" in row.group(0)
    assert "-0.0" not in row.group(0)
