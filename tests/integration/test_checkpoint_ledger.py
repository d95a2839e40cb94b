"""Several server processes over one database (issue 4), on SQLite and PostgreSQL: the
duplicate-presentation ledger is shared through the database (a health code shown at one
process and again at another is flagged the second time; a showing is forgotten when its code
expires), and two processes publishing the first bundle at once both serve it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta

import pytest
from checkpoint_factories import ADMIN, District, health_code
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jointcheck.api.app import create_app
from jointcheck.api.checkpoint_service import CheckpointServer
from jointcheck.store.checkpoint_repository import SqlCheckpoint
from jointcheck.store.presentations import (
    PresentationRow,
    SharedLedger,
    Showing,
    purge_expired,
    record_shown,
)

DUPLICATE = "DUPLICATE_PRESENTATION"


@pytest.fixture
def two_servers(district: District) -> Iterator[tuple[TestClient, TestClient]]:
    """Two instances of the app over one database, as two server processes are."""
    first = create_app(district.settings, clock=district.now)
    second = create_app(district.settings, clock=district.now)
    with TestClient(first) as a, TestClient(second) as b:
        yield a, b


def _auth(district: District, place_id: int) -> dict[str, str]:
    _, token = district.server.enroll(ADMIN, place_id, "", "t")
    return {"authorization": f"Bearer {token}"}


def _reasons(client: TestClient, auth: dict[str, str], *people: list[str]) -> list[list[str]]:
    """The reasons each person's screen shows, after checking they are the ones stored."""
    answer = client.post("/api/checkpoint/scan", json={"people": list(people)}, headers=auth)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    server = client.app.state.services.extras["checkpoint"]  # type: ignore[attr-defined]
    with server.registry.uow() as uow:
        for r in results:
            stored = SqlCheckpoint(uow.session).get_check("370704001", r["check_id"])
            if stored is None:
                stored = SqlCheckpoint(uow.session).get_check("370704002", r["check_id"])
            assert stored is not None
            assert list(stored.reasons) == r["reasons"]
    return [r["reasons"] for r in results]


def test_a_code_shown_at_one_process_is_a_duplicate_at_another(two_servers, district):
    a, b = two_servers
    auth = _auth(district, district.place_id)
    code, other = health_code(district), health_code(district)
    (first,) = _reasons(a, auth, [code])
    (second,) = _reasons(b, auth, [code])
    (third,) = _reasons(a, auth, [code])
    assert DUPLICATE not in first
    assert DUPLICATE in second
    assert DUPLICATE in third
    servers = [c.app.state.services.extras["checkpoint"] for c in (a, b)]  # type: ignore[attr-defined]
    assert servers[0] is not servers[1]
    # Another code of the same person is another showing; another place another ledger.
    (fresh,) = _reasons(b, auth, [other])
    assert DUPLICATE not in fresh
    (elsewhere,) = _reasons(a, _auth(district, district.other_place_id), [code])
    assert DUPLICATE not in elsewhere


def test_the_same_code_twice_in_one_family_scan_is_a_duplicate_the_second_time(
    two_servers, district
):
    a, _ = two_servers
    auth = _auth(district, district.place_id)
    code = health_code(district)
    first, second = _reasons(a, auth, [code], [code])
    assert DUPLICATE not in first
    assert DUPLICATE in second


def test_a_showing_is_forgotten_when_its_code_expires(district):
    registry, now = district.registry, district.now()
    one = Showing("370704001", district.place_id, "p:hc-1:n1", now + timedelta(minutes=3))
    two = Showing("370704001", district.place_id, "p:hc-1:n2", now + timedelta(minutes=1))
    with registry.uow() as uow:
        assert record_shown(uow.session, [one, two], now) == [False, False]
        uow.commit()
    with registry.uow() as uow:
        assert record_shown(uow.session, [one, two], now + timedelta(seconds=50)) == [True, True]
        uow.commit()
    later = now + timedelta(minutes=2)
    with registry.uow() as uow:
        # TWO expired a minute ago: a showing now is a first one again, and remembered anew.
        renewed = Showing(two.street_code, two.place_id, two.key, later + timedelta(minutes=3))
        assert record_shown(uow.session, [one, renewed], later) == [True, False]
        uow.commit()
    ledger = SharedLedger(registry.uow, "370704001", district.place_id)
    assert ledger.seen(two.key, later + timedelta(minutes=1), renewed.until)
    with registry.uow() as uow:
        assert purge_expired(uow.session, later + timedelta(minutes=2)) == 1  # ONE only
        uow.commit()
    with registry.uow() as uow:
        left = uow.session.scalar(select(func.count()).select_from(PresentationRow))
        assert left == 1
    assert not ledger.seen(one.key, later + timedelta(minutes=2), one.until + timedelta(hours=1))


def test_two_processes_publishing_the_first_bundle_at_once_both_serve_it(district, monkeypatch):
    """Two server processes meet an empty bundle table at their first scan: both publish
    version 1, the key refuses the second, which then serves what the first published."""
    first = district.server
    second = dataclasses.replace(first)
    publish = CheckpointServer.publish

    def racing(self: CheckpointServer, max_age: timedelta | None = None) -> int:
        if self is second:
            publish(first)  # the other process, a moment earlier
            # ... while this one had read the same next version before it committed.
            monkeypatch.setattr(SqlCheckpoint, "next_bundle_version", lambda _: 1)
        return publish(self, max_age)

    monkeypatch.setattr(CheckpointServer, "publish", racing)
    assert second.bundle_document().version == 1
    assert first.bundle_document().version == 1


@pytest.mark.parametrize("size", [2, 12, 13, 40])
def test_a_batch_of_any_size_is_answered_showing_by_showing(district, size):
    """Small batches go as a list of rows, large ones (on PostgreSQL) as one array per column:
    the same answers either way, the same code twice in the batch a duplicate the second
    time, a live showing a duplicate, an expired one a first showing again."""
    registry, now = district.registry, district.now()
    street, place = "370704001", district.place_id

    def showing(i: int, minutes: int) -> Showing:
        return Showing(street, place, f"p:hc-{i}:n", now + timedelta(minutes=minutes))

    with registry.uow() as uow:
        # Even codes live for 5 minutes, odd ones expire after 1.
        first = [showing(i, 5 if i % 2 == 0 else 1) for i in range(size)]
        assert record_shown(uow.session, first, now) == [False] * size
        uow.commit()
    later = now + timedelta(minutes=2)
    batch = [showing(i, 7) for i in range(size)] + [showing(size, 7), showing(size, 7)]
    expected = [i % 2 == 0 for i in range(size)] + [False, True]
    with registry.uow() as uow:
        assert record_shown(uow.session, batch, later) == expected
        uow.commit()
    with registry.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PresentationRow)) == size + 1
