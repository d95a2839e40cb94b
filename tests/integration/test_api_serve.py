"""``jointcheck serve`` serves ``create_app`` from the environment's settings, as uvicorn's
factory, on the port asked for: a deployment set up beforehand answers at once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx

from jointcheck.bootstrap import ensure_district_keys
from jointcheck.store.migrate import upgrade
from web_factories import DISTRICT, make_settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(tmp_path: Path, *options: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``jointcheck serve`` over a deployment set up in TMP_PATH; its base URL and process."""
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
    command = [
        str(Path(sys.executable).parent / "jointcheck"), "serve", "--port", str(port), *options
    ]  # fmt: skip
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
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=15)
        if server.stdout is not None:
            server.stdout.close()


def log_of(server: subprocess.Popen[bytes]) -> str:
    assert server.stdout is not None
    server.wait(timeout=15)
    return server.stdout.read().decode("utf-8", "replace")


def test_serve_answers_with_the_deployment_in_var(tmp_path):
    with serving(tmp_path) as (base, _):
        verdict = httpx.post(f"{base}/api/verify", json={"text": "hello"}, timeout=5).json()
        assert verdict["reason"] == "UNKNOWN_PREFIX"


# What a query string may carry that must not reach the log: a name typed into a search box,
# an entrance terminal's secret token.
NAME, TOKEN = "王秀英", "tk_7f3a9c1e5b2d4086"


def test_the_access_log_has_every_request_without_personal_data(tmp_path):
    member = str(uuid.uuid4())
    with serving(tmp_path) as (base, server):
        for path in (
            f"/devices?q={NAME}&page=2&lang=en",
            f"/entrance?token={TOKEN}",
            f"/me/print?member={member}",
        ):
            httpx.get(base + path, timeout=5)
        server.terminate()
        log = log_of(server)
    assert '"GET /healthz HTTP/1.1" 200' in log
    assert '"GET /devices?q=-&page=2&lang=en HTTP/1.1" 303' in log
    assert '"GET /entrance?token=- HTTP/1.1" 401' in log
    assert f'"GET /me/print?member={member} HTTP/1.1" 303' in log
    for secret in (NAME, quote(NAME), TOKEN):
        assert secret not in log


def test_no_access_log_leaves_requests_out(tmp_path):
    with serving(tmp_path, "--no-access-log") as (base, server):
        assert httpx.get(f"{base}/verify", timeout=5).status_code == 200
        server.terminate()
        log = log_of(server)
    assert "Uvicorn running on" in log
    assert "GET /verify" not in log
    assert "GET /healthz" not in log
