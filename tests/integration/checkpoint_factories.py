"""A small district for the checkpoint's integration tests, built through production paths:
root key and trust list (``credentials.trust``), codes from ``credentials.issue``, the
database migrated by Alembic, places and persons through the registry's repositories.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from jointcheck.api.checkpoint_service import BundleSource, CheckpointServer
from jointcheck.bootstrap import Registry
from jointcheck.checkpoint.agent import Agent, AgentTransport
from jointcheck.checkpoint.bundle import root_fingerprint
from jointcheck.checkpoint.outbox import Outbox
from jointcheck.checkpoint.sealing import DeviceSealer
from jointcheck.config import Settings
from jointcheck.credentials import issue, trust
from jointcheck.credentials.keyfiles import kid_for_spki, write_signing_key
from jointcheck.credentials.keys import Role
from jointcheck.credentials.model import CodeColour
from jointcheck.registry.model import Entrance, Place
from jointcheck.security.roles import Principal
from jointcheck.security.roles import Role as AccountRole

NOW = datetime(2021, 9, 6, 2, 0, tzinfo=UTC)  # 10:00 in Fangzi
DISTRICT, COMMUNITY, OTHER_COMMUNITY = "370704", "370704001001", "370704002001"


def _key(seed: int) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(10_000 + seed, ec.SECP256R1())


ROOT, HEALTH, VACCINATION = _key(1), _key(2), _key(3)
# What enrollment shows the operator, and the agent is started with (--root-key).
ROOT_FINGERPRINT = root_fingerprint(ROOT.public_key())


@dataclass
class District:
    settings: Settings
    registry: Registry
    server: CheckpointServer
    place_id: int
    other_place_id: int
    clock: list[datetime]
    subject_key: bytes

    def now(self) -> datetime:
        return self.clock[0]


def write_root(var: Path, root: ec.EllipticCurvePrivateKey) -> None:
    """ROOT as the district root key the server signs bundles with and offers to devices."""
    (var / "secrets" / "root.key.pem").unlink(missing_ok=True)  # a key is never overwritten
    write_signing_key(var / "secrets" / "root.key.pem", root)
    (var / "trust" / "root.pub.pem").write_bytes(
        root.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def _write_trust(var: Path) -> None:
    (var / "trust").mkdir(parents=True)
    (var / "secrets").mkdir(parents=True)
    write_root(var, ROOT)
    body = trust.new_payload(1, DISTRICT, NOW - timedelta(days=30))
    for seed, key, roles in (
        (2, HEALTH, [Role.HEALTH_CODE_ISSUER]),
        (3, VACCINATION, [Role.VACCINATION_ISSUER, Role.DCC_SIGNER]),
    ):
        spki = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        kid = kid_for_spki(key.public_key())
        body = trust.add_issuer(
            body, trust.issuer_entry(kid=kid, roles=roles, issuer=f"issuer {seed}", spki=spki)
        )
    (var / "trust" / "trust-list.json").write_bytes(trust.sign_trust_list(body, ROOT))


def _seed_places(registry: Registry) -> tuple[int, int]:
    """A mall in street 1 and a nursing home in street 2 (the conftest's small tree)."""
    with registry.uow() as uow:
        mall = uow.places.add(
            Place(None, COMMUNITY, "malls_and_supermarkets", "百货大楼", "凤凰路1号",
                  (Entrance("north"), Entrance("south")))
        )  # fmt: skip
        home = uow.places.add(
            Place(
                None, OTHER_COMMUNITY, "nursing_homes", "敬老院", "坊城路2号", (Entrance("gate"),)
            )
        )
        uow.commit()
    return mall, home


def make_district(settings: Settings, registry: Registry) -> District:
    """Trust material under the settings' var dir, two places, a checkpoint server."""
    var = settings.var_dir
    _write_trust(var)
    mall, home = _seed_places(registry)
    clock = [NOW]
    server = CheckpointServer(
        registry=registry,
        source=BundleSource(
            trust_list=var / "trust" / "trust-list.json",
            revocations=var / "trust" / "revocations.jcrl",
            root_public=var / "trust" / "root.pub.pem",
            root_private=var / "secrets" / "root.key.pem",
            pack_id="fangzi-2021",
        ),
        clock=lambda: clock[0],
    )
    # Our credentials' subject hash is keyed like the look-up hash: an ID card finds them.
    subject_key = base64.b64decode(settings.lookup_key)
    return District(settings, registry, server, mall, home, clock, subject_key)


HOLDER = issue.Holder(id_number="11010519491231002X", name="张小三", dob="1949-12-31")


def health_code(
    d: District, colour: CodeColour = CodeColour.GREEN, holder: issue.Holder = HOLDER
) -> str:
    return issue.issue_health_code(
        issue.IssuingKey.of(HEALTH), d.subject_key, holder, colour=colour, issued_at=d.now()
    )


def vaccination(d: District, holder: issue.Holder = HOLDER, dose: int = 2) -> str:
    payload = issue.vaccination_payload(
        holder,
        product="BBIBP-CorV",
        dose=dose,
        doses=2,
        on=date(2021, 6, 1),
        issuer="Fangzi CDC",
        uvci=issue.make_uvci("CN/FZ", f"T{dose}{holder.id_number[-4:]}"),
    )
    return issue.issue_vaccination(
        issue.IssuingKey.of(VACCINATION), d.subject_key, holder, payload, issued_at=d.now()
    )


# The district administrator the checkpoint tests enroll their devices as.
ADMIN = Principal(1, "admin", AccountRole.DISTRICT_ADMIN, "370704")


def enroll(district: District, place_id: int | None = None, entrance: str = "north"):
    """A device enrolled at PLACE_ID (the district's place), and its bearer-token header."""
    device, token = district.server.enroll(ADMIN, place_id or district.place_id, entrance, "t")
    return device, {"authorization": f"Bearer {token}"}


def register_holder(
    district: District, health: Principal, colour: CodeColour = CodeColour.GREEN, **person: str
) -> int:
    """HOLDER in the district's registry (grid 370704001001001) with code COLOUR, entered by
    the health authority HEALTH; the person's id. PERSON: more fields (phone=...)."""
    from jointcheck.registry.persons import Enrollment

    enrolled = district.registry.persons.enroll(
        health,
        Enrollment(grid_code="370704001001001", document_type="resident_id_card",
                   document_number=HOLDER.id_number, name=HOLDER.name, **person),
    )  # fmt: skip
    district.registry.health.change_code(health, enrolled.person.id, colour, reason="test")
    return enrolled.person.id


def started_agent(district: District, folder: Path, transport: AgentTransport) -> Agent:
    """An entrance agent on TRANSPORT with its outbox in FOLDER, the district's root key
    pinned, started and synced once."""
    agent = Agent(
        Outbox(folder / "outbox.db"), transport, DeviceSealer(bytes(32)), district.now,
        root_pin=ROOT_FINGERPRINT,
    )  # fmt: skip
    agent.start()
    assert agent.sync() is not None
    return agent
