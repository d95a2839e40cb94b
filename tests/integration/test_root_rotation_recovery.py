"""``jointcheck keys rotate-root`` on a deployment left as it should not be: a chain it cannot
extend said with the catalog's messages, and a rotation interrupted between its moves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from checkpoint_factories import ROOT, ROOT_FINGERPRINT, enroll
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from test_checkpoint_rotation import FINGERPRINT, deployment
from typer.testing import CliRunner

from jointcheck.checkpoint.bundle import root_fingerprint
from jointcheck.checkpoint.rotation import endorse
from jointcheck.cli.main import app as cli_app
from jointcheck.cli.root_key import REFUSALS
from jointcheck.credentials.keyfiles import read_public_key, read_signing_key, write_signing_key
from jointcheck.credentials.trust import signed_payload
from jointcheck.store.models import AuditRow
from jointcheck.web.i18n import catalog

OTHER = ec.derive_private_key(40_003, ec.SECP256R1())


def test_rotate_root_says_a_loop_in_the_chain_in_zh_cn_and_en(district, monkeypatch):
    # ROOT -> OTHER -> ROOT: the chain ends at the key in use, through a key met twice.
    var = district.settings.var_dir
    now = district.now()
    chain = [endorse(ROOT, OTHER.public_key(), now), endorse(OTHER, ROOT.public_key(), now)]
    (var / "trust" / "root-endorsements.json").write_text(json.dumps(chain))
    deployment(district, monkeypatch)
    result = CliRunner().invoke(cli_app, ["keys", "rotate-root"])
    assert result.exit_code == 2
    assert "error [ROOT_CHAIN_LOOP]: " in result.output
    messages = catalog()["error.ROOT_CHAIN_LOOP"]
    assert f"  {messages['zh-CN']}" in result.output
    assert f"  {messages['en']}" in result.output
    assert "restore var/trust/root-endorsements.json from a backup" in result.output
    assert root_fingerprint(read_public_key(var / "trust" / "root.pub.pem")) == ROOT_FINGERPRINT


class Crash(Exception):  # noqa: N818 - the process dying, as a test stands it in
    """The process stopped between two of rotate-root's moves."""


def crash_after(moves: int, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Path.replace of a staged file (.name...) stops the process after MOVES of them; the
    switch returned turns the crash off (the process started again)."""
    armed, done, real = [True], [0], Path.replace

    def replace(self: Path, target: Path | str) -> Path:
        if armed[0] and self.name.startswith("."):
            if done[0] == moves:
                raise Crash(f"stopped before moving {self.name}")
            done[0] += 1
        return real(self, target)

    monkeypatch.setattr(Path, "replace", replace)
    return armed


def staged(var: Path) -> list[str]:
    return sorted(p.name for folder in ("secrets", "trust") for p in (var / folder).glob(".*"))


# rotate-root's moves with the district's files: the endorsements, the trust list, the root
# public key, then the private key's public file and the private key.
@pytest.mark.parametrize("moves", range(5))
def test_rotate_root_finishes_a_rotation_stopped_after_each_move(
    client, district, monkeypatch, moves
):
    _, headers = enroll(district)
    var = district.settings.var_dir
    deployment(district, monkeypatch)
    armed = crash_after(moves, monkeypatch)
    stopped = CliRunner().invoke(cli_app, ["keys", "rotate-root"])
    assert isinstance(stopped.exception, Crash)
    armed[0] = False
    new = root_fingerprint(read_signing_key(var / "secrets" / ".root.key.pem.next").public_key())
    if moves:  # the chain in place ends at the new key: the server publishes nothing
        assert client.get("/api/checkpoint/bundle", headers=headers).status_code == 503
    again = CliRunner().invoke(cli_app, ["keys", "rotate-root"])
    assert again.exit_code == 0, again.output
    assert FINGERPRINT.findall(again.output)[:2][0] == ROOT_FINGERPRINT
    if moves:
        assert "was finished with its staged key" in again.output
        assert FINGERPRINT.findall(again.output)[1] == new
    else:  # nothing moved: a rotation of its own, as if the first had not run
        assert "was finished" not in again.output
    after = FINGERPRINT.findall(again.output)[1]
    key = read_signing_key(var / "secrets" / "root.key.pem").public_key()
    assert root_fingerprint(key) == after
    assert root_fingerprint(read_public_key(var / "trust" / "root.pub.pem")) == after
    assert read_public_key(var / "secrets" / "root.key.pub.pem") == key
    assert signed_payload((var / "trust" / "trust-list.json").read_bytes(), key)
    assert staged(var) == []
    answer = client.get("/api/checkpoint/bundle", headers=headers)
    assert answer.status_code == 200, answer.text
    with district.registry.uow() as uow:
        details = uow.session.scalars(
            select(AuditRow.detail).where(AuditRow.action == "root_key.rotate")
        ).all()
    ((detail),) = details
    assert json.loads(detail)["next"] == after
    assert json.loads(detail)["resumed"] is bool(moves)
    assert len(list((var / "secrets" / "retired").glob("root-*.key.pem"))) >= 1


def test_rotate_root_refuses_a_staged_key_the_moved_files_do_not_name(district, monkeypatch):
    var = district.settings.var_dir
    deployment(district, monkeypatch)
    armed = crash_after(2, monkeypatch)
    assert isinstance(CliRunner().invoke(cli_app, ["keys", "rotate-root"]).exception, Crash)
    armed[0] = False
    substitute = var / "secrets" / ".root.key.pem.next"
    substitute.unlink()
    write_signing_key(substitute, OTHER)  # not the key the moved chain ends at
    before = {p: p.read_bytes() for p in (var / "trust").iterdir()}
    result = CliRunner().invoke(cli_app, ["keys", "rotate-root"])
    assert result.exit_code == 2
    _, zh, en = REFUSALS["ROTATION_UNFINISHED"]
    assert f"ROTATION_UNFINISHED: {zh}" in result.output
    assert f"ROTATION_UNFINISHED: {en}" in result.output
    assert "var/secrets/retired" in en
    key = read_signing_key(var / "secrets" / "root.key.pem").public_key()
    assert root_fingerprint(key) == ROOT_FINGERPRINT  # still the key in use
    assert {p: p.read_bytes() for p in (var / "trust").iterdir()} == before
