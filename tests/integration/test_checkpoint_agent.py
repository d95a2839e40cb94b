"""The entrance agent against a real server app (issue 4, offline operation): it decides with
no network, keeps what it decided, and the server ends with every check exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from checkpoint_factories import District, health_code, make_district, vaccination
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jointcheck.api.agent_transport import HttpTransport
from jointcheck.api.app import create_app
from jointcheck.checkpoint.agent import Agent
from jointcheck.checkpoint.model import Registration
from jointcheck.checkpoint.outbox import Outbox
from jointcheck.checkpoint.sealing import DeviceSealer
from jointcheck.checkpoint.sync import Unreachable
from jointcheck.credentials.model import CodeColour
from jointcheck.security.roles import Principal, Role
from jointcheck.store.checkpoint_models import CheckEventRow, DeviceRow

ADMIN = Principal(1, "admin", Role.DISTRICT_ADMIN, "370704")
PERSON = Registration(
    name="王小明", id_number="11010519491231002X", phone="13812345678", purpose="探亲"
)


class Switchable(HttpTransport):
    """The real HTTP transport, with a switch that takes the network away."""

    up = True

    def _call(self, method, path, **kwargs):
        if not self.up:
            raise Unreachable("network down")
        return super()._call(method, path, **kwargs)


@pytest.fixture
def district(settings, registry, tree) -> District:
    return make_district(settings, registry)


@pytest.fixture
def client(district: District) -> Iterator[TestClient]:
    with TestClient(create_app(district.settings, clock=district.now)) as c:
        yield c


def make_agent(district: District, client: TestClient, folder: Path) -> tuple[Agent, Switchable]:
    _, token = district.server.enroll(ADMIN, district.place_id, "north", "terminal")
    transport = Switchable("http://testserver", token, client=client)
    agent = Agent(Outbox(folder / "outbox.db"), transport, DeviceSealer(bytes(32)), district.now)
    agent.start()
    assert agent.sync() is not None
    return agent, transport


def stored_checks(district: District) -> int:
    with district.registry.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(CheckEventRow)) or 0)


def test_offline_decisions_reach_the_server_once_when_it_returns(client, district, tmp_path):
    agent, transport = make_agent(district, client, tmp_path)
    transport.up = False
    admitted = agent.scan([[health_code(district), vaccination(district)]])[0]
    persuaded = agent.scan([[health_code(district)]])[0]
    denied = agent.scan([[health_code(district, CodeColour.RED)]])[0]
    registered = agent.register(persuaded.check_id, PERSON)
    agent.override(denied.check_id, "OFFICIAL_DUTY", "s-01")
    assert [admitted.outcome, persuaded.outcome, denied.outcome, registered.outcome] == [
        "ADMIT",
        "PERSUADE",
        "DENY",
        "ADMIT_REGISTERED",
    ]
    assert agent.sync() is None
    assert agent.status().online is False
    assert agent.status().backlog == 6
    assert stored_checks(district) == 0
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("outbox.db*"))
    assert "王小明".encode() not in raw
    assert b"13812345678" not in raw
    transport.up = True
    report = agent.sync()
    assert report is not None
    assert report.uploaded == 6
    assert agent.sync().uploaded == 0
    assert stored_checks(district) == 4
    counts = district.server.counts(district.place_id)
    assert counts | {"checks": 4, "registrations": 1, "overrides": 1} == counts
    assert agent.counts() == {"ADMIT": 1, "PERSUADE": 1, "DENY": 1, "ADMIT_REGISTERED": 1}


def test_the_clock_skew_is_measured_and_recorded_at_the_server(client, district, tmp_path):
    agent, _ = make_agent(district, client, tmp_path)
    agent.clock = lambda: district.now() - timedelta(seconds=90)
    agent.sync()
    assert 89_000 <= agent.status().skew_ms <= 91_000
    with district.registry.uow() as uow:
        skews = list(uow.session.scalars(select(DeviceRow.last_skew_ms)))
    assert any(s is not None and 89_000 <= s <= 91_000 for s in skews)


def test_a_stale_bundle_keeps_working_and_says_so(client, district, tmp_path):
    agent, transport = make_agent(district, client, tmp_path)
    transport.up = False
    district.clock[0] += timedelta(hours=25)
    result = agent.scan([[health_code(district), vaccination(district)]])[0]
    assert result.outcome == "ADMIT"
    assert result.stale
    assert "BUNDLE_STALE" in result.reasons
    assert agent.status().stale


def test_a_newer_bundle_is_taken_and_an_agent_restarts_offline_with_it(client, district, tmp_path):
    agent, transport = make_agent(district, client, tmp_path)
    assert agent.status().bundle_version == 1
    district.server.publish()
    agent.sync()
    assert agent.status().bundle_version == 2
    transport.up = False
    again = Agent(Outbox(tmp_path / "outbox.db"), transport, DeviceSealer(bytes(32)), district.now)
    again.start()
    assert again.status().bundle_version == 2
    assert again.scan([[health_code(district)]])[0].outcome == "PERSUADE"


def test_a_revoked_terminal_cannot_upload(client, district, tmp_path):
    agent, _ = make_agent(district, client, tmp_path)
    agent.scan([[health_code(district)]])
    device_id = agent.station.device_id
    assert district.server.revoke(ADMIN, device_id)
    assert agent.sync() is None
    assert agent.status().backlog == 1
    assert stored_checks(district) == 0
