"""Enrolling a terminal on the devices page shows its token once (issue 4): the form's POST
redirects (POST-redirect-GET), the page it leads to shows the token, and a reload of that page
(or the link opened again, or by another session) shows that the token was shown, with the
terminal in the list, and enrolls nothing. The token is never in a URL, and the answer kept
for the redirect cannot be read from the database alone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from checkpoint_factories import District
from fastapi.testclient import TestClient
from sqlalchemy import select
from test_devices_page import by_testid, device_info, operator

from jointcheck.api.app import create_app
from jointcheck.errors import StoreError
from jointcheck.security.accounts import NOTICE_TTL
from jointcheck.store.models import WebNoticeRow
from web_factories import csrf_of

ROW = re.compile(r'<tr data-device-id="([^"]+)"')


@pytest.fixture
def app(district: District) -> Iterator[object]:
    app = create_app(district.settings, clock=district.now)
    with TestClient(app):
        yield app


def post_enroll(client: TestClient, place_id: int, label: str):
    page = client.get(f"/places/{place_id}/devices")
    form = {"entrance": "north", "label": label, "csrf_token": csrf_of(page.text)}
    return client.post(f"/places/{place_id}/devices", data=form, follow_redirects=False)


def devices_listed(client: TestClient, place_id: int) -> list[str]:
    return ROW.findall(client.get(f"/places/{place_id}/devices").text)


def test_the_token_is_shown_once_and_a_reload_enrolls_nothing(app, district):
    client = operator(app, district)
    posted = post_enroll(client, district.place_id, "north gate 2")
    assert posted.status_code == 303
    target = posted.headers["location"]
    assert re.fullmatch(rf"/places/{district.place_id}/devices\?enrolled=[0-9a-z-]+", target)
    device_id = target.rsplit("=", 1)[1]
    assert devices_listed(client, district.place_id) == [device_id]

    shown = client.get(target)
    assert shown.status_code == 200
    assert shown.headers["cache-control"] == "no-store"
    token = by_testid(shown.text, "token")
    assert token not in target
    assert device_info(app, token) == 200
    assert f'data-device-id="{device_id}"' in shown.text

    for _ in range(2):  # the browser's reload, then the address opened again
        again = client.get(target)
        assert again.status_code == 200
        assert token not in again.text
        assert 'data-testid="token"' not in again.text
        assert f'data-testid="token-shown" data-device-id="{device_id}"' in again.text
        assert "north gate 2" in again.text
    assert devices_listed(client, district.place_id) == [device_id]


def test_the_answer_waits_for_its_own_session_only_and_sealed(app, district):
    client = operator(app, district)
    target = post_enroll(client, district.place_id, "gate 3").headers["location"]
    with district.registry.uow() as uow:
        [sealed] = uow.session.scalars(select(WebNoticeRow.sealed)).all()
    # Another signed-in browser of the same operator does not get it...
    other = operator(app, district)
    elsewhere = other.get(target)
    assert elsewhere.status_code == 200
    assert 'data-testid="token"' not in elsewhere.text
    assert 'data-testid="token-shown"' in elsewhere.text
    # ... and it waits for the browser that enrolled.
    token = by_testid(client.get(target).text, "token")
    assert token.encode() not in sealed
    with district.registry.uow() as uow:
        assert uow.session.scalars(select(WebNoticeRow)).all() == []


def test_an_answer_not_fetched_in_time_is_gone(app, district):
    client = operator(app, district)
    target = post_enroll(client, district.place_id, "gate 4").headers["location"]
    district.clock[0] += NOTICE_TTL + timedelta(seconds=1)
    late = client.get(target)
    assert 'data-testid="token"' not in late.text
    assert 'data-testid="token-shown"' in late.text


def test_signing_out_drops_the_answer(app, district):
    client = operator(app, district)
    post_enroll(client, district.place_id, "gate 5")
    csrf = client.cookies.get("jc_csrf") or ""
    assert client.post("/logout", data={"csrf_token": csrf}).status_code in {200, 303}
    with district.registry.uow() as uow:
        assert uow.session.scalars(select(WebNoticeRow)).all() == []


def test_the_answer_is_shown_only_under_its_own_place(app, district):
    client = operator(app, district)
    target = post_enroll(client, district.place_id, "gate 6").headers["location"]
    device_id = target.rsplit("=", 1)[1]
    elsewhere = f"/places/{district.other_place_id}/devices?enrolled={device_id}"
    assert client.get(elsewhere).status_code == 404  # another street's place
    unknown = client.get(f"/places/{district.place_id}/devices?enrolled=not-a-device").text
    assert 'data-testid="token' not in unknown
    assert 'data-testid="token"' in client.get(target).text


def test_an_answer_that_cannot_be_kept_is_shown_at_once(app, district, monkeypatch):
    # The terminal is enrolled (its own transaction) before the answer is kept for the
    # redirect: when keeping it fails, the token is shown on the POST's answer, not lost.
    def failing(*_args: object) -> None:
        raise StoreError("database busy", code="STORE_UNAVAILABLE")

    client = operator(app, district)
    monkeypatch.setattr("jointcheck.security.accounts.AccountService.leave_notice", failing)
    posted = post_enroll(client, district.place_id, "north gate 3")
    assert posted.status_code == 200, posted.text
    assert posted.headers["cache-control"] == "no-store"
    token = by_testid(posted.text, "token")
    assert device_info(app, token) == 200
    assert len(devices_listed(client, district.place_id)) == 1
