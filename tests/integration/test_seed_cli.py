"""The commands a newcomer runs: `jointcheck db upgrade|current` and `jointcheck demo seed`."""

from __future__ import annotations

import shutil
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from jointcheck.api.checkpoint_service import CheckpointServer
from jointcheck.api.uvicorn_options import uvicorn_options
from jointcheck.cli import demo as demo_cli
from jointcheck.cli.main import app
from jointcheck.store.migrate import head_revisions


def test_db_upgrade_then_current_reports_the_newest_revision(tmp_path, monkeypatch):
    monkeypatch.setenv("JOINTCHECK_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("JOINTCHECK_DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(app, ["db", "current"]).exit_code == 1  # empty: upgrade needed
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    current = runner.invoke(app, ["db", "current"])
    assert current.exit_code == 0, current.output
    assert all(revision in current.output for revision in head_revisions())
    assert "upgrade needed" not in current.output


def test_demo_seed_creates_keys_migrates_and_seeds_once(tmp_path, monkeypatch):
    var = tmp_path / "var"
    monkeypatch.setenv("JOINTCHECK_VAR_DIR", str(var))
    monkeypatch.delenv("JOINTCHECK_DATABASE_URL", raising=False)
    for name in ("PII_KEY", "LOOKUP_KEY", "SESSION_SECRET"):
        monkeypatch.delenv(f"JOINTCHECK_{name}", raising=False)
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "seed", "--residents", "60", "--places", "20"])
    assert first.exit_code == 0, first.output
    assert "60 residents" in first.output
    assert sorted(p.name for p in (var / "secrets").iterdir()) == [
        "lookup_key",
        "pii_key",
        "session_secret",
    ]
    second = runner.invoke(app, ["demo", "seed", "--residents", "60", "--places", "20"])
    assert second.exit_code == 0, second.output
    assert "0 residents" in second.output
    with sqlite3.connect(var / "jointcheck.db") as connection:
        assert connection.execute("SELECT count(*) FROM persons").fetchone() == (60,)
        assert connection.execute("SELECT count(*) FROM accounts").fetchone() == (10,)


