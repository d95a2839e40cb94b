"""Batch ingest on SQLite and PostgreSQL (issue 4): full-size batches take the bulk path, and
a batch re-sent in full or in part is stored and counted once; registrations and overrides
are stored only for a check of the same device at its place."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from checkpoint_factories import District, enroll
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jointcheck.api.checkpoint_schemas import EVENTS_BODY_LIMIT
from jointcheck.store.checkpoint_ingest import FEW
from jointcheck.store.checkpoint_models import (
    CheckEventRow,
    OverrideEventRow,
    RegistrationEventRow,
)
from jointcheck.store.models import AuditRow

OUTCOMES = ("ADMIT", "PERSUADE", "DENY", "ADMIT")
BIG = 3 * FEW  # more than FEW: the bulk path


def check(device, district: District, i: int = 0, **changes) -> dict:
    event = {
        "kind": "check",
        "id": str(uuid.uuid4()),
        "device_id": device.id,
        "place_id": str(device.place_id),
        "entrance_id": "north",
        "street_code": device.street_code,
        "at": (district.now() + timedelta(seconds=i)).isoformat(),
        "outcome": OUTCOMES[i % len(OUTCOMES)],
        "reasons": ["VACCINATED"],
        "summary": {"credential_types": ["health_code"], "code_colour": "green", "doses": 2},
        "subject_hash": "ab" * 32,
        "bundle_version": 1,
    }
    event.update(changes)
    return event


def registration(device, district: District, check_id: str) -> dict:
    return {
        "kind": "registration",
        "id": str(uuid.uuid4()),
        "check_id": check_id,
        "place_id": str(device.place_id),
        "street_code": device.street_code,
        "at": district.now().isoformat(),
        "name": "王小明",
        "id_number": "11010519491231002X",
        "phone": "13812345678",
        "purpose": "探望老人",
    }


def override(device, district: District, check_id: str) -> dict:
    return {
        "kind": "override",
        "id": str(uuid.uuid4()),
        "check_id": check_id,
        "device_id": device.id,
        "place_id": str(device.place_id),
        "street_code": device.street_code,
        "at": district.now().isoformat(),
        "reason": "MEDICAL_EMERGENCY",
        "staff": "S-001",
    }


def post(client: TestClient, auth: dict, events: list[dict]) -> dict:
    response = client.post("/api/checkpoint/events", json={"events": events}, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


def expected(events: list[dict]) -> dict[str, int]:
    outcomes = [e["outcome"] for e in events]
    return {
        "checks": len(events),
        "admitted": outcomes.count("ADMIT"),
        "persuaded": outcomes.count("PERSUADE"),
        "denied": outcomes.count("DENY"),
    }


def counts(client: TestClient, auth: dict) -> dict[str, int]:
    found = client.get("/api/checkpoint/counts", headers=auth).json()["counts"]
    return {k: found[k] for k in ("checks", "admitted", "persuaded", "denied")}


def stored_ids(district: District, table=CheckEventRow) -> list[str]:
    with district.registry.uow() as uow:
        return list(uow.session.scalars(select(table.id)))


def test_a_full_batch_sent_again_whole_and_in_part_is_stored_and_counted_once(client, district):
    device, auth = enroll(district)
    first = [check(device, district, i) for i in range(BIG)]
    assert sorted(post(client, auth, first)["accepted"]) == sorted(e["id"] for e in first)
    assert counts(client, auth) == expected(first)
    # The same batch again (its answer was lost): accepted again, stored and counted once.
    again = post(client, auth, first)
    assert sorted(again["accepted"]) == sorted(e["id"] for e in first)
    assert counts(client, auth) == expected(first)
    # Half old, half new: only the new ones are added.
    fresh = [check(device, district, i) for i in range(BIG, 2 * BIG)]
    mixed = first[: BIG // 2] + fresh
    assert sorted(post(client, auth, mixed)["accepted"]) == sorted(e["id"] for e in mixed)
    assert counts(client, auth) == expected(first + fresh)
    ids = stored_ids(district)
    assert sorted(ids) == sorted(e["id"] for e in first + fresh)


def test_one_id_twice_in_a_full_batch_is_stored_once(client, district):
    device, auth = enroll(district)
    events = [check(device, district, i) for i in range(BIG)]
    post(client, auth, [*events, events[3]])
    assert sorted(stored_ids(district)) == sorted(e["id"] for e in events)
    assert counts(client, auth) == expected(events)


def test_a_bad_event_in_a_full_batch_leaves_the_rest_stored(client, district):
    device, auth = enroll(district)
    events = [check(device, district, i) for i in range(BIG)]
    bad = check(device, district, outcome="MAYBE")
    elsewhere = check(device, district, place_id=str(district.other_place_id))
    answer = post(client, auth, [*events[:5], bad, *events[5:], elsewhere])
    assert sorted(answer["accepted"]) == sorted(e["id"] for e in events)
    refused = {r["id"]: r["code"] for r in answer["refused"]}
    assert refused == {bad["id"]: "EVENT_INVALID", elsewhere["id"]: "PLACE_MISMATCH"}
    assert counts(client, auth) == expected(events)


def test_registrations_and_overrides_must_name_a_check_of_the_device_at_its_place(client, district):
    device, auth = enroll(district)
    sibling, sibling_auth = enroll(district, entrance="south")  # same place, another terminal
    other, other_auth = enroll(district, district.other_place_id, "gate")
    persuaded = check(device, district, 1)
    denied = check(device, district, 2)
    theirs = {
        "sibling": check(sibling, district, 1),
        "other": check(other, district, 1),
        "sibling_denied": check(sibling, district, 2),
        "other_denied": check(other, district, 2),
    }
    post(client, auth, [denied])
    post(client, sibling_auth, [theirs["sibling"], theirs["sibling_denied"]])
    post(client, other_auth, [theirs["other"], theirs["other_denied"]])
    good = [
        registration(device, district, persuaded["id"]),  # its check in the same batch
        override(device, district, denied["id"]),  # its check stored before
    ]
    bad = [
        registration(device, district, theirs["sibling"]["id"]),
        registration(device, district, theirs["other"]["id"]),
        registration(device, district, str(uuid.uuid4())),  # no such check anywhere
        override(device, district, theirs["sibling_denied"]["id"]),
        override(device, district, theirs["other_denied"]["id"]),
    ]
    answer = post(client, auth, [persuaded, bad[0], good[0], bad[1], good[1], *bad[2:]])
    assert sorted(answer["accepted"]) == sorted([persuaded["id"], *(e["id"] for e in good)])
    refused = {r["id"]: r["code"] for r in answer["refused"]}
    assert refused == {e["id"]: "CHECK_MISMATCH" for e in bad}
    assert stored_ids(district, RegistrationEventRow) == [good[0]["id"]]
    assert stored_ids(district, OverrideEventRow) == [good[1]["id"]]
    found = client.get("/api/checkpoint/counts", headers=auth).json()["counts"]
    assert (found["registrations"], found["overrides"]) == (1, 1)
    with district.registry.uow() as uow:
        audited = uow.session.scalar(
            select(func.count()).where(AuditRow.action == "checkpoint.override")
        )
    assert audited == 1
    found = client.get("/api/checkpoint/counts", headers=other_auth).json()["counts"]
    assert (found["registrations"], found["overrides"]) == (0, 0)


def test_a_registration_after_midnight_finds_its_check_of_the_day_before(client, district):
    device, auth = enroll(district)
    district.clock[0] = district.clock[0].replace(hour=15, minute=59, second=50)  # 23:59:50
    persuaded = check(device, district, 1)  # 23:59:51 in Fangzi
    post(client, auth, [persuaded])
    district.clock[0] += timedelta(seconds=30)  # the next district day
    reg = registration(device, district, persuaded["id"])
    assert post(client, auth, [reg])["accepted"] == [reg["id"]]


def test_each_malformed_check_is_refused_by_its_id(client, district):
    device, auth = enroll(district)
    good = [check(device, district, i) for i in range(BIG)]
    naive = check(device, district)
    naive["at"] = district.now().replace(tzinfo=None).isoformat()
    summary_extra = check(device, district)
    summary_extra["summary"] = {**summary_extra["summary"], "name": "王小明"}
    bad = [
        check(device, district, name="王小明"),  # a field no check has
        naive,  # no UTC offset
        check(device, district, subject_hash="not-a-hash"),
        check(device, district, street_code="37070400"),
        summary_extra,
        check(device, district, summary={"doses": 99}),
        check(device, district, bundle_version=-1),
        check(device, district, bundle_refused="ROOT_PIN_MISMATCH"),  # not a bundle's refusal
    ]
    answer = post(client, auth, good[:3] + bad + good[3:])
    assert sorted(answer["accepted"]) == sorted(e["id"] for e in good)
    assert {r["id"]: r["code"] for r in answer["refused"]} == {
        e["id"]: "EVENT_INVALID" for e in bad
    }
    assert counts(client, auth) == expected(good)


def test_a_check_stored_by_the_bulk_path_reads_back_as_sent(client, district):
    from datetime import datetime

    from jointcheck.store.checkpoint_repository import SqlCheckpoint

    device, auth = enroll(district)
    events = [check(device, district, i) for i in range(BIG)]
    sent = events[5]
    sent["at"] = "2021-09-06T10:00:00.123456+08:00"  # Fangzi's offset: 02:00:00.123456 UTC
    sent.update(outcome="PERSUADE", reasons=["DOSES_INCOMPLETE", "BUNDLE_STALE"], stale=True)
    sent.update(group_id="g" * 12, follows=None, via="id_document")
    sent["bundle_refused"] = "BUNDLE_FORGED"  # decided while refusing the server's bundle
    sent["summary"] = {
        "credential_types": ["dcc_vaccination", "health_code"],
        "code_colour": "yellow",
        "doses": 1,
        "series": 2,
        "completed": False,
        "contraindication_level": 3,
        "age_band": "60+",
        "pack_id": "fangzi-2021",
        "pack_version": "1.0.0",
    }
    post(client, auth, events)
    found = client.get("/api/checkpoint/counts", headers=auth).json()["counts"]
    assert (found["stale"], found["checks"]) == (1, BIG)
    with district.registry.uow() as uow:
        got = SqlCheckpoint(uow.session).get_check(device.street_code, sent["id"])
    assert got is not None
    assert got.at == datetime.fromisoformat(sent["at"])
    assert (got.outcome.value, got.reasons, got.stale) == ("PERSUADE", tuple(sent["reasons"]), True)
    assert (got.group_id, got.follows, got.via) == ("g" * 12, None, "id_document")
    assert got.bundle_refused == "BUNDLE_FORGED"
    assert (got.device_id, got.place_id, got.entrance_id) == (
        device.id,
        str(device.place_id),
        "north",
    )
    assert (got.subject_hash, got.bundle_version) == ("ab" * 32, 1)
    s = got.summary
    assert s.credential_types == ("dcc_vaccination", "health_code")
    assert (s.code_colour, s.doses, s.series, s.completed) == ("yellow", 1, 2, False)
    assert (s.contraindication_level, s.age_band) == (3, "60+")
    assert (s.pack_id, s.pack_version) == ("fangzi-2021", "1.0.0")


def test_a_batch_that_fails_midway_leaves_nothing_stored(client, district, monkeypatch):
    from jointcheck.store.checkpoint_repository import SqlCheckpoint

    device, auth = enroll(district)
    events = [check(device, district, i) for i in range(BIG)]

    def broken(self, records, now):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(SqlCheckpoint, "add_overrides", broken)  # after the checks' bulk insert
    with pytest.raises(RuntimeError):
        client.post("/api/checkpoint/events", json={"events": events}, headers=auth)
    assert stored_ids(district) == []
    monkeypatch.undo()
    assert counts(client, auth) == dict.fromkeys(("checks", "admitted", "persuaded", "denied"), 0)
    post(client, auth, events)
    assert counts(client, auth) == expected(events)


def test_a_batch_records_when_its_device_was_seen_and_its_clock_skew(client, district):
    from jointcheck.store.checkpoint_models import DeviceRow

    device, auth = enroll(district)
    body = {"events": [check(device, district, i) for i in range(BIG)], "skew_ms": -1500}
    assert client.post("/api/checkpoint/events", json=body, headers=auth).status_code == 200
    with district.registry.uow() as uow:
        row = uow.session.get(DeviceRow, device.id)
        assert (row.last_seen_at, row.last_skew_ms) == (district.now(), -1500)
    district.clock[0] += timedelta(minutes=1)
    post(client, auth, [])  # no skew measured this time: the last one is kept
    with district.registry.uow() as uow:
        row = uow.session.get(DeviceRow, device.id)
        assert (row.last_seen_at, row.last_skew_ms) == (district.now(), -1500)


def test_an_agents_full_batch_is_taken_in_one_body_over_the_apps_default_limit(client, district):
    from jointcheck.api.checkpoint_schemas import MAX_BATCH
    from jointcheck.checkpoint.sync import BATCH_SIZE

    device, auth = enroll(district)
    assert BATCH_SIZE <= MAX_BATCH
    events = [check(device, district, i) for i in range(BATCH_SIZE)]
    body = json.dumps({"events": events}).encode()
    assert district.settings.max_body_bytes < len(body) < EVENTS_BODY_LIMIT
    headers = {**auth, "content-type": "application/json"}
    answer = client.post("/api/checkpoint/events", content=body, headers=headers)
    assert answer.status_code == 200
    assert len(answer.json()["accepted"]) == BATCH_SIZE
    assert counts(client, auth) == expected(events)
    # Other routes keep the app's limit.
    big = {"text": "HC1:" + "A" * district.settings.max_body_bytes}
    assert client.post("/api/verify", json=big).status_code == 413


def test_a_batch_body_over_the_events_limit_is_refused_and_nothing_stored(client, district):
    device, auth = enroll(district)
    events = [check(device, district, i) for i in range(BIG)]
    padding = " " * (EVENTS_BODY_LIMIT + 1 - len(json.dumps({"events": events})))
    body = json.dumps({"events": events}).encode()[:-1] + padding.encode() + b"}"
    assert len(body) == EVENTS_BODY_LIMIT + 1
    headers = {**auth, "content-type": "application/json"}
    answer = client.post("/api/checkpoint/events", content=body, headers=headers)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "BODY_TOO_LARGE"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    answer = client.post("/api/checkpoint/events", content=chunks(), headers=headers)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "BODY_TOO_LARGE"
    assert stored_ids(district) == []
    # The same batch without the padding is stored.
    assert len(post(client, auth, events)["accepted"]) == BIG


def test_the_device_is_seen_written_at_most_every_few_seconds_and_at_each_new_skew(
    client, district
):
    from jointcheck.api.checkpoint_ingest import SEEN_EVERY
    from jointcheck.store.checkpoint_models import DeviceRow

    device, auth = enroll(district)

    def row() -> tuple:
        with district.registry.uow() as uow:
            got = uow.session.get(DeviceRow, device.id)
            return got.last_seen_at, got.last_skew_ms

    def sync(skew: int | None) -> None:
        body = {"events": [], "skew_ms": skew}
        assert client.post("/api/checkpoint/events", json=body, headers=auth).status_code == 200

    first = district.now()
    sync(200)
    assert row() == (first, 200)
    district.clock[0] += SEEN_EVERY / 2
    sync(200)  # the same skew, soon after: not written again
    assert row() == (first, 200)
    sync(-300)  # a new skew is written at once
    assert row() == (district.now(), -300)
    district.clock[0] += SEEN_EVERY
    sync(-300)
    assert row() == (district.now(), -300)


def test_a_gzip_body_is_not_inflated_and_nothing_is_stored(client, district):
    device, auth = enroll(district)
    events = [check(device, district, i) for i in range(BIG)]
    # A bomb: 40 KB on the wire, 40 MB of JSON whitespace if it were inflated.
    bomb = gzip.compress(json.dumps({"events": events}).encode()[:-1] + b" " * 40_000_000 + b"}")
    assert len(bomb) < EVENTS_BODY_LIMIT
    headers = {**auth, "content-type": "application/json", "content-encoding": "gzip"}
    answer = client.post("/api/checkpoint/events", content=bomb, headers=headers)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "VALIDATION_FAILED"
    assert stored_ids(district) == []
