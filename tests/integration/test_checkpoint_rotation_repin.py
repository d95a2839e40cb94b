"""An agent whose stored state pins the old district root key, started with the fingerprint of
the key the district rotated to (a re-enrollment's, or the district office's): it re-pins when
the server's endorsements lead there, and refuses a key they do not reach (issue 4)."""

from __future__ import annotations

import pytest
from checkpoint_factories import ROOT_FINGERPRINT, District, health_code
from test_checkpoint_agent import Switchable, make_agent, stored_checks
from test_checkpoint_rotation import ATTACKER, rotate

from jointcheck.checkpoint.agent import Agent
from jointcheck.checkpoint.bundle import root_fingerprint
from jointcheck.checkpoint.sealing import DeviceSealer
from jointcheck.errors import TrustListError


def restarted(agent: Agent, transport: Switchable, district: District, pin: str) -> Agent:
    """The same terminal (outbox, token) started again with --root-key PIN."""
    return Agent(agent.outbox, transport, DeviceSealer(bytes(32)), district.now, root_pin=pin)


def test_an_agent_started_with_the_new_key_follows_the_rotation(
    client, district, tmp_path, monkeypatch
):
    agent, transport = make_agent(district, client, tmp_path)
    transport.up = False
    offline = agent.scan([[health_code(district)]])[0]
    _, old, new = rotate(district, monkeypatch)  # the terminal was off: it pins OLD still
    transport.up = True
    again = restarted(agent, transport, district, new)
    again.start()  # not ROOT_PIN_MISMATCH
    assert root_fingerprint(again._root()) == new
    assert [(r.previous, r.next) for r in again.outbox.rotations()] == [(old, new)]
    assert again.status().bundle_version == 2  # the new key's bundle, taken at the start
    assert again.scan([[health_code(district)]])[0].outcome == "PERSUADE"
    report = again.sync()
    assert report is not None
    assert report.uploaded == 2  # the check made before the rotation too
    assert again.outbox.get(offline.check_id)["bundle_version"] == 1
    assert stored_checks(district) == 2
    # From now on both fingerprints start it, even offline.
    transport.up = False
    for pin in (new, old):
        later = restarted(agent, transport, district, pin)
        later.start()
        assert root_fingerprint(later._root()) == new


def test_a_key_the_endorsements_pass_through_is_accepted(client, district, tmp_path, monkeypatch):
    agent, transport = make_agent(district, client, tmp_path)
    _, first, middle = rotate(district, monkeypatch)
    _, _, last = rotate(district, monkeypatch)
    again = restarted(agent, transport, district, middle)
    again.start()
    # Re-pinned as a sync would: to the key that signs the bundle now, through MIDDLE.
    assert root_fingerprint(again._root()) == last
    assert [(r.previous, r.next) for r in again.outbox.rotations()] == [
        (first, middle),
        (middle, last),
    ]


def test_a_key_the_endorsements_do_not_reach_is_still_refused(
    client, district, tmp_path, monkeypatch
):
    agent, transport = make_agent(district, client, tmp_path)
    rotate(district, monkeypatch)
    stranger = root_fingerprint(ATTACKER.public_key())
    with pytest.raises(TrustListError) as refused:
        restarted(agent, transport, district, stranger).start()
    assert refused.value.code == "ROOT_PIN_MISMATCH"
    # Nothing re-pinned: the old key, no rotation, the old bundle.
    assert root_fingerprint(agent._root()) == ROOT_FINGERPRINT
    assert agent.outbox.rotations() == []
    kept = restarted(agent, transport, district, ROOT_FINGERPRINT)
    kept.start()
    assert kept.status().bundle_version == 1


def test_without_the_server_the_new_key_cannot_be_checked(client, district, tmp_path, monkeypatch):
    agent, transport = make_agent(district, client, tmp_path)
    _, _, new = rotate(district, monkeypatch)
    transport.up = False
    with pytest.raises(TrustListError) as refused:
        restarted(agent, transport, district, new).start()
    assert refused.value.code == "ROOT_PIN_MISMATCH"
    assert "cannot be reached" in str(refused.value)
    assert root_fingerprint(agent._root()) == ROOT_FINGERPRINT
