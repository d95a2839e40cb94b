"""``jointcheck keys rotate-root`` on a deployment left as it should not be: a chain it cannot
extend said with the catalog's messages, and a rotation interrupted between its moves."""

from __future__ import annotations

import json

from checkpoint_factories import ROOT, ROOT_FINGERPRINT
from cryptography.hazmat.primitives.asymmetric import ec
from test_checkpoint_rotation import deployment
from typer.testing import CliRunner

from jointcheck.checkpoint.bundle import root_fingerprint
from jointcheck.checkpoint.rotation import endorse
from jointcheck.cli.main import app as cli_app
from jointcheck.credentials.keyfiles import read_public_key
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
