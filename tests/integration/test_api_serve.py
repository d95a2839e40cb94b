"""``jointcheck serve`` serves ``create_app`` from the environment's settings, as uvicorn's
factory, on the port asked for: a deployment set up beforehand answers at once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from jointcheck.bootstrap import ensure_district_keys
from jointcheck.store.migrate import upgrade
from web_factories import DISTRICT, make_settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_with_the_deployment_in_var(tmp_path):
    settings = make_settings(tmp_path / "var")
    ensure_district_keys(settings, datetime.now(UTC), DISTRICT)
    upgrade(settings.effective_database_url)
    port = free_port()
    env = {
        **os.environ,
        "JOINTCHECK_VAR_DIR": str(settings.var_dir),
        "JOINTCHECK_DATABASE_URL": "",
        "JOINTCHECK_PII_KEY": settings.pii_key,
        "JOINTCHECK_LOOKUP_KEY": settings.lookup_key,
        "JOINTCHECK_SESSION_SECRET": settings.session_secret,
    }
    command = [str(Path(sys.executable).parent / "jointcheck"), "serve", "--port", str(port)]
    server = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        base = f"http://127.0.0.1:{port}"
        health = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and server.poll() is None:
            try:
                health = httpx.get(f"{base}/healthz", timeout=2).json()
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert health is not None, "the server did not answer"
        assert health["trust_list"] == "ready"
        assert health["accounts"] == "ready"
        verdict = httpx.post(f"{base}/api/verify", json={"text": "hello"}, timeout=5).json()
        assert verdict["reason"] == "UNKNOWN_PREFIX"
    finally:
        server.terminate()
        server.wait(timeout=15)
        if server.stdout is not None:
            server.stdout.close()
