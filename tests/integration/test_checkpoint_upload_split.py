"""An agent never stuck on a batch too large for the server (issue 4): registrations with long
fields can make a thousand events pass the events route's body limit. The agent splits such a
batch until the server takes each part, and sets aside as refused only an event too large alone;
the server ends with every event exactly once.

A thousand of the longest registrations the agent makes are about 800 KB of JSON, under the
route's 1 MiB: the server here takes at most 256 KiB on the route (as a proxy in front of it
might), so that a batch of a thousand passes it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from checkpoint_factories import ADMIN, District, health_code, started_agent
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jointcheck.api import app as app_module
from jointcheck.api.agent_transport import HttpTransport
from jointcheck.api.app import create_app
from jointcheck.checkpoint.agent import Agent
from jointcheck.checkpoint.model import Registration
from jointcheck.checkpoint.sync import BATCH_SIZE, TOO_LARGE, BatchAnswer
from jointcheck.store.checkpoint_models import CheckEventRow, RegistrationEventRow

LIMIT = 256 * 1024
PEOPLE = 334  # three events each (the persuaded check, the registered one, the registration)


def person(i: int) -> Registration:
    """A registration with its fields as long as they may be (50 and 200 characters)."""
    return Registration(
        name="欧阳" * 24 + f"{i % 100:02d}",
        id_number="11010519491231002X",
        phone="13812345678",
        purpose=("探望住院的家人并办理出院手续" * 15)[:196] + f"{i:04d}",
    )


class Recording(HttpTransport):
    """The real HTTP transport, keeping the size of each batch it posted and each body the
    server answered 413."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.posted: list[int] = []
        self.too_large = 0
        self.bodies: list[int] = []

    def post_batch(self, events: list[dict[str, Any]], skew_ms: int | None) -> BatchAnswer:
        self.posted.append(len(events))
        return super().post_batch(events, skew_ms)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        if path == "/events":
            self.bodies.append(len(kwargs["content"]))
        response = super()._call(method, path, **kwargs)
        if response.status_code == 413:
            self.too_large += 1
        return response


@pytest.fixture
def client(district: District, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr(app_module, "EVENTS_BODY_LIMIT", LIMIT)
    with TestClient(create_app(district.settings, clock=district.now)) as c:
        yield c


def make_agent(
    district: District, client: TestClient, folder: Path, max_body: int
) -> tuple[Agent, Recording]:
    _, token = district.server.enroll(ADMIN, district.place_id, "north", "terminal")
    transport = Recording("http://testserver", token, client=client, max_body=max_body)
    agent = started_agent(district, folder, transport)
    transport.posted.clear()
    transport.bodies.clear()
    return agent, transport


def offline_registrations(agent: Agent, district: District, n: int) -> None:
    """N persuaded people registered (3N events), made while the server was away."""
    code = health_code(district)
    for i in range(n):
        persuaded = agent.scan([[code]])[0]
        assert persuaded.outcome == "PERSUADE"
        agent.register(persuaded.check_id, person(i))


def stored(district: District) -> tuple[int, int]:
    with district.registry.uow() as uow:
        checks = uow.session.scalar(select(func.count()).select_from(CheckEventRow))
        registrations = uow.session.scalar(select(func.count()).select_from(RegistrationEventRow))
        return int(checks or 0), int(registrations or 0)


def test_a_batch_over_the_servers_limit_is_split_and_all_of_it_stored_once(
    client, district, tmp_path
):
    # The agent's own cap is lifted, so the server sees the whole batch and answers 413.
    agent, transport = make_agent(district, client, tmp_path, max_body=64 * LIMIT)
    offline_registrations(agent, district, PEOPLE)
    assert agent.status().backlog == 3 * PEOPLE
    report = agent.sync()
    assert report is not None
    assert transport.bodies[0] > LIMIT
    assert transport.too_large >= 1
    assert transport.posted[0] == BATCH_SIZE
    assert max(transport.posted[1:]) < BATCH_SIZE
    assert (report.uploaded, report.refused, report.backlog) == (3 * PEOPLE, 0, 0)
    assert stored(district) == (2 * PEOPLE, PEOPLE)
    assert agent.outbox.refused() == {}
    again = agent.sync()
    assert again is not None
    assert again.uploaded == 0
    assert stored(district) == (2 * PEOPLE, PEOPLE)


def test_the_agent_caps_the_body_before_sending(client, district, tmp_path):
    agent, transport = make_agent(district, client, tmp_path, max_body=LIMIT)
    offline_registrations(agent, district, PEOPLE)
    report = agent.sync()
    assert report is not None
    assert transport.too_large == 0
    assert max(transport.bodies) <= LIMIT
    assert transport.posted[0] == BATCH_SIZE  # asked of the transport, not sent
    assert (report.uploaded, report.refused, report.backlog) == (3 * PEOPLE, 0, 0)
    assert stored(district) == (2 * PEOPLE, PEOPLE)


def test_an_event_too_large_alone_is_refused_and_the_rest_flows(client, district, tmp_path):
    # A limit that a registration passes alone (about 1,000 bytes) and a check (700-770) does not.
    agent, _ = make_agent(district, client, tmp_path, max_body=900)
    offline_registrations(agent, district, 3)
    check = agent.scan([[health_code(district)]])[0]
    report = agent.sync()
    assert report is not None
    assert (report.uploaded, report.refused, report.backlog) == (7, 3, 0)
    refused = agent.outbox.refused()
    assert set(refused.values()) == {TOO_LARGE}
    assert all(agent.outbox.get(i)["kind"] == "registration" for i in refused)
    assert stored(district) == (7, 0)
    assert check.check_id not in refused
    again = agent.sync()
    assert again is not None
    assert (again.uploaded, again.refused) == (0, 0)
