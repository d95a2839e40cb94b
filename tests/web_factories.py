"""Factories for the web edge's tests: a server's ``var`` directory with its trust material,
secrets, a migrated database and accounts, built through the production functions.

Used by ``tests/integration/test_api_*.py`` and ``tests/e2e/conftest.py``.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from jointcheck.config import Settings
from jointcheck.credentials import trust
from jointcheck.credentials.keyfiles import generate_signing_key, kid_for_spki, public_pem
from jointcheck.credentials.keys import Role as KeyRole

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
