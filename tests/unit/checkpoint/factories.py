"""Factories for the checkpoint core's tests: credentials, a fake verifier and a fake policy."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from jointcheck.checkpoint.model import EvidenceSummary, Outcome, Station
from jointcheck.checkpoint.ports import MemoryLedger, PolicyResult, Presented
from jointcheck.checkpoint.scan import Checkpoint
from jointcheck.credentials.model import (
    CodeColour,
    CredentialType,
    HealthCode,
    Subject,
    VaccinationEntry,
    Verification,
)
from jointcheck.credentials.reasons import Reason

NOW = datetime(2021, 9, 1, 2, 0, tzinfo=UTC)


def station(place: str = "place-1") -> Station:
    return Station(
        device_id="dev-1",
        place_id=place,
        entrance_id="north",
        street_code="370704001",
        category="shopping_mall",
    )


def health_code(
    colour: CodeColour = CodeColour.GREEN, nonce: str = "n1", id_hash: str = "ab" * 32
) -> HealthCode:
    return HealthCode(
        type=CredentialType.HEALTH_CODE,
        subject=Subject(dob="1990-01-01", fnt="ZHANG", gnt="SAN", id_hash=id_hash),
        masked_name="张*",
        colour=colour,
        reason="",
        issued_at=NOW - timedelta(minutes=1),
        expires_at=NOW + timedelta(minutes=2),
        nonce=nonce,
        credential_id="hc-1",
        kid=b"k" * 8,
    )


def vaccination(dose: int = 2) -> VaccinationEntry:
    return VaccinationEntry(
        tg="840539006",
        vp="J07BX03",
        mp="BBIBP-CorV",
        ma="ORG-100020693",
        dn=dose,
        sd=2,
        dt=NOW.date(),
        co="CN",
        is_="Fangzi CDC",
        ci="URN:UVCI:01:CN:TEST",
    )


def verified(credential: HealthCode) -> Verification:
    return Verification(reason=Reason.OK, type=credential.type, steps={}, credential=credential)


def failed(reason: Reason) -> Verification:
    return Verification(reason=reason, type=None, steps={})


@dataclass
class FakeVerifier:
    """Looks the scanned text up in a table of prepared verifications."""

    table: dict[str, Verification] = field(default_factory=dict)

    def __call__(self, text: str, at: datetime) -> Verification:
        return self.table.get(text, failed(Reason.UNKNOWN_PREFIX))


def fake_policy(presented: Presented, at: datetime) -> PolicyResult:
    """Green code and the text 'vaccinated' admit; green alone persuades; anything else denies."""
    summary = EvidenceSummary(pack_id="test-pack", pack_version="1")
    if presented.id_document is not None:
        doc = presented.id_document
        outcome = Outcome.ADMIT if doc.vaccinations else Outcome.PERSUADE
        return PolicyResult(outcome, ("ID",), summary, doc.masked_name, "证件", "document")
    bad = [v for v in presented.verifications if not v.valid]
    if bad:
        return PolicyResult(Outcome.DENY, (bad[0].reason.value,), summary, "", "拒绝", "denied")
    codes = [v.credential for v in presented.verifications]
    colours = [c.colour for c in codes if isinstance(c, HealthCode)]
    if not colours or any(c is not CodeColour.GREEN for c in colours):
        return PolicyResult(
            Outcome.DENY, ("CODE_NOT_GREEN",), summary, "张*", "非绿码", "not green"
        )
    if len(codes) > 1:
        return PolicyResult(Outcome.ADMIT, ("OK",), summary, "张*", "通过", "admit")
    return PolicyResult(Outcome.PERSUADE, ("NOT_VACCINATED",), summary, "张*", "劝返", "persuade")


def checkpoint(
    verifier: FakeVerifier | None = None, *, stale: bool = False, place: str = "place-1"
) -> Checkpoint:
    ids = itertools.count(1)
    return Checkpoint(
        station=station(place),
        bundle_version=3,
        verify=verifier or FakeVerifier(),
        decide=fake_policy,
        ledger=MemoryLedger(),
        is_stale=lambda _at: stale,
        make_id=lambda: f"id-{next(ids)}",
    )
