"""Composition root: wires settings, the database and the services for the edges.

Only the edges (``cli``, ``api``, ``web``) import this module.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import Engine

from jointcheck.config import Settings, load_settings
from jointcheck.credentials import keyfiles, revocation, trust
from jointcheck.credentials.keys import Role
from jointcheck.errors import KeyMaterialError
from jointcheck.registry.categories import pack_categories
from jointcheck.registry.family import FamilyService
from jointcheck.registry.health import HealthRecordService
from jointcheck.registry.persons import PersonService
from jointcheck.registry.places import PlaceService
from jointcheck.registry.tree import TreeService
from jointcheck.security.accounts import AccountService
from jointcheck.security.audit import Auditor, AuditTrail
from jointcheck.security.pii import FieldCipher
from jointcheck.store.engine import make_engine, make_session_factory
from jointcheck.store.uow import SqlUnitOfWork


@dataclass(frozen=True, slots=True)
class Registry:
    """The store and the registry and security services of one deployment (issue 4)."""

    settings: Settings
    engine: Engine
    uow: Callable[[], SqlUnitOfWork]
    cipher: FieldCipher
    auditor: Auditor
    accounts: AccountService
    tree: TreeService
    places: PlaceService
    persons: PersonService
    family: FamilyService
    health: HealthRecordService
    audit: AuditTrail

    def close(self) -> None:
        self.engine.dispose()


def build_registry(settings: Settings | None = None, *, engine: Engine | None = None) -> Registry:
    """Wire the registry from settings; refuses missing or placeholder keys (R6)."""
    settings = settings or load_settings()
    cipher = FieldCipher.from_settings(settings)
    engine = engine or make_engine(settings.effective_database_url)
    uow = partial(SqlUnitOfWork, make_session_factory(engine))
    auditor = Auditor()
    return Registry(
        settings=settings,
        engine=engine,
        uow=uow,
        cipher=cipher,
        auditor=auditor,
        accounts=AccountService(uow, auditor),
        tree=TreeService(uow),
        places=PlaceService(uow, pack_categories()),
        persons=PersonService(uow, cipher, auditor),
        family=FamilyService(uow, cipher, auditor),
        health=HealthRecordService(uow, auditor),
        audit=AuditTrail(uow),
    )


ENDORSEMENTS_FILE = "root-endorsements.json"


@dataclass(frozen=True, slots=True)
class DistrictKeyFiles:
    """Where a deployment keeps the district's key material (docs/web.md, "Server keys").

    Private keys sit in ``var/secrets`` (0600, refused when others can read them); what
    verifiers need, the signed trust and revocation lists and the pinned root public key, in
    ``Settings.effective_trust_dir`` (``var/trust``).
    """

    root_private: Path
    health_code_issuer: Path
    vaccination_issuer: Path
    subject: Path
    root_public: Path
    trust_list: Path
    revocations: Path
    # The chain of endorsements of the root keys rotated to (``api.root_rotation``).
    endorsements: Path

    @classmethod
    def of(cls, settings: Settings) -> DistrictKeyFiles:
        secrets, trust = settings.secrets_dir, settings.effective_trust_dir
        return cls(
            root_private=secrets / "root.key.pem",
            health_code_issuer=secrets / "health-code-issuer.key.pem",
            vaccination_issuer=secrets / "vaccination-issuer.key.pem",
            subject=secrets / "subject.key.pem",
            root_public=trust / "root.pub.pem",
            trust_list=trust / "trust-list.json",
            revocations=trust / "revocations.jcrl",
            endorsements=trust / ENDORSEMENTS_FILE,
        )


def _ensure_signing_key(path: Path, created: list[str]) -> ec.EllipticCurvePrivateKey:
    if not path.exists():
        keyfiles.write_signing_key(path, keyfiles.generate_signing_key())
        created.append(path.name)
    key = keyfiles.read_signing_key(path)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyMaterialError(f"{path}: the district keys are ECDSA P-256")
    return key


def _issuer_entry(key: ec.EllipticCurvePrivateKey, role: Role, name: str) -> dict[str, Any]:
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    kid = keyfiles.kid_for_spki(key.public_key())
    return trust.issuer_entry(kid=kid, roles=[role], issuer=name, spki=spki)


def ensure_district_keys(settings: Settings, now: datetime, district: str) -> list[str]:
    """Create the district's keys, trust list and revocation list where missing (demo set-up).

    The trust list names the health-code and vaccination issuers; it is signed again (one
    version up) whenever a key had to be created. Returns the names of the files created.
    """
    files = DistrictKeyFiles.of(settings)
    settings.secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    files.trust_list.parent.mkdir(parents=True, exist_ok=True)
    created: list[str] = []
    root = _ensure_signing_key(files.root_private, created)
    health = _ensure_signing_key(files.health_code_issuer, created)
    vaccination = _ensure_signing_key(files.vaccination_issuer, created)
    if not files.subject.exists():
        # One key for the subject claim and the registry's ID look-up hash, so that a
        # scanned credential's subject hash finds its person (R7 follow-up, R14 look-up).
        lookup = base64.b64decode(settings.lookup_key) if settings.lookup_key else None
        keyfiles.write_subject_key(files.subject, lookup)
        created.append(files.subject.name)
    files.root_public.write_bytes(keyfiles.public_pem(root.public_key()))
    if created or not files.trust_list.exists():
        version = 1
        if files.trust_list.exists():
            previous = trust.load_trust_list(files.trust_list.read_bytes(), root.public_key())
            version = previous.version + 1 if isinstance(previous, trust.TrustList) else 1
        payload = trust.new_payload(version, district, now)
        payload = trust.add_issuer(
            payload, _issuer_entry(health, Role.HEALTH_CODE_ISSUER, "district health code issuer")
        )
        payload = trust.add_issuer(
            payload,
            _issuer_entry(vaccination, Role.VACCINATION_ISSUER, "district vaccination issuer"),
        )
        files.trust_list.write_bytes(trust.sign_trust_list(payload, root))
        created.append(files.trust_list.name)
    if not files.revocations.exists():
        empty = revocation.encode_revocation_list([], version=1, issued_at=now, root_key=root)
        files.revocations.write_bytes(empty)
        created.append(files.revocations.name)
    return created
