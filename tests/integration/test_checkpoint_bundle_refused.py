"""Checks an agent decided while it refused its server's bundle (issue 4), on SQLite and
PostgreSQL: each carries the refusal's code in the outbox, the upload and the server's store
(``check_events.bundle_refused``), by the plain INSERT of a few checks and by the bulk COPY of
many; the entrance page says the decisions are made with the last good bundle."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from checkpoint_factories import ROOT, District, health_code, vaccination, write_root
from fastapi.testclient import TestClient
from test_checkpoint_agent import OTHER_ROOT, make_agent

from jointcheck.api.agent_app import create_agent_app
from jointcheck.checkpoint.agent import Agent
from jointcheck.checkpoint.model import CheckRecord
from jointcheck.checkpoint.reasons import TrustReason, trust_message
from jointcheck.store.checkpoint_ingest import FEW
from jointcheck.store.checkpoint_repository import SqlCheckpoint


def _stored(district: District, check_id: str) -> CheckRecord:
    with district.registry.uow() as uow:
        record = SqlCheckpoint(uow.session).get_check("370704001", check_id)
    assert record is not None
    return record


def _admit(agent: Agent, district: District) -> str:
    return agent.scan([[health_code(district), vaccination(district)]])[0].check_id


@pytest.mark.parametrize("during", [1, FEW + 5], ids=["insert", "copy"])
def test_checks_made_while_the_bundle_is_refused_say_so_at_the_server(
    client, district, tmp_path, during
):
    agent, _ = make_agent(district, client, tmp_path)
    before = _admit(agent, district)
    write_root(district.settings.var_dir, OTHER_ROOT)  # the server signs with another key
    district.server.publish()
    assert agent.sync() is None
    district.clock[0] += timedelta(minutes=1)
    refused = [_admit(agent, district) for _ in range(during)]
    body = agent.outbox.get(refused[0]) or {}
    assert body["bundle_refused"] == "BUNDLE_UNTRUSTED"
    assert body["bundle_version"] == 1  # the last good bundle
    # The district's key again: the refusal ends, the waiting checks go up as they were made.
    write_root(district.settings.var_dir, ROOT)
    district.server.publish()
    report = agent.sync()
    assert report is not None
    assert report.refused == 0
    after = _admit(agent, district)
    assert agent.sync() is not None
    assert _stored(district, before).bundle_refused is None
    for check_id in refused:
        assert _stored(district, check_id).bundle_refused == "BUNDLE_UNTRUSTED"
    assert _stored(district, after).bundle_refused is None


def test_a_registration_during_a_refusal_is_marked_too(client, district, tmp_path):
    from test_checkpoint_agent import PERSON

    agent, _ = make_agent(district, client, tmp_path)
    write_root(district.settings.var_dir, OTHER_ROOT)
    district.server.publish()
    agent.sync()
    persuaded = agent.scan([[health_code(district)]])[0]
    registered = agent.register(persuaded.check_id, PERSON)
    assert (agent.outbox.get(registered.check_id) or {})["bundle_refused"] == "BUNDLE_UNTRUSTED"


@pytest.mark.parametrize("code", [TrustReason.BUNDLE_UNTRUSTED, TrustReason.BUNDLE_FORGED])
def test_the_entrance_page_says_decisions_use_the_last_good_bundle(
    client, district, tmp_path, code
):
    agent, _ = make_agent(district, client, tmp_path)
    agent.outbox.record_refusal(district.now(), code, "offered by the server")
    local = TestClient(create_agent_app(agent, sync_interval=3600))
    zh_page = local.get("/?lang=zh-CN").text
    en_page = local.get("/?lang=en").text
    key = re.search(r'name="agent-key" content="([^"]+)"', en_page).group(1)
    shown = local.get("/api/agent/counts", headers={"x-agent-key": key}).json()["status"]
    assert shown["bundle_refused"] == code
    # The line the page shows for this refusal, in each language.
    assert "仍按上一个有效信任包判定" in _status_word(zh_page, code)
    assert "still deciding with the last good bundle" in _status_word(en_page, code)
    zh, en = trust_message(code)
    assert "上一个有效信任包" in zh
    assert "last good bundle" in en


def _status_word(page: str, code: str) -> str:
    found = re.search(rf'data-status="refused-{code}">([^<]+)<', page)
    assert found is not None
    return found.group(1)
