"""The SIGKILL test (issue 4, offline operation): the agent is killed at random moments during
a stream of scans, at least 50 times, while the server comes and goes. Every check whose
decision the client received must end on the server exactly once.

Real processes, killed with SIGKILL (no chance to flush or clean up): the agent is the
function behind ``jointcheck checkpoint``, the server the app under uvicorn, each in a process
forked from this one (so that fifty restarts do not pay fifty interpreter start-ups).
"""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import httpx
import pytest
import uvicorn
from checkpoint_factories import ADMIN, ROOT_FINGERPRINT, health_code, make_district, vaccination
from sqlalchemy import select

from jointcheck.api.app import create_app
from jointcheck.cli import checkpoint as checkpoint_cli
from jointcheck.config import Settings
from jointcheck.store.checkpoint_models import CheckEventRow

pytestmark = pytest.mark.slow

KILLS = 50


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(url: str, seconds: float = 20.0) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            response = httpx.get(url, timeout=1.0)
            if response.status_code == httpx.codes.OK:
                return response
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not come up")
        time.sleep(0.05)


class Process:
    """A forked child running TARGET; killed with SIGKILL."""

    def __init__(self, target: Callable[[], None], log: Path) -> None:
        self.target, self.log = target, log
        self.pid: int | None = None

    def start(self) -> None:
        pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            try:
                fd = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                self.target()
            finally:
                os._exit(0)
        self.pid = pid

    def kill(self) -> None:
        if self.pid is not None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        self.pid = None


def run_server(settings: Settings, port: int) -> None:
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")


def run_agent(server_url: str, token: str, port: int, data: Path) -> None:
    # As a terminal's operator starts it: the command line, parsed by the CLI itself.
    checkpoint_cli.app(
        ["--server", server_url, "--token", token, "--root-key", ROOT_FINGERPRINT,
         "--port", str(port), "--data", str(data), "--sync-interval", "0.2"],
        standalone_mode=False,
    )  # fmt: skip


def scan_until_stopped(base: str, key: str, codes: list[list[str]], stop: threading.Event,
                       received: set[str]) -> None:  # fmt: skip
    headers = {"x-agent-key": key}
    with httpx.Client(base_url=base, timeout=2.0) as client:
        while not stop.is_set():
            try:
                answer = client.post("/api/agent/scan", json={"codes": random.choice(codes)},
                                     headers=headers)  # fmt: skip
            except httpx.HTTPError:
                return
            if answer.status_code == httpx.codes.OK:
                received.update(r["check_id"] for r in answer.json()["results"])


def test_every_received_check_reaches_the_server_exactly_once(settings, registry, tree, tmp_path):
    district = make_district(settings, registry)
    district.clock[0] = datetime.now(UTC)
    _, token = district.server.enroll(ADMIN, district.place_id, "north", "crash")
    codes = [[health_code(district), vaccination(district)] for _ in range(5)]
    codes += [[health_code(district)] for _ in range(5)]
    server_port, agent_port = free_port(), free_port()
    server_url, agent_url = f"http://127.0.0.1:{server_port}", f"http://127.0.0.1:{agent_port}"
    server = Process(partial(run_server, settings, server_port), tmp_path / "server.log")
    agent = Process(
        partial(run_agent, server_url, token, agent_port, tmp_path / "agent"),
        tmp_path / "agent.log",
    )
    received: set[str] = set()
    rng = random.Random(4)
    server.start()
    wait_until(f"{server_url}/api/checkpoint/time")
    try:
        for kill in range(KILLS):
            if kill % 10 == 5:
                server.kill()  # the server goes away for a while...
            elif kill % 10 == 0 and server.pid is None:
                server.start()  # ...and comes back
            agent.start()
            page = wait_until(agent_url + "/").text
            key = re.search(r'name="agent-key" content="([^"]+)"', page).group(1)
            stop = threading.Event()
            scanner = threading.Thread(
                target=scan_until_stopped, args=(agent_url, key, codes, stop, received)
            )
            scanner.start()
            time.sleep(rng.uniform(0.05, 0.5))
            agent.kill()
            stop.set()
            scanner.join()
        if server.pid is None:
            server.start()
        wait_until(f"{server_url}/api/checkpoint/time")
        agent.start()
        page = wait_until(agent_url + "/").text
        key = re.search(r'name="agent-key" content="([^"]+)"', page).group(1)
        deadline = time.monotonic() + 30
        while True:
            status = httpx.get(agent_url + "/api/agent/counts", headers={"x-agent-key": key}).json()
            if status["status"]["online"] and status["status"]["backlog"] == 0:
                break
            assert time.monotonic() < deadline, status
            time.sleep(0.2)
    finally:
        agent.kill()
        server.kill()
    with district.registry.uow() as uow:
        stored = list(uow.session.scalars(select(CheckEventRow.id)))
    assert len(received) > KILLS
    assert len(stored) == len(set(stored))
    assert received <= set(stored)