def test_demo_up_seeds_prints_the_logins_and_serves_the_app_factory(tmp_path, monkeypatch):
    import uvicorn

    from jointcheck.registry import demo as demo_module

    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    # A smaller district than the newcomer's 5,000 residents keeps the test short.
    small = demo_module.build_demo(residents=40, places=20)
    monkeypatch.setattr(demo_module, "build_demo", lambda **_: small)
    monkeypatch.setenv("JOINTCHECK_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("JOINTCHECK_DATABASE_URL", raising=False)
    for name in ("PII_KEY", "LOOKUP_KEY", "SESSION_SECRET"):
        monkeypatch.delenv(f"JOINTCHECK_{name}", raising=False)
    # A newcomer's terminal of 80 columns: the welcome tables fold, they cut nothing.
    monkeypatch.setattr(demo_cli, "console", Console(width=80))
    result = CliRunner().invoke(app, ["demo", "up", "--host", "127.0.0.1", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "…" not in result.output
    # Each description whole, though folded over lines at this width.
    assert {"Enroll", "revoke", "entrance", "terminals"} <= set(result.output.split())
    assert "http://127.0.0.1:8123/devices" in result.output
    assert "http://127.0.0.1:8123/registrations" in result.output
    assert "http://127.0.0.1:8123/health-codes" in result.output
    # demo up serves as `jointcheck serve` does (api/uvicorn_options.py).
    assert served == {
        "app": "jointcheck.api.app:create_app",
        "factory": True,
        "host": "127.0.0.1",
        "port": 8123,
        **uvicorn_options(),
    }
    assert "http://127.0.0.1:8123/login" in result.output
    for account in small.accounts:
        assert account.username in result.output
        assert account.password in result.output
    with sqlite3.connect(tmp_path / "var" / "jointcheck.db") as connection:
        assert connection.execute("SELECT count(*) FROM persons").fetchone() == (40,)


def test_demo_up_creates_the_district_trust_material_once(tmp_path, monkeypatch):
    import base64

    import uvicorn

    from jointcheck.config import Settings
    from jointcheck.credentials import keyfiles, trust
    from jointcheck.registry import demo as demo_module

    monkeypatch.setattr(uvicorn, "run", lambda app, **options: None)
    small = demo_module.build_demo(residents=10, places=20)
    monkeypatch.setattr(demo_module, "build_demo", lambda **_: small)
    var = tmp_path / "var"
    monkeypatch.setenv("JOINTCHECK_VAR_DIR", str(var))
    monkeypatch.delenv("JOINTCHECK_DATABASE_URL", raising=False)
    for name in ("PII_KEY", "LOOKUP_KEY", "SESSION_SECRET"):
        monkeypatch.delenv(f"JOINTCHECK_{name}", raising=False)
    first = CliRunner().invoke(app, ["demo", "up"])
    assert first.exit_code == 0, first.output
    assert "trust-list.json" in first.output
    root = keyfiles.public_key_from_bytes((var / "trust" / "root.pub.pem").read_bytes(), "root")
    listed = trust.load_trust_list((var / "trust" / "trust-list.json").read_bytes(), root)
    assert isinstance(listed, trust.TrustList)
    # The subject claim and the registry's ID look-up hash are one key.
    subject = keyfiles.read_subject_key(var / "secrets" / "subject.key.pem")
    assert subject == base64.b64decode(Settings(var_dir=var).lookup_key)
    signed = (var / "trust" / "trust-list.json").read_bytes()
    token = (var / "secrets" / "demo-device-token").read_text().strip()
    assert f"/entrance?token={token}\n" in first.output
    # The agent command for the same device, with the root key's fingerprint to pin.
    from jointcheck.checkpoint.bundle import pem_public_key, root_fingerprint

    pin = root_fingerprint(pem_public_key((var / "trust" / "root.pub.pem").read_bytes()))
    (line,) = [row for row in first.output.splitlines() if " checkpoint --server " in row]
    assert line.startswith(f"  JOINTCHECK_DEVICE_TOKEN={token} ")  # in the environment
    assert line.endswith("jointcheck checkpoint --server http://127.0.0.1:8000 --root-key " + pin)
    assert f"--token {token}" not in first.output  # the token is never an argument, seen in ps
    assert "not --token: a command's arguments are visible to every user" in first.output
    # A shell without .venv activated (make run's) is given the command's path, not its name.
    monkeypatch.setattr(shutil, "which", lambda name: None)
    newcomer = CliRunner().invoke(app, ["demo", "up"])
    program = Path(sys.executable).with_name("jointcheck")
    assert f" {program.relative_to(Path.cwd())} checkpoint --server " in newcomer.output
    second = CliRunner().invoke(app, ["demo", "up"])
    assert second.exit_code == 0, second.output
    assert "trust-list.json" not in second.output
    assert (var / "trust" / "trust-list.json").read_bytes() == signed
    # The printed entrance link opens the demo operator's entrance page.
    from fastapi.testclient import TestClient

    from jointcheck.api.app import create_app

    with TestClient(create_app(Settings(var_dir=var))) as client:
        page = client.get(f"/entrance?token={token}", follow_redirects=True)
    assert page.status_code == 200
    assert "entrance" in page.text.lower()
    # The demo terminal revoked (on the devices page, say): the next start enrolls a new one
    # and prints its link, which opens; the revoked token is no longer printed.
    from jointcheck.bootstrap import build_registry
    from jointcheck.security.roles import Principal, Role

    registry = build_registry(Settings(var_dir=var))
    try:
        admin = Principal(0, "test", Role.DISTRICT_ADMIN, small.district_code)
        server = CheckpointServer.of(Settings(var_dir=var), registry, lambda: datetime.now(UTC))
        revoked = server.device_for_token(token)
        assert revoked is not None
        assert server.revoke(admin, revoked.id)
    finally:
        registry.close()
    third = CliRunner().invoke(app, ["demo", "up"])
    assert third.exit_code == 0, third.output
    fresh = (var / "secrets" / "demo-device-token").read_text().strip()
    assert fresh != token
    assert f"/entrance?token={fresh}\n" in third.output
    assert token not in third.output
    with TestClient(create_app(Settings(var_dir=var))) as client:
        assert client.get(f"/entrance?token={fresh}", follow_redirects=True).status_code == 200
