"""Rotating the district root key (issue 4) against a real server app: ``jointcheck keys
rotate-root``, the server's next bundle, and an enrolled agent that follows the endorsements
and keeps deciding, or refuses a forged rotation."""

from __future__ import annotations

import json
import re
import stat

import pytest
from checkpoint_factories import (
    ADMIN,
    ROOT,
    ROOT_FINGERPRINT,
    District,
    enroll,
    health_code,
    vaccination,
    write_root,
)
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from test_checkpoint_agent import Switchable, make_agent, stored_checks
from typer.testing import CliRunner

from jointcheck.api.agent_app import create_agent_app
from jointcheck.checkpoint.agent import Agent
from jointcheck.checkpoint.bundle import Bundle, accept_bundle, root_fingerprint, sign_bundle
from jointcheck.checkpoint.outbox import Outbox
from jointcheck.checkpoint.reasons import trust_message
from jointcheck.checkpoint.rotation import endorse
from jointcheck.checkpoint.sealing import DeviceSealer
from jointcheck.cli.main import app as cli_app
from jointcheck.cli.root_key import REFUSALS
from jointcheck.credentials.keyfiles import public_pem, read_public_key
from jointcheck.errors import ConfigError, StoreError, TrustListError
from jointcheck.store.checkpoint_models import BundleRow
from jointcheck.store.models import AuditRow

ATTACKER = ec.derive_private_key(40_001, ec.SECP256R1())
FINGERPRINT = re.compile(r"(?:[0-9A-F]{4}:){15}[0-9A-F]{4}")


