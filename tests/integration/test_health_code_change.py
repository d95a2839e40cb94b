"""The health authority changes a person's code colour (issue 4, R6), on SQLite and PostgreSQL:
through ``POST /api/persons/health-code``, the /health-codes page and ``jointcheck persons
health-code``. The change reaches the server's scans of a paper code and the ID-document check
at once; every other role is refused; each change is audited without the ID number."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from checkpoint_factories import HEALTH, HOLDER, District, enroll, register_holder, vaccination
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from jointcheck.cli.main import app as cli_app
from jointcheck.credentials import issue
from jointcheck.credentials.model import CodeColour
from jointcheck.registry.model import AdminLevel, AdminUnit
from jointcheck.registry.persons import Enrollment
from jointcheck.security.idcard import make_resident_id
from jointcheck.security.ports import AuditEntry
from jointcheck.security.roles import Role
from web_factories import add_account, csrf_of, sign_in

PASSWORD = "correct horse battery"
MASKED = "张*三"
BORN = date(1980, 1, 1)


def _signed_in(client: TestClient, registry, username: str, role: Role, scope: str) -> TestClient:
    add_account(registry, username, PASSWORD, role, scope)
    other = TestClient(client.app)
    assert sign_in(other, username, PASSWORD).status_code == 303
    return other


def _csrf(client: TestClient) -> dict[str, str]:
    return {"x-csrf-token": client.cookies.get("jc_csrf") or ""}


@pytest.fixture
def holder(district: District, principal):
    return register_holder(district, principal(Role.HEALTH_AUTHORITY), CodeColour.GREEN)


@pytest.fixture
def officer(client: TestClient, district: District, holder) -> Iterator[TestClient]:
    with _signed_in(client, district.registry, "hc-officer", Role.HEALTH_AUTHORITY, "370704") as c:
        yield c


def _body(**change: object) -> dict[str, object]:
    return {
        "document": {"document_type": "resident_id_card", "number": HOLDER.id_number},
        "colour": "red",
        "reason": "密接者，居家隔离",
        **change,
    }


def _changes(district: District) -> list[AuditEntry]:
    with district.registry.uow() as uow:
        rows = uow.audit.list(scope_code="3707", limit=1000)
    return [r for r in rows if r.action == "health_code.change"]


def _colour(district: District, person) -> CodeColour | None:
    with district.registry.uow() as uow:
        status = uow.persons.health_code(person)
    return status.colour if status else None


def _paper(district: District, colour: CodeColour) -> str:
    return issue.issue_health_code(
        issue.IssuingKey.of(HEALTH),
        district.subject_key,
        HOLDER,
        colour=colour,
        issued_at=district.now() - timedelta(hours=2),
        ttl=timedelta(hours=24),
        paper=True,
    )


def test_a_change_reaches_the_servers_paper_scan_and_id_document_check(
    client, district, officer, holder
):
    _, auth = enroll(district)
    paper = _paper(district, CodeColour.GREEN)  # printed green this morning
    scan = {"codes": [paper, vaccination(district)]}
    before = client.post("/api/checkpoint/scan", json=scan, headers=auth).json()["results"][0]
    assert before["outcome"] == "ADMIT"
    until = (district.now() + timedelta(days=14)).isoformat()
    answer = officer.post(
        "/api/persons/health-code", json=_body(until=until), headers=_csrf(officer)
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["person"]["masked_name"] == MASKED
    assert body["person"]["id"] == str(holder)
    assert body["status"]["colour"] == "red"
    assert body["status"]["colour_label"] == {"zh-CN": "红码", "en": "Red code"}
    assert body["status"]["since"] == district.now().isoformat()
    assert body["status"]["until"] == until
    assert body["status"]["changed_by"]["username"] == "hc-officer"
    assert HOLDER.id_number not in answer.text
    assert HOLDER.name not in answer.text
    after = client.post("/api/checkpoint/scan", json=scan, headers=auth).json()["results"][0]
    assert after["outcome"] == "DENY"
    assert "PAPER_COLOUR_CURRENT" in after["reasons"]
    document = {"document_type": "resident_id_card", "number": HOLDER.id_number}
    checked = client.post("/api/checkpoint/id-document", json=document, headers=auth).json()
    assert checked["result"]["outcome"] == "DENY"
    [row] = [r for r in _changes(district) if r.actor_username == "hc-officer"]
    assert row.subject_id == str(holder)
    assert row.reason == "密接者，居家隔离"
    assert json.loads(row.detail) == {"from": "green", "to": "red", "until": until}
    assert HOLDER.id_number not in f"{row.subject_id}{row.detail}{row.reason}"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"colour": "purple"}, "HEALTH_CODE_COLOUR_UNKNOWN"),
        ({"reason": "  "}, "HEALTH_CODE_REASON_REQUIRED"),
        ({"reason": "x" * 201}, "HEALTH_CODE_REASON_TOO_LONG"),
        ({"until": "2021-09-05T18:00:00+08:00"}, "HEALTH_CODE_UNTIL_PAST"),
        ({"until": "2021-09-20T18:00:00"}, "HEALTH_CODE_UNTIL_NAIVE"),
        (
            {"document": {"document_type": "resident_id_card", "number": "110105194912310021"}},
            "ID_NUMBER_INVALID",
        ),
    ],
)
def test_a_bad_change_is_422_with_its_code_and_changes_nothing(
    district, officer, holder, change, code
):
    before = len(_changes(district))
    answer = officer.post("/api/persons/health-code", json=_body(**change), headers=_csrf(officer))
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    assert error["message"]["zh-CN"] != error["message"]["en"]
    assert len(_changes(district)) == before
    assert _colour(district, holder) is CodeColour.GREEN


def test_only_the_health_authority_of_the_district_changes_a_code(
    client, district, officer, holder, principal
):
    registry = district.registry
    for name, role, scope in (
        ("hc-admin", Role.DISTRICT_ADMIN, "370704"),
        ("hc-street", Role.STREET_STAFF, "370704001"),
        ("hc-grid", Role.COMMUNITY_ADMIN, "370704001001"),
    ):
        with _signed_in(client, registry, name, role, scope) as other:
            answer = other.post("/api/persons/health-code", json=_body(), headers=_csrf(other))
            assert answer.status_code == 403, (name, answer.text)
            assert other.get("/health-codes").status_code == 403
            assert "/health-codes" not in other.get("/").text
    assert client.post("/api/persons/health-code", json=_body()).status_code in {401, 403}
    no_csrf = officer.post("/api/persons/health-code", json=_body())
    assert no_csrf.status_code == 403
    assert no_csrf.json()["error"]["code"] == "CSRF_FAILED"
    # Someone registered in another district answers as no one (R6); so does a stranger.
    with registry.uow() as uow:
        uow.units.add_many(
            [
                AdminUnit("370705", AdminLevel.DISTRICT, "潍城区", "Weicheng"),
                AdminUnit("370705001", AdminLevel.STREET, "城关街道", "Chengguan", "370705"),
                AdminUnit("370705001001", AdminLevel.COMMUNITY, "北社区", "Bei", "370705001"),
                AdminUnit("370705001001001", AdminLevel.GRID, "第1网格", "Grid 1", "370705001001"),
            ]
        )
        uow.commit()
    elsewhere = make_resident_id("370705", BORN, 17)
    registry.persons.enroll(
        principal(Role.HEALTH_AUTHORITY, "370705"),
        Enrollment("370705001001001", "resident_id_card", elsewhere, "李四"),
    )
    stranger = make_resident_id("370704", BORN, 19)
    for number in (elsewhere, stranger):
        document = {"document_type": "resident_id_card", "number": number}
        answer = officer.post(
            "/api/persons/health-code", json=_body(document=document), headers=_csrf(officer)
        )
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"]["code"] == "HEALTH_CODE_PERSON_UNKNOWN"
        assert number not in answer.text
    assert [r.actor_username for r in _changes(district) if r.actor_username.startswith("hc")] == []


def _find(officer: TestClient, number: str) -> object:
    token = csrf_of(officer.get("/health-codes?lang=en").text)
    form = {"document_type": "resident_id_card", "number": number, "csrf_token": token}
    return officer.post("/health-codes", data=form, follow_redirects=False)


def test_the_page_finds_confirms_and_shows_the_new_status(district, officer, holder):
    home = officer.get("/?lang=en").text
    assert 'href="/health-codes"' in home
    found = _find(officer, HOLDER.id_number.lower())  # an x typed small is the same card
    assert found.status_code == 303
    assert found.headers["location"] == f"/health-codes/{holder}"
    page = officer.get(f"/health-codes/{holder}?lang=en").text
    assert MASKED in page
    assert "Green code" in page
    assert HOLDER.id_number not in page
    form = {"colour": "yellow", "reason": "时空伴随", "until": "2021-09-13T18:00"}
    form["csrf_token"] = csrf_of(page)
    past = officer.post(f"/health-codes/{holder}", data={**form, "until": "2021-09-01T18:00"})
    assert past.status_code == 422
    assert 'data-code="HEALTH_CODE_UNTIL_PAST"' in past.text
    review = officer.post(f"/health-codes/{holder}", data=form)
    assert review.status_code == 200
    assert 'data-testid="hc-confirm"' in review.text
    assert len([r for r in _changes(district) if r.actor_username == "hc-officer"]) == 0
    done = officer.post(
        f"/health-codes/{holder}", data={**form, "confirmed": "yes"}, follow_redirects=False
    )
    assert done.status_code == 303
    shown = officer.get(done.headers["location"] + "&lang=zh-CN").text
    assert 'data-testid="hc-changed"' in shown
    assert 'data-colour="yellow"' in shown
    assert "黄码" in shown
    assert "时空伴随" in shown
    assert "2021年9月13日 18:00:00" in shown  # the until typed, in Fangzi's time
    [row] = [r for r in _changes(district) if r.actor_username == "hc-officer"]
    assert json.loads(row.detail)["until"] == "2021-09-13T10:00:00+00:00"
    unknown = _find(officer, make_resident_id("370704", BORN, 19))
    assert unknown.status_code == 404
    assert 'data-code="HEALTH_CODE_PERSON_UNKNOWN"' in unknown.text


def _first_health_account(district: District) -> str:
    with district.registry.uow() as uow:
        records = uow.accounts.list(scope_code="370704")
    return next(r.username for r in records if r.role is Role.HEALTH_AUTHORITY)


def test_the_command_line_changes_a_code_as_the_districts_health_authority(
    settings, district, holder, monkeypatch
):
    # The district's first health-authority account is the one register_holder entered with.
    monkeypatch.setenv("JOINTCHECK_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("JOINTCHECK_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("JOINTCHECK_PII_KEY", settings.pii_key)
    monkeypatch.setenv("JOINTCHECK_LOOKUP_KEY", settings.lookup_key)
    monkeypatch.setenv("JOINTCHECK_SESSION_SECRET", settings.session_secret)
    command = ["persons", "health-code", "--number", HOLDER.id_number, "--colour", "red"]
    runner = CliRunner()
    refused = runner.invoke(cli_app, [*command, "--reason", " "])
    assert refused.exit_code == 2
    assert "HEALTH_CODE_REASON_REQUIRED" in refused.output
    assert "变更健康码须填写原因" in refused.output
    done = runner.invoke(cli_app, [*command, "--reason", "核酸阳性", "--until", "2099-01-01T18:00"])
    assert done.exit_code == 0, done.output
    assert MASKED in done.output
    assert "green -> ■ red" in done.output
    assert HOLDER.id_number not in done.output
    [row] = [r for r in _changes(district) if r.actor_username.startswith("cli:")]
    assert row.actor_role == "health_authority"
    assert row.actor_username == f"cli:{_first_health_account(district)}"
    assert json.loads(row.detail) == {
        "from": "green",
        "to": "red",
        "until": "2099-01-01T10:00:00+00:00",
    }
    assert _colour(district, holder) is CodeColour.RED
    assert "--colour" in runner.invoke(cli_app, ["persons", "health-code", "--help"]).output


def test_the_holders_page_shows_the_new_colour(settings, registry, tree, principal):
    from jointcheck.api.app import create_app
    from jointcheck.bootstrap import ensure_district_keys
    from web_factories import NOW, add_resident

    ensure_district_keys(settings, NOW - timedelta(days=1), "370704")
    resident = add_resident(registry, principal(Role.HEALTH_AUTHORITY), tree.grid_1)
    add_account(registry, "hc-officer", PASSWORD, Role.HEALTH_AUTHORITY, "370704")
    app = create_app(settings, clock=lambda: NOW)
    with TestClient(app) as holder, TestClient(app) as officer:
        assert sign_in(holder, resident.username, resident.password).status_code == 303
        assert sign_in(officer, "hc-officer", PASSWORD).status_code == 303
        assert 'data-testid="holder-colour"' in holder.get("/me?lang=en").text
        assert "Green code" in holder.get("/me?lang=en").text
        document = {"document_type": "resident_id_card", "number": resident.id_number}
        answer = officer.post(
            "/api/persons/health-code",
            json={"document": document, "colour": "red", "reason": "核酸阳性"},
            headers=_csrf(officer),
        )
        assert answer.status_code == 200, answer.text
        page = holder.get("/me?lang=en").text
        assert "Red code" in page
        assert "Green code" not in page
