"""Factories for the web edge's tests: a server's ``var`` directory with its trust material,
secrets, a migrated database and accounts, built through the production functions.

Used by ``tests/integration/test_api_*.py`` and ``tests/e2e/conftest.py``.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from httpx2 import Response

from jointcheck.bootstrap import Registry
from jointcheck.config import Settings
from jointcheck.credentials import trust
from jointcheck.credentials.keyfiles import generate_signing_key, kid_for_spki, public_pem
from jointcheck.credentials.keys import Role as KeyRole
from jointcheck.credentials.model import CodeColour
from jointcheck.registry.health import NewDose
from jointcheck.registry.persons import Enrollment
from jointcheck.security.idcard import make_resident_id
from jointcheck.security.passwords import hash_password
from jointcheck.security.ports import AccountRecord
from jointcheck.security.roles import Principal, Role

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
DISTRICT = "370704"


def secret32() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def make_settings(var_dir: Path, **overrides: object) -> Settings:
    """Settings of a server whose everything lives under ``var_dir``."""
    values: dict[str, object] = {
        "var_dir": var_dir,
        "database_url": "",
        "pii_key": secret32(),
        "lookup_key": secret32(),
        "session_secret": secrets.token_urlsafe(32),
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class ServerTrustFiles:
    """The keys behind a trust list written for a test server."""

    root: ec.EllipticCurvePrivateKey
    health_code_issuer: ec.EllipticCurvePrivateKey
    vaccination_issuer: ec.EllipticCurvePrivateKey
    folder: Path


def _spki(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def write_trust(settings: Settings, *, at: datetime = NOW, version: int = 1) -> ServerTrustFiles:
    """A signed trust list (health-code and vaccination issuers) and the pinned root key."""
    folder = settings.effective_trust_dir
    folder.mkdir(parents=True, exist_ok=True)
    root, health, vaccination = (generate_signing_key() for _ in range(3))
    payload = trust.new_payload(version, DISTRICT, at - timedelta(days=1))
    for key, role, name in (
        (health, KeyRole.HEALTH_CODE_ISSUER, "坊子区卫生健康局 health codes"),
        (vaccination, KeyRole.VACCINATION_ISSUER, "坊子区疾控中心 vaccination"),
    ):
        entry = trust.issuer_entry(
            kid=kid_for_spki(key.public_key()), roles=[role], issuer=name, spki=_spki(key)
        )
        payload = trust.add_issuer(payload, entry)
    (folder / "trust-list.json").write_bytes(trust.sign_trust_list(payload, root))
    (folder / "root.pub.pem").write_bytes(public_pem(root.public_key()))
    return ServerTrustFiles(root, health, vaccination, folder)


def csrf_of(html: str) -> str:
    """The CSRF token a rendered page put in its forms."""
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


@dataclass(frozen=True, slots=True)
class Resident:
    person_id: UUID
    id_number: str
    name: str
    username: str
    password: str


def add_account(
    registry: Registry,
    username: str,
    password: str,
    role: Role,
    scope_code: str,
    *,
    person_id: UUID | None = None,
    place_id: int | None = None,
) -> int:
    """A stored account that can sign in with ``password``."""
    record = AccountRecord(
        id=None,
        username=username,
        password_hash=hash_password(password),
        role=role,
        scope_code=scope_code,
        person_id=person_id,
        place_id=place_id,
    )
    with registry.uow() as uow:
        account_id = uow.accounts.add(record)
        uow.commit()
    return account_id


def add_resident(
    registry: Registry,
    health_authority: Principal,
    grid: str,
    *,
    name: str = "张小三",
    born: date = date(1990, 1, 1),
    colour: CodeColour | None = CodeColour.GREEN,
    doses: int = 2,
    sequence: int = 123,
) -> Resident:
    """An enrolled resident with a code colour, doses, and a resident account to sign in."""
    id_number = make_resident_id(DISTRICT, born, sequence)
    enrolled = registry.persons.enroll(
        health_authority,
        Enrollment(
            grid_code=grid,
            document_type="resident_id_card",
            document_number=id_number,
            name=name,
            phone="13812345678",
        ),
    )
    assert enrolled.person is not None, enrolled.reason
    person_id = enrolled.person.id
    if colour is not None:
        registry.health.change_code(health_authority, person_id, colour, reason="demo status")
    for n in range(1, doses + 1):
        dose = NewDose(
            n, 2, "CoronaVac", date(2021, 5, 1) + timedelta(days=28 * n), "东苑社区卫生站"
        )
        registry.health.record_dose(health_authority, person_id, dose)
    username = f"resident{sequence}"
    password = f"pw-{secrets.token_hex(8)}"
    add_account(registry, username, password, Role.RESIDENT, grid, person_id=person_id)
    return Resident(person_id, id_number, name, username, password)


def sign_in(client: TestClient, username: str, password: str) -> Response:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
