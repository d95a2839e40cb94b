"""A paper health code scanned at the server (issue 4) on SQLite and PostgreSQL: no duplicate
warning for the same sheet shown again, and the authority's current colour over the printed one."""

from __future__ import annotations

from datetime import timedelta

from checkpoint_factories import ADMIN, HEALTH, HOLDER, District, register_holder, vaccination
from fastapi.testclient import TestClient

from jointcheck.checkpoint.model import CheckRecord
from jointcheck.credentials import issue
from jointcheck.credentials.model import CodeColour
from jointcheck.security.roles import Role
from jointcheck.store.checkpoint_repository import SqlCheckpoint


def _paper(d: District, colour: CodeColour, printed_hours_ago: int) -> str:
    return issue.issue_health_code(
        issue.IssuingKey.of(HEALTH),
        d.subject_key,
        HOLDER,
        colour=colour,
        issued_at=d.now() - timedelta(hours=printed_hours_ago),
        ttl=timedelta(hours=24),
        paper=True,
    )


def _scan(client: TestClient, auth: dict[str, str], *codes: str) -> dict:
    answer = client.post("/api/checkpoint/scan", json={"codes": list(codes)}, headers=auth)
    assert answer.status_code == 200, answer.text
    result: dict = answer.json()["results"][0]
    return result


def _stored(district: District, check_id: str) -> CheckRecord:
    with district.registry.uow() as uow:
        record = SqlCheckpoint(uow.session).get_check("370704001", check_id)
    assert record is not None
    return record


def _auth(district: District) -> dict[str, str]:
    _, token = district.server.enroll(ADMIN, district.place_id, "north", "t")
    return {"authorization": f"Bearer {token}"}


def test_a_paper_code_shown_twice_at_the_server_is_no_duplicate(client, district):
    auth = _auth(district)
    paper = _paper(district, CodeColour.GREEN, printed_hours_ago=23)
    first = _scan(client, auth, paper, vaccination(district))
    second = _scan(client, auth, paper, vaccination(district))
    assert first["outcome"] == "ADMIT"
    assert second["outcome"] == "ADMIT"
    assert "DUPLICATE_PRESENTATION" not in second["reasons"]
    assert "PAPER_CODE" in second["reasons"]
    assert "printed at 11:00" in second["message_en"]  # 10:00 in Fangzi, printed 23 h before
    # Nobody in the registry for it: the colour is the printed one, and the screen says so.
    assert "PAPER_COLOUR_AS_PRINTED" in second["reasons"]


def test_a_paper_code_past_a_day_is_refused(client, district):
    auth = _auth(district)
    late = _scan(client, auth, _paper(district, CodeColour.GREEN, 25), vaccination(district))
    assert late["outcome"] == "DENY"
    assert "EXPIRED" in late["reasons"]


def test_the_authority_turns_the_holder_yellow_after_printing(client, district, principal):
    health = principal(Role.HEALTH_AUTHORITY, "370704")
    person = register_holder(district, health, phone="13812345678")
    auth = _auth(district)
    paper = _paper(district, CodeColour.GREEN, printed_hours_ago=3)
    before = _scan(client, auth, paper, vaccination(district))
    assert before["outcome"] == "ADMIT"
    assert "PAPER_COLOUR_CURRENT" in before["reasons"]
    district.registry.health.change_code(health, person, CodeColour.YELLOW, reason="contact")
    after = _scan(client, auth, paper, vaccination(district))
    assert after["outcome"] == "DENY"
    assert "HEALTH_CODE_YELLOW" in after["reasons"]
    assert "PAPER_COLOUR_CURRENT" in after["reasons"]
    assert "current colour applies" in after["message_en"]
    stored = _stored(district, after["check_id"])
    assert stored.summary.code_colour == "yellow"
    assert "PAPER_COLOUR_CURRENT" in stored.reasons