def deployment(district: District, monkeypatch: pytest.MonkeyPatch) -> None:
    """The district's settings in the environment, as the office's shell has them."""
    settings = district.settings
    monkeypatch.setenv("JOINTCHECK_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("JOINTCHECK_DATABASE_URL", settings.effective_database_url)
    for name in ("pii_key", "lookup_key", "session_secret"):
        monkeypatch.setenv(f"JOINTCHECK_{name.upper()}", getattr(settings, name))


def rotate(district: District, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, str]:
    """``jointcheck keys rotate-root`` on the district's files: (output, old, new)."""
    deployment(district, monkeypatch)
    result = CliRunner().invoke(cli_app, ["keys", "rotate-root"])
    assert result.exit_code == 0, result.output
    old, new = FINGERPRINT.findall(result.output)[:2]
    return result.output, old, new


def test_an_agent_follows_a_rotation_and_keeps_deciding(client, district, tmp_path, monkeypatch):
    agent, transport = make_agent(district, client, tmp_path)
    transport.up = False
    offline = agent.scan([[health_code(district)]])[0]
    output, old, new = rotate(district, monkeypatch)
    assert old == ROOT_FINGERPRINT
    assert new != old
    assert "--root-key " + new in output
    # The old key is kept, retired, readable by its owner only.
    (retired,) = (district.settings.var_dir / "secrets" / "retired").glob("root-*.key.pem")
    assert stat.S_IMODE(retired.stat().st_mode) == 0o600
    assert district.server.root_fingerprint() == new  # what enrollment shows from now on
    with district.registry.uow() as uow:
        rows = uow.session.execute(
            select(AuditRow.admin_code, AuditRow.actor_username, AuditRow.detail).where(
                AuditRow.action == "root_key.rotate"
            )
        ).all()
    ((admin_code, actor, detail),) = rows
    assert (admin_code, actor) == ("370704", "cli:district-office")
    assert (json.loads(detail)["previous"], json.loads(detail)["next"]) == (old, new)
    transport.up = True
    report = agent.sync()
    assert report is not None
    assert report.uploaded == 1  # the check made before the rotation reached the server
    status = agent.status()
    assert (status.bundle_version, status.bundle_refused, status.last_error) == (2, "", "")
    assert root_fingerprint(agent._root()) == new
    (rotation,) = agent.outbox.rotations()
    assert (rotation.previous, rotation.next, rotation.at) == (old, new, district.now())
    # It keeps deciding with the new key's bundle, whose trust list the new key signed.
    after = agent.scan([[health_code(district), vaccination(district)]])[0]
    assert after.outcome == "ADMIT"
    assert agent.outbox.get(after.check_id)["bundle_version"] == 2
    assert agent.outbox.get(offline.check_id)["bundle_version"] == 1
    assert agent.sync().uploaded == 1
    assert stored_checks(district) == 2
    # The entrance page says once that the key was rotated.
    page_client = TestClient(create_agent_app(agent))
    page = page_client.get("/").text
    assert 'data-testid="rotation-notice"' in page
    assert "区根密钥已更换" in page
    key = re.search(r'name="agent-key" content="([^"]+)"', page).group(1)
    first = page_client.get("/api/agent/counts", headers={"x-agent-key": key}).json()
    assert first["root_rotated"]["previous"] == old
    assert first["root_rotated"]["next"] == new
    again = page_client.get("/api/agent/counts", headers={"x-agent-key": key}).json()
    assert again["root_rotated"] is None
    # The command line from enrollment, with the old fingerprint, still starts it.
    restarted = Agent(agent.outbox, transport, DeviceSealer(bytes(32)), district.now,
                      root_pin=ROOT_FINGERPRINT)  # fmt: skip
    restarted.start()
    assert restarted.status().bundle_version == 2


def test_an_agent_off_through_two_rotations_follows_both(client, district, tmp_path, monkeypatch):
    agent, _ = make_agent(district, client, tmp_path)
    _, first, middle = rotate(district, monkeypatch)
    assert district.server.bundle_document().version == 2  # published by the middle key
    _, again, last = rotate(district, monkeypatch)
    assert again == middle
    chain = json.loads((district.settings.var_dir / "trust" / "root-endorsements.json").read_text())
    assert [link["body"]["next"] for link in chain] == [middle, last]
    assert agent.sync() is not None
    assert [(r.previous, r.next) for r in agent.outbox.rotations()] == [
        (first, middle),
        (middle, last),
    ]
    assert agent.status().bundle_version == 3
    assert agent.scan([[health_code(district)]])[0].outcome == "PERSUADE"
    # A terminal enrolled now, but started with the first key's fingerprint from an old
    # printout, is accepted through the chain (not ROOT_PIN_MISMATCH).
    _, token = district.server.enroll(ADMIN, district.place_id, "south", "late")
    late = Agent(Outbox(tmp_path / "late.db"), Switchable("http://testserver", token, client=client),
                 DeviceSealer(bytes(32)), district.now, root_pin=first)  # fmt: skip
    late.start()
    assert root_fingerprint(late._root()) == last
    assert len(late.outbox.rotations()) == 2
    assert late.sync() is not None
    assert late.status().bundle_version == 3


def forged_bundle(district: District, chain: list[dict]) -> bytes:
    """The server's bundle, signed again by the attacker's key with CHAIN."""
    real = district.server.bundle_document().document
    bundle: Bundle = accept_bundle(real, read_public_key(district.server.source.root_public), None)
    newer = Bundle(**{f: getattr(bundle, f) for f in Bundle.__slots__} | {"version": 9})
    return sign_bundle(newer, ATTACKER, chain)


class Forging(Switchable):
    document = b""

    def fetch_bundle(self) -> bytes:
        return self.document


def test_a_forged_rotation_is_refused(client, district, tmp_path):
    _, token = district.server.enroll(ADMIN, district.place_id, "north", "terminal")
    transport = Forging("http://testserver", token, client=client)
    agent = Agent(Outbox(tmp_path / "outbox.db"), transport, DeviceSealer(bytes(32)),
                  district.now, root_pin=ROOT_FINGERPRINT)  # fmt: skip
    agent.start()
    transport.document = district.server.bundle_document().document
    assert agent.sync() is not None
    pinned = agent.outbox.get_meta("root_public_key")
    made = agent.scan([[health_code(district)]])[0]
    # "ATTACKER succeeds ROOT", signed by the attacker itself, and a self-endorsement.
    body = endorse(ROOT, ATTACKER.public_key(), district.now())["body"]
    claimed = {**endorse(ATTACKER, ATTACKER.public_key(), district.now()), "body": body}
    for chain, detail in (([claimed], "ROOT_CHAIN_BROKEN"), ([], "no endorsement")):
        transport.document = forged_bundle(district, chain)
        assert agent.sync() is None
        status = agent.status()
        assert (status.bundle_refused, status.bundle_version) == ("BUNDLE_UNTRUSTED", 1)
        assert detail in agent.outbox.open_refusal().detail
    assert agent.outbox.get_meta("root_public_key") == pinned
    assert agent.outbox.rotations() == []
    assert (agent.status().backlog, stored_checks(district)) == (1, 0)
    assert agent.outbox.get(made.check_id)["bundle_version"] == 1


def test_a_new_agent_refuses_a_forged_chain_at_first_contact(client, district, tmp_path):
    var = district.settings.var_dir
    write_root(var, ATTACKER)  # a server that offers the attacker's key with a forged chain
    body = endorse(ROOT, ATTACKER.public_key(), district.now())["body"]
    claimed = {**endorse(ATTACKER, ATTACKER.public_key(), district.now()), "body": body}
    (var / "trust" / "root-endorsements.json").write_text(json.dumps([claimed]))
    _, token = district.server.enroll(ADMIN, district.place_id, "north", "terminal")
    agent = Agent(Outbox(tmp_path / "outbox.db"), Switchable("http://testserver", token,
                  client=client), DeviceSealer(bytes(32)), district.now,
                  root_pin=ROOT_FINGERPRINT)  # fmt: skip
    with pytest.raises(TrustListError) as refused:
        agent.start()
    assert refused.value.code == "ROOT_CHAIN_BROKEN"
    assert agent.outbox.get_meta("root_public_key") is None
    assert [r.code for r in agent.outbox.refusals()] == ["ROOT_CHAIN_BROKEN"]
    # Nor does the server publish with a chain that does not verify.
    with pytest.raises(ConfigError) as publishing:
        district.server.publish()
    assert publishing.value.code == "ROOT_CHAIN_BROKEN"


def test_rotate_root_refuses_without_a_root_key(tmp_path, monkeypatch):
    monkeypatch.setenv("JOINTCHECK_VAR_DIR", str(tmp_path / "var"))
    result = CliRunner().invoke(cli_app, ["keys", "rotate-root"])
    assert result.exit_code == 2
    _, zh, en = REFUSALS["ROOT_KEY_MISSING"]
    assert f"ROOT_KEY_MISSING: {zh}" in result.output
    assert f"ROOT_KEY_MISSING: {en}" in result.output
    assert not (tmp_path / "var" / "secrets").exists()


def test_rotate_root_refuses_a_chain_that_does_not_end_at_the_key_in_use(district, monkeypatch):
    var = district.settings.var_dir
    other = ec.derive_private_key(40_002, ec.SECP256R1())
    chain = [endorse(other, ATTACKER.public_key(), district.now())]
    (var / "trust" / "root-endorsements.json").write_text(json.dumps(chain))
    deployment(district, monkeypatch)
    result = CliRunner().invoke(cli_app, ["keys", "rotate-root"])
    assert result.exit_code == 2
    _, zh, en = REFUSALS["ROOT_CHAIN_BROKEN"]
    assert zh in result.output
    assert en in result.output
    assert root_fingerprint(read_public_key(var / "trust" / "root.pub.pem")) == ROOT_FINGERPRINT
    assert trust_message("ROOT_CHAIN_BROKEN")[1].startswith("The district root key's")


def test_rotate_root_refuses_when_the_audit_log_cannot_be_written(district, monkeypatch):
    deployment(district, monkeypatch)
    monkeypatch.setenv("JOINTCHECK_DATABASE_URL", "sqlite:////nonexistent/folder/jointcheck.db")
    result = CliRunner().invoke(cli_app, ["keys", "rotate-root"])
    assert result.exit_code == 1
    assert "NOT_READY: " + REFUSALS["NOT_READY"][2] in result.output
    var = district.settings.var_dir
    assert root_fingerprint(read_public_key(var / "trust" / "root.pub.pem")) == ROOT_FINGERPRINT
    assert not (var / "secrets" / "retired").exists()


def test_rotate_root_says_so_when_the_audit_entry_fails_after_the_rotation(district, monkeypatch):
    # The database answered the check, then failed the write: the keys are rotated (the files
    # moved), and the command says both, with a code, instead of ending in a traceback.
    def failing(*_args: object) -> None:
        raise StoreError("database gone", code="STORE_UNAVAILABLE")

    monkeypatch.setattr("jointcheck.store.repositories.SqlAuditLog.add", failing)
    deployment(district, monkeypatch)
    result = CliRunner().invoke(cli_app, ["keys", "rotate-root"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    _, zh, en = REFUSALS["ROTATED_NOT_AUDITED"]
    assert f"ROTATED_NOT_AUDITED: {zh}" in result.output
    assert f"ROTATED_NOT_AUDITED: {en}" in result.output
    assert "STORE_UNAVAILABLE" in result.output
    old, new = FINGERPRINT.findall(result.output)[:2]
    var = district.settings.var_dir
    assert root_fingerprint(read_public_key(var / "trust" / "root.pub.pem")) == new != old


def test_the_server_publishes_nothing_with_keys_that_do_not_match(client, district):
    _, headers = enroll(district)
    assert client.get("/api/checkpoint/bundle", headers=headers).status_code == 200
    var = district.settings.var_dir
    # The public key offered to terminals is not the private key's: no bundle, every time.
    (var / "trust" / "root.pub.pem").write_bytes(public_pem(ATTACKER.public_key()))
    for _ in range(2):
        answer = client.get("/api/checkpoint/bundle", headers=headers)
        assert answer.status_code == 503
        assert answer.json()["error"]["code"] == "ROOT_KEY_MISMATCH"
        assert "根公钥文件与根私钥不符" in answer.json()["error"]["message"]["zh-CN"]
    write_root(var, ROOT)
    # Nor with endorsements that do not verify.
    chain = [endorse(ATTACKER, ROOT.public_key(), district.now())]
    chain[0]["body"]["since"] = "not a time"
    (var / "trust" / "root-endorsements.json").write_text(json.dumps(chain))
    write_root(var, ATTACKER)
    answer = client.get("/api/checkpoint/bundle", headers=headers)
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "ROOT_CHAIN_BROKEN"
    assert answer.json()["error"]["message"]["en"].startswith("The server's root key endorsements")
    with district.registry.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(BundleRow)) == 1
