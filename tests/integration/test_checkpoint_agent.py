"""The entrance agent against a real server app (issue 4, offline operation): it decides with
no network, keeps what it decided, and the server ends with every check exactly once."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from checkpoint_factories import (
    ADMIN,
    ROOT,
    ROOT_FINGERPRINT,
    District,
    health_code,
    started_agent,
    vaccination,
    write_root,
)
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from jointcheck.api import agent_transport
from jointcheck.api.agent_app import create_agent_app
from jointcheck.api.agent_transport import HttpTransport
from jointcheck.checkpoint.agent import Agent
from jointcheck.checkpoint.bundle import root_fingerprint
from jointcheck.checkpoint.model import Registration
from jointcheck.checkpoint.outbox import Outbox
from jointcheck.checkpoint.reasons import trust_message
from jointcheck.checkpoint.sealing import DeviceSealer
from jointcheck.checkpoint.sync import Unreachable
from jointcheck.cli import checkpoint as checkpoint_cli
from jointcheck.cli.main import app as cli_app
from jointcheck.credentials.model import CodeColour
from jointcheck.errors import InputError, TrustListError
from jointcheck.store.checkpoint_models import CheckEventRow, DeviceRow

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


def make_agent(district: District, client: TestClient, folder: Path) -> tuple[Agent, Switchable]:
    _, token = district.server.enroll(ADMIN, district.place_id, "north", "terminal")
    transport = Switchable("http://testserver", token, client=client)
    agent = started_agent(district, folder, transport)
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


def test_an_override_at_the_agent_names_the_person_as_the_refusal_did(client, district, tmp_path):
    agent, transport = make_agent(district, client, tmp_path)
    transport.up = False  # decided and overridden with no network
    denied = agent.scan([[health_code(district, CodeColour.RED)]])[0]
    assert (denied.outcome, denied.masked_name) == ("DENY", "张*三")
    overridden = agent.override(denied.check_id, "OFFICIAL_DUTY", "s-01")
    assert overridden.masked_name == "张*三"
    assert "OVERRIDDEN" in overridden.reasons
    # The outbox holds no name: a restarted agent answers an override without one.
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("outbox.db*"))
    assert "张*三".encode() not in raw


def test_the_agents_entrance_page_counts_overrides_as_the_server_does(client, district, tmp_path):
    from jointcheck.api.agent_app import create_agent_app

    agent, transport = make_agent(district, client, tmp_path)
    transport.up = False
    for _ in range(2):
        denied = agent.scan([[health_code(district, CodeColour.RED)]])[0]
    agent.override(denied.check_id, "OFFICIAL_DUTY", "s-01")
    with TestClient(create_agent_app(agent, sync_interval=3600)) as local:
        page = local.get("/?lang=en").text
        key = page.split('name="agent-key" content="', 1)[1].split('"', 1)[0]
        counts = local.get("/api/agent/counts", headers={"x-agent-key": key}).json()["counts"]
    assert '<dt>Overridden</dt><dd data-count="overrides"' in page
    assert (counts["checks"], counts["denied"], counts["overrides"]) == (2, 2, 1)
    transport.up = True
    assert agent.sync() is not None
    at_server = district.server.counts(district.place_id)
    assert (at_server["denied"], at_server["overrides"]) == (2, 1)
    # Tomorrow's page starts again from nothing, like the server's day.
    district.clock[0] += timedelta(days=1)
    assert agent.overrides() == 0


def test_the_agent_logs_a_refused_registration_as_a_refusal_not_a_fault(
    client, district, tmp_path, caplog
):
    from jointcheck.api.agent_app import create_agent_app

    agent, _ = make_agent(district, client, tmp_path)
    persuaded = agent.scan([[health_code(district)]])[0]
    caplog.set_level(logging.INFO, logger="jointcheck.api")
    with TestClient(create_agent_app(agent, sync_interval=3600)) as local:
        key = local.get("/").text.split('name="agent-key" content="', 1)[1].split('"', 1)[0]
        answer = local.post(
            "/api/agent/register",
            json={"check_id": persuaded.check_id, "name": PERSON.name,
                  "id_number": PERSON.id_number, "phone": "12-34", "purpose": "探亲"},
            headers={"x-agent-key": key, "x-csrf-token": local.cookies.get("jc_csrf") or ""},
        )  # fmt: skip
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "PHONE_INVALID")
    logged = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "jointcheck.api"]
    assert logged == [(logging.INFO, "refused PHONE_INVALID (InputError) on /api/agent/register")]
    assert PERSON.id_number not in caplog.text


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


def test_a_revoked_terminal_says_it_was_revoked_not_offline(client, district, tmp_path):
    from jointcheck.api.agent_app import counts_json, create_agent_app

    agent, _ = make_agent(district, client, tmp_path)
    agent.scan([[health_code(district)]])
    assert district.server.revoke(ADMIN, agent.station.device_id)
    assert agent.sync() is None
    assert agent.sync() is None  # each round stops at the refused token: nothing is sent
    status = agent.status()
    assert (status.online, status.last_error) == (False, "DEVICE_REVOKED")
    assert status.revoked_since == district.now()
    assert (status.backlog, stored_checks(district)) == (1, 0)  # the outbox is kept
    shown = counts_json(agent)["status"]
    assert shown["revoked"] is True
    assert shown["revoked_since"] == district.now().isoformat()
    with pytest.raises(InputError) as refused:
        agent.id_document("resident_id_card", PERSON.id_number)
    assert refused.value.code == "DEVICE_REVOKED"
    with TestClient(create_agent_app(agent, sync_interval=3600)) as local:
        for lang, words in (("zh-CN", "本终端已在服务器注销"), ("en", "was revoked at the server")):
            page = local.get(f"/?lang={lang}").text
            key = page.split('name="agent-key" content="', 1)[1].split('"', 1)[0]
            assert '<span data-status="revoked">' in page
            assert words in page
        answer = local.post(
            "/api/agent/id-document",
            json={"document_type": "resident_id_card", "number": PERSON.id_number},
            headers={"x-agent-key": key, "x-csrf-token": local.cookies.get("jc_csrf") or ""},
        )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "DEVICE_REVOKED"
    assert "call the district office" in error["message"]["en"]
    assert "区疫情防控办公室" in error["message"]["zh-CN"]


def test_a_network_down_is_still_offline_not_revoked(client, district, tmp_path):
    agent, transport = make_agent(district, client, tmp_path)
    transport.up = False
    assert agent.sync() is None
    status = agent.status()
    assert status.revoked_since is None
    assert status.last_error == "network down"
    with pytest.raises(InputError) as refused:
        agent.id_document("resident_id_card", PERSON.id_number)
    assert refused.value.code == "SERVER_UNREACHABLE"


# The district root key pinned at enrollment (issue 4) -----------------------------------------
OTHER_ROOT = ec.derive_private_key(20_001, ec.SECP256R1())
OTHER_FINGERPRINT = root_fingerprint(OTHER_ROOT.public_key())


def new_agent(district: District, client: TestClient, folder: Path, pin: str | None) -> Agent:
    _, token = district.server.enroll(ADMIN, district.place_id, "north", "terminal")
    transport = Switchable("http://testserver", token, client=client)
    return Agent(Outbox(folder / "outbox.db"), transport, DeviceSealer(bytes(32)), district.now,
                 root_pin=pin)  # fmt: skip


def test_enrollment_shows_the_fingerprint_the_agent_pins(client, district, tmp_path):
    assert district.server.root_fingerprint() == ROOT_FINGERPRINT
    assert len(ROOT_FINGERPRINT) == 79
    assert ROOT_FINGERPRINT.count(":") == 15
    # The same pin however it is typed, or from the PEM file of the public key.
    pem = district.settings.var_dir / "trust" / "root.pub.pem"
    loose = "sha256:" + ROOT_FINGERPRINT.replace(":", "").lower()
    assert checkpoint_cli.root_pin(loose) == checkpoint_cli.root_pin(str(pem)) == ROOT_FINGERPRINT
    agent, _ = make_agent(district, client, tmp_path)
    assert agent.outbox.get_meta("root_public_key") == pem.read_text()
    assert agent.status().bundle_version == 1
    assert agent.outbox.refusals() == []


def test_no_pin_and_no_state_refuses_before_any_contact(client, district, tmp_path):
    agent = new_agent(district, client, tmp_path, None)
    agent.transport.up = False  # were it contacted, it would be Unreachable instead
    with pytest.raises(TrustListError) as refused:
        agent.start()
    assert refused.value.code == "ROOT_PIN_REQUIRED"
    assert agent.outbox.get_meta("station") is None
    with pytest.raises(InputError):
        agent.scan([[health_code(district)]])


def test_a_wrong_pin_refuses_at_start_and_pins_nothing(client, district, tmp_path):
    agent = new_agent(district, client, tmp_path, OTHER_FINGERPRINT)
    with pytest.raises(TrustListError) as refused:
        agent.start()
    assert refused.value.code == "ROOT_PIN_MISMATCH"
    assert agent.outbox.get_meta("root_public_key") is None
    assert agent.outbox.get_meta("station") is None
    assert [r.code for r in agent.outbox.refusals()] == ["ROOT_PIN_MISMATCH"]
    # A sync later does not pin it either, and uploads nothing.
    assert agent.sync() is None
    assert agent.outbox.get_meta("root_public_key") is None


def test_a_pin_other_than_the_one_in_the_state_is_refused(client, district, tmp_path):
    agent, transport = make_agent(district, client, tmp_path)
    again = Agent(agent.outbox, transport, DeviceSealer(bytes(32)), district.now,
                  root_pin=OTHER_FINGERPRINT)  # fmt: skip
    with pytest.raises(TrustListError) as refused:
        again.start()
    assert refused.value.code == "ROOT_PIN_MISMATCH"


def test_a_server_that_switches_root_key_is_refused_and_recorded(client, district, tmp_path):
    agent, transport = make_agent(district, client, tmp_path)
    var = district.settings.var_dir
    write_root(var, OTHER_ROOT)  # the server now signs, and offers, another root key
    assert district.server.publish() == 2
    before = agent.scan([[health_code(district)]])[0]
    assert agent.sync() is None
    status = agent.status()
    assert (status.online, status.last_error) == (True, "BUNDLE_UNTRUSTED")
    assert (status.bundle_refused, status.bundle_version) == ("BUNDLE_UNTRUSTED", 1)
    assert status.refused_since == district.now()
    # Nothing went to a server whose bundle is refused: the check waits in the outbox.
    assert (status.backlog, stored_checks(district)) == (1, 0)
    assert agent.outbox.get(before.check_id)["bundle_version"] == 1
    district.clock[0] += timedelta(minutes=5)
    agent.sync()
    (spell,) = agent.outbox.refusals()
    assert (spell.code, spell.times, spell.ended_at) == ("BUNDLE_UNTRUSTED", 2, None)
    assert spell.last_at == district.now()
    # It keeps deciding with the last good bundle, and says so on the entrance page.
    during = agent.scan([[health_code(district), vaccination(district)]])[0]
    assert during.outcome == "ADMIT"
    assert agent.outbox.get(during.check_id)["bundle_version"] == 1
    # Nor does an ID number go to that server for a look-up (R14 waits for a trusted server).
    with pytest.raises(InputError) as looked_up:
        agent.id_document("resident_id_card", "11010519491231002X")
    assert looked_up.value.code == "BUNDLE_UNTRUSTED"
    page_client = TestClient(create_agent_app(agent))
    page = page_client.get("/").text
    key = re.search(r'name="agent-key" content="([^"]+)"', page).group(1)
    shown = page_client.get("/api/agent/counts", headers={"x-agent-key": key}).json()["status"]
    assert shown["bundle_refused"] == "BUNDLE_UNTRUSTED"
    assert 'data-status="refused-BUNDLE_UNTRUSTED"' in page
    assert "区根密钥" in page
    # A restart keeps the pinned key and the record, even with no pin given.
    transport.up = False
    again = Agent(agent.outbox, transport, DeviceSealer(bytes(32)), district.now)
    again.start()
    assert again.status().bundle_refused == "BUNDLE_UNTRUSTED"
    assert again.status().bundle_version == 1
    # The district's own key signs again: the bundle is taken, the spell ends, uploads resume.
    transport.up = True
    write_root(var, ROOT)
    assert district.server.publish() == 3
    report = again.sync()
    assert report is not None
    assert report.uploaded == 2
    assert again.status().bundle_version == 3
    assert again.status().bundle_refused == ""
    assert again.outbox.refusals()[0].ended_at == district.now()


def test_the_cli_refuses_to_start_with_exit_code_2(client, district, tmp_path, monkeypatch):
    enrolled, token = district.server.enroll(ADMIN, district.place_id, "north", "terminal")

    class InProcess(HttpTransport):  # the real client, to the app in this process
        def __init__(self, server: str, token: str) -> None:
            super().__init__(server, token, client=client)

    monkeypatch.setattr(agent_transport, "HttpTransport", InProcess)
    runner = CliRunner()
    # The token in the environment, as enrollment prints the command (not in ps).
    monkeypatch.setenv("JOINTCHECK_DEVICE_TOKEN", token)
    base = ["checkpoint", "--server", "http://testserver"]
    data = tmp_path / "agent"
    cases = (
        ([], "ROOT_PIN_REQUIRED"),
        (["--root-key", "3F2A:91C0"], "ROOT_PIN_INVALID"),
        (["--root-key", OTHER_FINGERPRINT], "ROOT_PIN_MISMATCH"),
    )
    for extra, code in cases:
        result = runner.invoke(cli_app, [*base, *extra, "--data", str(data)])
        assert result.exit_code == 2, result.output
        assert f"{code}: " in result.output
        zh, en = trust_message(code)
        assert zh in result.output
        assert en in result.output
    # Nothing was pinned by the refused starts.
    assert Outbox(data / "outbox.db").get_meta("root_public_key") is None
    # A revoked terminal's first start says so, not that the server cannot be reached.
    assert district.server.revoke(ADMIN, enrolled.id)
    result = runner.invoke(
        cli_app, [*base, "--root-key", ROOT_FINGERPRINT, "--data", str(tmp_path / "revoked")]
    )
    assert result.exit_code == 2, result.output
    assert "DEVICE_REVOKED: 服务器拒绝了此令牌" in result.output
    assert "DEVICE_REVOKED: The server refused this token" in result.output
    assert "cannot reach" not in result.output


def test_the_agents_entrance_page_names_the_place_and_the_entrance(client, district, tmp_path):
    """The header shows the place as staff know it (its name), not its id."""
    from jointcheck.api.agent_app import create_agent_app

    agent, _ = make_agent(district, client, tmp_path)
    with TestClient(create_agent_app(agent, sync_interval=3600)) as local:
        page = local.get("/")
    assert page.status_code == 200
    header = page.text.split('data-testid="station">', 1)[1].split("</p>", 1)[0]
    assert "百货大楼" in header
    assert "north" in header
    assert f"场所 {district.place_id} " not in header
