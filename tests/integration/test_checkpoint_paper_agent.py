"""A paper health code at an entrance agent (issue 4), on SQLite and PostgreSQL: online, the
agent asks its server for the holder's current colour (``POST /api/checkpoint/paper-colour``)
and decides with it, as the server would; when the server does not answer within the short
timeout, or the agent is offline, the printed colour stands, and the record says which."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from checkpoint_factories import HEALTH, HOLDER, District, enroll, register_holder, vaccination
from test_checkpoint_agent import make_agent

from jointcheck.api.agent_transport import PAPER_COLOUR_TIMEOUT
from jointcheck.checkpoint.agent import Agent
from jointcheck.credentials import issue
from jointcheck.credentials.model import CodeColour
from jointcheck.credentials.subject import subject_hash
from jointcheck.security.roles import Principal, Role
from jointcheck.store.checkpoint_repository import SqlCheckpoint

PRINTED_GREEN_NOW_YELLOW = "DENY"
# A family member not in the registry: their paper code's colour is asked for too.
MEMBER = issue.Holder(id_number="370704198001010010", name="李四", dob="1980-01-01")


def _paper(d: District, holder: issue.Holder = HOLDER) -> str:
    return issue.issue_health_code(
        issue.IssuingKey.of(HEALTH), d.subject_key, holder, colour=CodeColour.GREEN,
        issued_at=d.now() - timedelta(hours=3), ttl=timedelta(hours=24), paper=True,
    )  # fmt: skip


def _holder_turned_yellow(district: District, principal) -> None:
    """HOLDER in the registry, green when the paper was printed, yellow now."""
    register_holder(
        district, principal(Role.HEALTH_AUTHORITY, "370704"), CodeColour.YELLOW, phone="13812345678"
    )


# The route ---------------------------------------------------------------------------------
def test_a_device_learns_the_current_colour_and_nothing_else(client, district, principal):
    _holder_turned_yellow(district, principal)
    _, auth = enroll(district)
    wanted = subject_hash(district.subject_key, HOLDER.id_number).hex()
    answer = client.post(
        "/api/checkpoint/paper-colour", json={"subject_hash": wanted}, headers=auth
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"colour": "yellow"}


def test_the_colour_route_refuses_with_stable_codes(client, district):
    _, auth = enroll(district)
    route = "/api/checkpoint/paper-colour"
    nobody = client.post(route, json={"subject_hash": "ab" * 32}, headers=auth)
    assert nobody.status_code == 404
    error = nobody.json()["error"]
    assert error["code"] == "SUBJECT_UNKNOWN"
    assert error["message"]["en"] == "No one registered in this district holds this health code"
    assert "本区" in error["message"]["zh-CN"]
    for bad in ({"subject_hash": "AB" * 32}, {"subject_hash": "ab"}, {"id_number": "1"}, {}):
        refused = client.post(route, json=bad, headers=auth)
        assert refused.status_code == 422, bad
        assert refused.json()["error"]["code"] == "VALIDATION_FAILED"
    padded = client.post(route, json={"subject_hash": "ab" * 32, "pad": "x" * 2048}, headers=auth)
    assert (padded.status_code, padded.json()["error"]["code"]) == (413, "BODY_TOO_LARGE")
    unknown = client.post(route, json={"subject_hash": "ab" * 32})
    assert unknown.status_code == 401


def test_a_device_of_another_district_learns_no_colour_nor_record(district, principal):
    _holder_turned_yellow(district, principal)
    wanted = subject_hash(district.subject_key, HOLDER.id_number).hex()
    persons = district.registry.persons
    # As the server builds a device's principal: its place's code as its scope.
    here = Principal(0, "device:a", Role.CHECKPOINT_DEVICE, "370704002001", district.place_id)
    elsewhere = Principal(0, "device:b", Role.CHECKPOINT_DEVICE, "370705001001", 1)
    assert persons.colour_by_subject(here, wanted) is CodeColour.YELLOW  # another street
    assert persons.colour_by_subject(elsewhere, wanted) is None
    # Nor by the ID-document path (R14, R6): the same person is unknown to that device.
    found = persons.health_by_document(here, "resident_id_card", HOLDER.id_number)
    assert found is not None
    assert found.code is not None
    assert found.code.colour is CodeColour.YELLOW
    assert persons.health_by_document(elsewhere, "resident_id_card", HOLDER.id_number) is None


# The agent ---------------------------------------------------------------------------------
def _scan(agent: Agent, district: District) -> dict:
    screen = agent.scan([[_paper(district), vaccination(district)]])[0]
    return {"screen": screen, "record": agent.outbox.get(screen.check_id) or {}}


def test_an_online_agent_decides_with_the_current_colour(client, district, principal, tmp_path):
    _holder_turned_yellow(district, principal)
    agent, _ = make_agent(district, client, tmp_path)
    scanned = _scan(agent, district)
    assert scanned["screen"].outcome == PRINTED_GREEN_NOW_YELLOW
    assert "current colour applies" in scanned["screen"].message_en
    record = scanned["record"]
    assert "PAPER_COLOUR_CURRENT" in record["reasons"]
    assert "HEALTH_CODE_YELLOW" in record["reasons"]
    assert record["summary"]["code_colour"] == "yellow"
    # Uploaded, the server holds the same record.
    assert agent.sync() is not None
    with district.registry.uow() as uow:
        stored = SqlCheckpoint(uow.session).get_check("370704001", scanned["screen"].check_id)
    assert stored is not None
    assert "PAPER_COLOUR_CURRENT" in stored.reasons
    assert stored.summary.code_colour == "yellow"


def test_an_offline_agent_keeps_the_printed_colour_and_asks_nothing(
    client, district, principal, tmp_path
):
    _holder_turned_yellow(district, principal)
    agent, transport = make_agent(district, client, tmp_path)
    transport.up = False
    assert agent.sync() is None
    asked: list[str] = []
    transport.paper_colour = asked.append  # type: ignore[method-assign]
    scanned = _scan(agent, district)
    assert asked == []
    assert scanned["screen"].outcome == "ADMIT"
    assert "PAPER_COLOUR_AS_PRINTED" in scanned["record"]["reasons"]
    assert scanned["record"]["summary"]["code_colour"] == "green"
    assert "colour is as of printing" in scanned["screen"].message_en


@pytest.fixture
def dead_server() -> Iterator[str]:
    """A server that takes connections and never answers (a link that died mid-way)."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        listener.close()


