"""Events the server refused, as staff and the district office see them (issue 4): the
entrance page and its status JSON say how many and why, in zh-CN and en, and what to do;
``jointcheck checkpoint outbox`` lists them by id, kind and code, with nothing personal."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from checkpoint_factories import health_code, vaccination
from fastapi.testclient import TestClient
from test_checkpoint_agent import PERSON, make_agent
from typer.testing import CliRunner

from jointcheck.api.agent_app import create_agent_app
from jointcheck.checkpoint.agent import Agent
from jointcheck.checkpoint.model import CheckRecord
from jointcheck.checkpoint.reasons import REFUSAL_MESSAGES, BatchRefusal, refusal_message
from jointcheck.cli.main import app as cli_app


def _refused_twice(agent: Agent, district) -> tuple[str, str, str]:
    """A check made in another device's name and a registration of a check not made here:
    the server refuses both (DEVICE_MISMATCH, CHECK_MISMATCH); a good check goes through."""
    good = agent.scan([[health_code(district), vaccination(district)]])[0]
    stored = CheckRecord.from_dict(agent.outbox.get(good.check_id) or {})
    forged = dataclasses.replace(
        stored, id="00000000-0000-4000-8000-000000000001", device_id="another-device"
    )
    agent.outbox.append([forged])
    persuaded = agent.scan([[health_code(district)]])[0]
    assert persuaded.outcome == "PERSUADE"
    agent.register(persuaded.check_id, PERSON)
    # The registration now names a check this device never made at its place.
    registration = next(p for p in agent.outbox.pending(100) if p.kind == "registration")
    body = dict(registration.body, check_id="00000000-0000-4000-8000-000000000002")
    # The body as a tampered terminal would hold it.
    agent.outbox._db.execute(
        "UPDATE event SET body = ? WHERE id = ?", (json.dumps(body), registration.id)
    )
    report = agent.sync()
    assert report is not None
    return forged.id, registration.id, good.check_id


def _page_and_status(agent: Agent) -> tuple[str, dict]:
    local = TestClient(create_agent_app(agent, sync_interval=3600))
    page = local.get("/").text
    key = re.search(r'name="agent-key" content="([^"]+)"', page).group(1)
    counts = local.get("/api/agent/counts", headers={"x-agent-key": key}).json()
    return page, counts["status"]


def test_the_entrance_page_shows_what_the_server_refused(client, district, tmp_path):
    agent, _ = make_agent(district, client, tmp_path)
    page, status = _page_and_status(agent)
    assert status["refused_events"]["count"] == 0
    assert 'data-testid="refused-events"' in page
    _refused_twice(agent, district)
    page, status = _page_and_status(agent)
    refused = status["refused_events"]
    assert refused["count"] == 2
    assert refused["device_id"] == agent.station.device_id
    by_code = {c["code"]: c for c in refused["codes"]}
    assert set(by_code) == {"DEVICE_MISMATCH", "CHECK_MISMATCH"}
    zh, en = REFUSAL_MESSAGES[BatchRefusal.CHECK_MISMATCH]
    assert (by_code["CHECK_MISMATCH"]["message_zh"], by_code["CHECK_MISMATCH"]["message_en"]) == (
        zh,
        en,
    )
    assert by_code["DEVICE_MISMATCH"]["count"] == 1
    # What staff should do, in the page's language (the page fills in the device id).
    assert "区疫情防控办公室" in page
    assert "{device}" in page
    english = TestClient(create_agent_app(agent, sync_interval=3600))
    assert "Call the district office" in english.get("/?lang=en").text


def test_the_cli_lists_refused_events_without_personal_data(client, district, tmp_path):
    agent, _ = make_agent(district, client, tmp_path)
    forged, registration, good = _refused_twice(agent, district)
    runner = CliRunner()
    text = runner.invoke(cli_app, ["checkpoint", "outbox", "--data", str(tmp_path)])
    assert text.exit_code == 0, text.output
    assert "pending=0 sent=3 refused=2" in text.output
    assert f"{forged}  DEVICE_MISMATCH" in text.output
    assert f"{registration}  CHECK_MISMATCH" in text.output
    assert refusal_message("CHECK_MISMATCH")[1] in text.output
    assert good not in text.output
    as_json = runner.invoke(cli_app, ["checkpoint", "outbox", "--data", str(tmp_path), "--json"])
    assert as_json.exit_code == 0, as_json.output
    listed = json.loads(as_json.output)
    assert (listed["pending"], listed["sent"], listed["refused"]) == (0, 3, 2)
    events = {e["id"]: e for e in listed["refused_events"]}
    assert events[registration]["kind"] == "registration"
    assert events[registration]["code"] == "CHECK_MISMATCH"
    assert set(events[forged]) == {"id", "kind", "code", "at"}
    for output in (text.output, as_json.output):
        for personal in (PERSON.name, PERSON.id_number, PERSON.phone, PERSON.purpose):
            assert personal not in output


def test_the_cli_says_when_there_is_no_outbox(tmp_path: Path):
    result = CliRunner().invoke(cli_app, ["checkpoint", "outbox", "--data", str(tmp_path)])
    assert result.exit_code == 2
    # House rule 2: the code with its zh-CN and en messages.
    assert "OUTBOX_MISSING: 该文件夹中没有入口代理的待传记录库" in result.output
    assert "OUTBOX_MISSING: No entrance agent outbox in this folder" in result.output
    assert not (tmp_path / "outbox.db").exists()


def test_running_the_agent_needs_a_server_and_a_token(tmp_path: Path):
    result = CliRunner().invoke(cli_app, ["checkpoint", "--data", str(tmp_path)], env={})
    assert result.exit_code == 2
    assert "AGENT_SERVER_MISSING: 运行入口代理须给出 --server" in result.output
    assert "AGENT_SERVER_MISSING: Running the entrance agent needs --server" in result.output
    assert "JOINTCHECK_DEVICE_TOKEN" in result.output


def test_the_agents_help_prefers_the_token_in_the_environment():
    result = CliRunner().invoke(cli_app, ["checkpoint", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "--token" in text
    assert "Prefer the JOINTCHECK_DEVICE_TOKEN environment variable" in text
    assert "visible to every user of the machine in ps" in text
