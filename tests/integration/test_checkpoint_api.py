"""The checkpoint API on SQLite and PostgreSQL (issue 4): idempotent ingest, a bad event in a
batch, retention of registrations, device scoping, and scans decided at the server."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from checkpoint_factories import (
    ADMIN,
    HOLDER,
    District,
    enroll,
    health_code,
    register_holder,
    vaccination,
)
from sqlalchemy import select

from jointcheck.api.checkpoint_schemas import MAX_BATCH
from jointcheck.credentials.model import CodeColour
from jointcheck.security.roles import Principal, Role
from jointcheck.store.checkpoint_models import RegistrationEventRow
from jointcheck.store.models import AuditRow


def check_event(device, district: District, **changes) -> dict:
    event = {
        "kind": "check",
        "id": str(uuid.uuid4()),
        "device_id": device.id,
        "place_id": str(device.place_id),
        "entrance_id": "north",
        "street_code": device.street_code,
        "at": district.now().isoformat(),
        "outcome": "ADMIT",
        "reasons": ["VACCINATED"],
        "summary": {"credential_types": ["health_code"], "code_colour": "green", "doses": 2},
        "subject_hash": "ab" * 32,
        "bundle_version": 1,
    }
    event.update(changes)
    return event


def registration_event(device, district: District, check_id: str, **changes) -> dict:
    event = {
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
    event.update(changes)
    return event


def test_a_batch_sent_twice_is_stored_and_counted_once(client, district):
    device, auth = enroll(district)
    batch = {"events": [check_event(device, district) for _ in range(5)]}
    first = client.post("/api/checkpoint/events", json=batch, headers=auth)
    again = client.post("/api/checkpoint/events", json=batch, headers=auth)
    assert first.status_code == again.status_code == 200
    assert len(first.json()["accepted"]) == len(again.json()["accepted"]) == 5
    counts = client.get("/api/checkpoint/counts", headers=auth).json()["counts"]
    assert counts["checks"] == 5
    assert counts["admitted"] == 5


def test_one_bad_event_is_refused_by_id_and_the_good_ones_are_stored(client, district):
    device, auth = enroll(district)
    good = [check_event(device, district) for _ in range(3)]
    bad = check_event(device, district, outcome="MAYBE")
    elsewhere = check_event(device, district, place_id=str(district.other_place_id))
    answer = client.post(
        "/api/checkpoint/events",
        json={"events": [good[0], bad, good[1], elsewhere, good[2]]},
        headers=auth,
    ).json()
    assert sorted(answer["accepted"]) == sorted(e["id"] for e in good)
    refused = {r["id"]: r["code"] for r in answer["refused"]}
    assert refused == {bad["id"]: "EVENT_INVALID", elsewhere["id"]: "PLACE_MISMATCH"}
    assert client.get("/api/checkpoint/counts", headers=auth).json()["counts"]["checks"] == 3


def test_an_oversized_batch_is_refused_whole(client, district):
    device, auth = enroll(district)
    batch = {"events": [check_event(device, district) for _ in range(MAX_BATCH + 1)]}
    response = client.post("/api/checkpoint/events", json=batch, headers=auth)
    assert response.status_code == 422
    assert client.get("/api/checkpoint/counts", headers=auth).json()["counts"]["checks"] == 0


def test_registrations_are_sealed_and_purged_after_retention_counts_kept(client, district):
    device, auth = enroll(district)
    check = check_event(device, district, outcome="ADMIT_REGISTERED")
    reg = registration_event(device, district, check["id"])
    answer = client.post("/api/checkpoint/events", json={"events": [check, reg]}, headers=auth)
    assert len(answer.json()["accepted"]) == 2
    with district.registry.uow() as uow:
        row = uow.session.scalar(select(RegistrationEventRow))
        assert row is not None
        assert "王小明".encode() not in row.name_enc
        assert row.purge_after == (district.now() + timedelta(days=28)).date()
    district.clock[0] += timedelta(days=28)
    assert district.server.purge() == 0
    district.clock[0] += timedelta(days=1)
    # The first upload of a new day purges what is past its retention.
    later = client.post("/api/checkpoint/events", json={"events": []}, headers=auth)
    assert later.status_code == 200
    with district.registry.uow() as uow:
        assert uow.session.scalar(select(RegistrationEventRow)) is None
    counts = district.server.counts(device.place_id, (district.now() - timedelta(days=29)).date())
    assert counts["registrations"] == 1
    assert counts["registered"] == 1


def test_a_device_reaches_only_its_own_place_and_a_revoked_one_nothing(client, district):
    device, auth = enroll(district)
    other, other_auth = enroll(district, district.other_place_id, "gate")
    theirs = check_event(other, district)
    answer = client.post("/api/checkpoint/events", json={"events": [theirs]}, headers=auth).json()
    assert answer["refused"] == [{"id": theirs["id"], "code": "PLACE_MISMATCH"}]
    assert client.get("/api/checkpoint/counts", headers=other_auth).json()["counts"]["checks"] == 0
    assert client.get("/api/checkpoint/bundle").status_code == 401
    assert (
        client.get("/api/checkpoint/bundle", headers={"authorization": "Bearer nope"}).status_code
        == 401
    )
    assert district.server.revoke(ADMIN, device.id)
    assert client.get("/api/checkpoint/bundle", headers=auth).status_code == 401
    street_staff = Principal(2, "staff", Role.STREET_STAFF, "370704002")
    assert not district.server.revoke(street_staff, other.id.replace(other.id, device.id))


def test_scan_at_the_server_decides_registers_and_overrides(client, district):
    _, auth = enroll(district)
    admit = client.post(
        "/api/checkpoint/scan",
        json={"codes": [health_code(district), vaccination(district)]},
        headers=auth,
    ).json()["results"][0]
    assert (admit["outcome"], admit["tone"], admit["masked_name"]) == ("ADMIT", "green", "张*三")
    persuade = client.post(
        "/api/checkpoint/scan", json={"codes": [health_code(district)]}, headers=auth
    ).json()["results"][0]
    assert persuade["outcome"] == "PERSUADE"
    registered = client.post(
        "/api/checkpoint/register",
        json={
            "check_id": persuade["check_id"],
            "name": "张小三",
            "id_number": HOLDER.id_number,
            "phone": "13812345678",
            "purpose": "购物",
        },
        headers=auth,
    ).json()["result"]
    assert registered["outcome"] == "ADMIT_REGISTERED"
    red = client.post(
        "/api/checkpoint/scan",
        json={"codes": [health_code(district, CodeColour.RED)]},
        headers=auth,
    ).json()["results"][0]
    assert red["outcome"] == "DENY"
    refused = client.post(
        "/api/checkpoint/override",
        json={"check_id": red["check_id"], "reason": "", "staff": "s1"},
        headers=auth,
    )
    assert refused.status_code == 422
    overridden = client.post(
        "/api/checkpoint/override",
        json={"check_id": red["check_id"], "reason": "MEDICAL_EMERGENCY", "staff": "s1"},
        headers=auth,
    ).json()["result"]
    assert "OVERRIDDEN" in overridden["reasons"]
    # The answer names the person let in, as the refusal did.
    assert (overridden["masked_name"], red["masked_name"]) == ("张*三", "张*三")
    counts = client.get("/api/checkpoint/counts", headers=auth).json()["counts"]
    assert counts == counts | {
        "checks": 4,
        "admitted": 1,
        "persuaded": 1,
        "registered": 1,
        "denied": 1,
        "overrides": 1,
        "registrations": 1,
    }
    with district.registry.uow() as uow:
        audit = uow.session.scalars(
            select(AuditRow).where(AuditRow.action == "checkpoint.override")
        )
        assert [a.subject_id for a in audit] == [red["check_id"]]


def test_an_override_answered_by_another_process_names_the_person_too(client, district, principal):
    """The refusal decided by one server process, its override answered by another (workers
    behind one address): the name is read again from the registry by the code's subject hash,
    an audited masked read; someone the registry does not know is answered without a name."""
    from jointcheck.api.checkpoint_lookup import OVERRIDE_REASON
    from jointcheck.checkpoint.model import OverrideReason

    device, auth = enroll(district)

    def refused() -> str:
        red = client.post(
            "/api/checkpoint/scan",
            json={"codes": [health_code(district, CodeColour.RED)]},
            headers=auth,
        ).json()["results"][0]
        assert (red["outcome"], red["masked_name"]) == ("DENY", "张*三")
        return str(red["check_id"])

    other = district.server  # not the app's: it decided none of these checks
    unknown = other.override(device, refused(), OverrideReason.MEDICAL_EMERGENCY, "s1")
    assert unknown.masked_name == ""
    person_id = register_holder(district, principal(Role.HEALTH_AUTHORITY))
    known = other.override(device, refused(), OverrideReason.MEDICAL_EMERGENCY, "s1")
    assert known.masked_name == "张*三"
    assert "OVERRIDDEN" in known.reasons
    with district.registry.uow() as uow:
        reads = uow.session.scalars(
            select(AuditRow).where(AuditRow.action == "personal_data.read_masked")
        )
        assert [(a.subject_id, a.reason) for a in reads] == [(str(person_id), OVERRIDE_REASON)]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (b'{"codes": ["a", "b", "c", "d"]}', "body.codes", "too_long"),
        (b'{"codes": "one code"}', "body.codes", "list_type"),
        (b'{"codes": [], "colour": "green"}', "body.colour", "extra_forbidden"),
        (b'{"codes": [', "body", "json_invalid"),
    ],
)
def test_a_malformed_scan_is_refused_with_the_field_and_nothing_is_stored(
    client, district, body, field, code
):
    device, auth = enroll(district)
    answer = client.post(
        "/api/checkpoint/scan",
        content=body,
        headers={**auth, "content-type": "application/json"},
    )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert [(f["field"], f["code"]) for f in error["fields"]] == [(field, code)]
    assert district.server.counts(device.place_id).get("checks", 0) == 0


def test_the_api_schema_describes_the_scan_body(client):
    schema = client.get("/api/openapi.json").json()
    body = schema["paths"]["/api/checkpoint/scan"]["post"]["requestBody"]
    assert body["required"] is True
    described = body["content"]["application/json"]["schema"]
    assert set(described["properties"]) == {"codes", "people"}
    assert described["properties"]["codes"]["maxItems"] == 3


def test_family_check_in_one_go_gives_one_result_each(client, district):
    _, auth = enroll(district)
    people = [
        [health_code(district), vaccination(district)],
        [health_code(district, CodeColour.YELLOW)],
    ]
    results = client.post("/api/checkpoint/scan", json={"people": people}, headers=auth).json()
    assert [r["outcome"] for r in results["results"]] == ["ADMIT", "DENY"]


def test_server_time_and_bundle(client, district):
    _, auth = enroll(district)
    assert client.get("/api/checkpoint/time").json()["now"] == district.now().isoformat()
    bundle = client.get("/api/checkpoint/bundle", headers=auth)
    assert bundle.status_code == 200
    assert bundle.headers["x-bundle-version"] == "1"
    assert b"fangzi-2021" in bundle.content


def test_id_document_path_decides_on_the_person_found(client, district, principal):
    """R14: no phone; the server looks the person up by ID card and decides as for codes."""
    from datetime import date

    from jointcheck.registry.health import NewDose

    health = principal(Role.HEALTH_AUTHORITY, "370704")
    person = register_holder(district, health, phone="13812345678")
    _, auth = enroll(district)
    body = {"document_type": "resident_id_card", "number": HOLDER.id_number}
    persuaded = client.post("/api/checkpoint/id-document", json=body, headers=auth).json()
    assert persuaded["result"]["outcome"] == "PERSUADE"
    assert persuaded["record"]["via"] == "id_document"
    assert "ID_DOCUMENT" in persuaded["record"]["reasons"]
    assert HOLDER.id_number not in str(persuaded)
    for dose in (1, 2):
        district.registry.health.record_dose(
            health, person, NewDose(dose, 2, "CoronaVac", date(2021, 5, dose), "Fangzi CDC")
        )
    admitted = client.post("/api/checkpoint/id-document", json=body, headers=auth).json()
    assert admitted["result"]["outcome"] == "ADMIT"
    unknown = {"document_type": "resident_id_card", "number": "370704200001010010"}
    answer = client.post("/api/checkpoint/id-document", json=unknown, headers=auth)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "PERSON_NOT_FOUND"
    assert district.server.counts(district.place_id)["checks"] == 2


def _foreign_dcc(fnt: str, gnt: str, dob: str):
    """A verified foreign DCC (no ID-number hash): it binds by name and date of birth."""
    from jointcheck.credentials.model import (
        CredentialType,
        DigitalCovidCertificate,
        Subject,
        VaccinationEntry,
    )

    entry = VaccinationEntry(
        tg="840539006", vp="J07BX03", mp="EU/1/20/1528", ma="ORG-100030215", dn=2, sd=2,
        dt=date(2021, 6, 1), co="DE", is_="Robert Koch-Institut", ci="URN:UVCI:01:DE:X",
    )  # fmt: skip
    now = datetime(2021, 9, 6, 2, 0, tzinfo=UTC)
    return DigitalCovidCertificate(
        type=CredentialType.DCC_VACCINATION, subject=Subject(dob=dob, fnt=fnt, gnt=gnt),
        fn=fnt.title(), gn=gnt.title(), issuer_country="DE", issued_at=now - timedelta(days=30),
        expires_at=now + timedelta(days=300), version="1.3.0", kid=b"de-kid",
        vaccinations=(entry,),
    )  # fmt: skip


def test_an_id_card_binds_to_a_foreign_dcc_of_the_same_name(district, principal):
    """Issue 2 "Subject binding" on the ID-document path: the look-up carries the holder's
    name as ICAO 9303 transliterates it, so an ID card shown with a foreign DCC of the same
    person is one person, and a DCC of someone else is still SUBJECT_MISMATCH. Opening the name
    is an audited read."""
    from jointcheck.api.checkpoint_lookup import lookup_id_document
    from jointcheck.api.checkpoint_service import device_principal
    from jointcheck.policy import Evidence, compile_pack, evaluate, load_shipped
    from jointcheck.policy.reasons import PolicyReason

    person = register_holder(district, principal(Role.HEALTH_AUTHORITY, "370704"))
    device, _ = enroll(district)
    lookup = lookup_id_document(
        district.registry, device_principal(device), "resident_id_card", HOLDER.id_number,
        district.now(),
    )  # fmt: skip
    assert lookup is not None
    assert (lookup.subject.fnt, lookup.subject.gnt) == ("ZHANG", "XIAOSAN")
    pack = compile_pack(load_shipped())
    same = Evidence.of([_foreign_dcc("ZHANG", "XIAOSAN", "1949-12-31")], id_card=lookup)
    decision = evaluate(same, "malls_and_supermarkets", pack, district.now())
    assert PolicyReason.SUBJECT_MISMATCH not in decision.reasons
    assert decision.outcome.value == "ADMIT"
    other = Evidence.of([_foreign_dcc("ZHANG", "XIAOSI", "1949-12-31")], id_card=lookup)
    decision = evaluate(other, "malls_and_supermarkets", pack, district.now())
    assert decision.reasons == (PolicyReason.SUBJECT_MISMATCH,)
    with district.registry.uow() as uow:
        reads = uow.session.scalars(
            select(AuditRow.detail).where(
                AuditRow.actor_role == "checkpoint_device",
                AuditRow.action == "personal_data.read",
                AuditRow.subject_id == str(person),
            )
        ).all()
    assert len(reads) == 1
    assert '"name"' in reads[0]


def test_the_entrance_page_names_the_place_and_the_entrance(client, district):
    """The header shows the place's name and the entrance, not the place's id; the device
    info the agent keeps carries the name too."""
    _, auth = enroll(district, entrance="south")
    token = auth["authorization"].removeprefix("Bearer ")
    client.cookies.set("jc_device", token)
    page = client.get("/entrance")
    assert page.status_code == 200
    header = page.text.split('data-testid="station">', 1)[1].split("</p>", 1)[0]
    assert "百货大楼" in header
    assert "south" in header
    assert f"场所 {district.place_id} " not in header
    info = client.get("/api/checkpoint/device", headers=auth).json()
    assert info["station"]["place_name"] == "百货大楼"


def test_a_device_call_gets_no_csrf_cookie_and_a_browser_still_does(client, district):
    _, auth = enroll(district)
    scanned = client.post(
        "/api/checkpoint/scan", json={"codes": [health_code(district)]}, headers=auth
    )
    assert scanned.status_code == 200
    assert "jc_csrf" not in scanned.headers.get("set-cookie", "")
    client.cookies.clear()
    browser = client.get("/api/checkpoint/time")
    assert "jc_csrf=" in browser.headers.get("set-cookie", "")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's write lock
def test_a_scan_meeting_an_ingest_on_sqlite_is_stored_by_the_writer_after_it(client, district):
    """With SQLite's write lock held (an ingest), a scan is not committed in the event loop:
    the writer thread waits for the lock, and the scan is answered after its commit."""
    assert district.registry.engine.dialect.name == "sqlite"
    device, auth = enroll(district)
    codes = {"codes": [health_code(district)]}
    assert client.post("/api/checkpoint/scan", json=codes, headers=auth).status_code == 200
    server = client.app.state.services.extras["checkpoint"]
    released: list[float] = []

    def release() -> None:
        released.append(time.monotonic())
        server._sqlite_writes.release()

    server._sqlite_writes.acquire()
    threading.Timer(0.3, release).start()
    answer = client.post("/api/checkpoint/scan", json=codes, headers=auth)
    answered = time.monotonic()
    assert answer.status_code == 200
    assert released
    assert answered >= released[0]
    assert district.server.counts(device.place_id)["checks"] == 2


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_scans_on_postgresql_are_committed_in_the_event_loop(client, district):
    """On PostgreSQL the scans of the app's event loop are stored by its group commit on the
    asynchronous connection (no writer thread), with the ledger asked in that transaction; a
    scan from outside the loop goes to the writer thread. All are stored and counted."""
    assert district.registry.engine.dialect.name == "postgresql"
    device, auth = enroll(district)
    code = health_code(district)
    first = client.post("/api/checkpoint/scan", json={"codes": [code]}, headers=auth)
    again = client.post("/api/checkpoint/scan", json={"codes": [code]}, headers=auth)
    assert "DUPLICATE_PRESENTATION" not in first.json()["results"][0]["reasons"]
    assert "DUPLICATE_PRESENTATION" in again.json()["results"][0]["reasons"]
    scans = client.app.state.services.extras["checkpoint"]._scans
    assert scans._loop_writer is not None
    assert scans._writer is None
    outside = client.app.state.services.extras["checkpoint"].scan(device, [[code]])
    assert "DUPLICATE_PRESENTATION" in outside[0][1].reasons
    assert scans._writer is not None
    assert district.server.counts(device.place_id)["checks"] == 3