def test_a_server_that_does_not_answer_leaves_the_printed_colour(
    client, district, principal, tmp_path: Path, dead_server: str
):
    _holder_turned_yellow(district, principal)
    agent, transport = make_agent(district, client, tmp_path)
    timeouts: list[object] = []
    dead = httpx.Client(
        base_url=dead_server,
        timeout=5.0,  # the agent's usual timeout: the colour request must not wait that long
        event_hooks={"request": [lambda r: timeouts.append(r.extensions["timeout"])]},
    )
    transport._client = dead  # the link dies after the last sync round
    family = [
        [_paper(district), vaccination(district)],
        [_paper(district, MEMBER), vaccination(district, MEMBER)],
    ]
    screens = agent.scan(family)
    dead.close()
    # One request, with the short timeout; then the link counts as down for the rest.
    short = {"connect": PAPER_COLOUR_TIMEOUT, "read": PAPER_COLOUR_TIMEOUT,
             "write": PAPER_COLOUR_TIMEOUT, "pool": PAPER_COLOUR_TIMEOUT}  # fmt: skip
    assert timeouts == [short]
    assert [s.outcome for s in screens] == ["ADMIT", "ADMIT"]
    for screen in screens:
        assert "PAPER_COLOUR_AS_PRINTED" in screen.reasons
    assert agent.status().online is False
    agent.scan([[_paper(district), vaccination(district)]])
    assert len(timeouts) == 1  # not asked again until a sync round reaches the server


def test_an_agent_refusing_the_bundle_asks_the_server_nothing(client, district, tmp_path):
    agent, transport = make_agent(district, client, tmp_path)
    agent.outbox.record_refusal(district.now(), "BUNDLE_UNTRUSTED", "another root key")
    asked: list[str] = []
    transport.paper_colour = asked.append  # type: ignore[method-assign]
    screen = agent.scan([[_paper(district), vaccination(district)]])[0]
    assert asked == []
    assert "PAPER_COLOUR_AS_PRINTED" in screen.reasons
