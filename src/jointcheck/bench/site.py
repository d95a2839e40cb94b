"""The small district both checkpoint benchmarks run on (``ingest``, ``latency``): one place,
one enrolled device and its trust material; a fresh database on the local PostgreSQL; and the
real app served under uvicorn in forked processes.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from jointcheck.bootstrap import Registry, build_registry
from jointcheck.config import Settings
from jointcheck.credentials import trust
from jointcheck.credentials.keyfiles import kid_for_spki, write_signing_key
from jointcheck.credentials.keys import Role
from jointcheck.registry.model import AdminLevel, AdminUnit, Entrance, Place
from jointcheck.store.checkpoint_repository import SqlCheckpoint
from jointcheck.store.migrate import upgrade

PG_ENV = ("JOINTCHECK_BENCH_DATABASE_URL", "JOINTCHECK_TEST_DATABASE_URL")
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
STREET, COMMUNITY = "370704001", "370704001001"


def _key_text() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@dataclass
class Site:
    """A district of one place and one enrolled device, with its trust material."""

    settings: Settings
    registry: Registry
    place_id: int
    device_id: str
    token: str
    issuers: dict[str, ec.EllipticCurvePrivateKey]

    def subject_key(self) -> bytes:
        return base64.b64decode(self.settings.lookup_key)


def _trust(var: Path) -> dict[str, ec.EllipticCurvePrivateKey]:
    (var / "trust").mkdir(parents=True, exist_ok=True)
    (var / "secrets").mkdir(parents=True, exist_ok=True, mode=0o700)
    root = ec.generate_private_key(ec.SECP256R1())
    write_signing_key(var / "secrets" / "root.key.pem", root)
    (var / "trust" / "root.pub.pem").write_bytes(
        root.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    issuers = {"health": ec.generate_private_key(ec.SECP256R1())}
    issuers["vaccination"] = ec.generate_private_key(ec.SECP256R1())
    body = trust.new_payload(1, "370704", datetime.now(UTC) - timedelta(days=1))
    roles = {"health": [Role.HEALTH_CODE_ISSUER], "vaccination": [Role.VACCINATION_ISSUER]}
    for name, key in issuers.items():
        spki = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        entry = trust.issuer_entry(
            kid=kid_for_spki(key.public_key()), roles=roles[name], issuer=name, spki=spki
        )
        body = trust.add_issuer(body, entry)
    (var / "trust" / "trust-list.json").write_bytes(trust.sign_trust_list(body, root))
    return issuers


def build_site(var: Path, database_url: str) -> Site:
    issuers = _trust(var)
    settings = Settings(
        var_dir=var,
        database_url=database_url,
        pii_key=_key_text(),
        lookup_key=_key_text(),
        session_secret=_key_text(),
    )
    upgrade(database_url)
    registry = build_registry(settings)
    with registry.uow() as uow:
        uow.units.add_many(
            [
                AdminUnit("370704", AdminLevel.DISTRICT, "坊子区", "Fangzi"),
                AdminUnit(STREET, AdminLevel.STREET, "凤凰街道", "Fenghuang", "370704"),
                AdminUnit(COMMUNITY, AdminLevel.COMMUNITY, "社区", "Community", STREET),
            ]
        )
        place = uow.places.add(
            Place(None, COMMUNITY, "malls_and_supermarkets", "商场", "路1号", (Entrance("north"),))
        )
        device, token = SqlCheckpoint(uow.session).enroll(
            place_id=place, entrance_id=None, street_code=STREET, admin_code=COMMUNITY,
            root_kid="", label="bench", by=None, now=datetime.now(UTC),
        )  # fmt: skip
        uow.commit()
    return Site(settings, registry, place, device.id, token, issuers)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(pid: int, grace: float = 10.0) -> None:
    """SIGTERM, and SIGKILL if requests an overloaded run left queued keep it from exiting."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if os.waitpid(pid, os.WNOHANG) != (0, 0):
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


@contextmanager
def serving(
    settings: Settings, workers: int = 1, options: Mapping[str, Any] | None = None
) -> Iterator[str]:
    """The real app under uvicorn in WORKERS forked processes sharing one listening socket
    (API processes scale out, DESIGN.md); the base URL while the block runs. OPTIONS go to
    ``uvicorn.Config`` (``jointcheck serve``'s own: ``api.uvicorn_options``)."""
    import uvicorn

    from jointcheck.api.app import create_app

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(2048)
    pids = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 2)
                config = uvicorn.Config(
                    create_app(settings), log_level="error", **dict(options or {})
                )
                # The listening socket itself, not its descriptor (``fd=``): uvicorn takes a
                # descriptor for a Unix socket, and the event loop then does not set
                # TCP_NODELAY on the connections it accepts, as it does for ``jointcheck
                # serve``'s own. Each answer then waited for the client's delayed ACK (about
                # 40 ms) whenever a connection sent its next request at once: one terminal
                # scanning one person after another, or every connection once a queue formed.
                uvicorn.Server(config).run(sockets=[listener])
            finally:
                os._exit(0)
        pids.append(pid)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/api/checkpoint/time", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        for pid in pids:
            _stop(pid)
        listener.close()


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A fresh database on the local PostgreSQL, or None when there is none."""
    base = next((os.environ[e] for e in PG_ENV if os.environ.get(e)), DEFAULT_PG)
    admin = base.replace("postgresql+psycopg://", "postgresql://")
    name = f"jc_bench_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error:
        yield None
        return
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
