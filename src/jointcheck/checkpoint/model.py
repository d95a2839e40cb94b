"""What a check is, as the entrance device records it and the server stores it.

A check stores place, entrance, device, time, outcome, reason codes and the evidence summary
the decision was made on, with the keyed subject hash: never a name, an ID number or a phone
(R6). Reports, follow-up and replays of the policy are computed from these fields later.
Registrations (R3) are the one record that carries personal fields, and only encrypted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from jointcheck.policy import EvidenceSummary


class Outcome(StrEnum):
    """The four outcomes of ``policy.evaluate`` (R1-R4), by their stable names."""

    ADMIT = "ADMIT"
    ADMIT_REGISTERED = "ADMIT_REGISTERED"
    PERSUADE = "PERSUADE"
    DENY = "DENY"


class Tone(StrEnum):
    """How the entrance screen shows an outcome: colour, icon and word together (R1)."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"


TONES: dict[Outcome, Tone] = {
    Outcome.ADMIT: Tone.GREEN,
    Outcome.ADMIT_REGISTERED: Tone.GREEN,
    Outcome.PERSUADE: Tone.AMBER,
    Outcome.DENY: Tone.RED,
}


@dataclass(frozen=True, slots=True)
class Station:
    """Where a device stands: one place's one entrance, inside one street (R5 keys)."""

    device_id: str
    place_id: str
    entrance_id: str
    street_code: str
    category: str


def summary_from_dict(data: Mapping[str, Any]) -> EvidenceSummary:
    """A stored or uploaded ``EvidenceSummary.as_dict()`` read back, with its types restored."""
    level = data.get("contraindication_level")
    series = data.get("series")
    return EvidenceSummary(
        credential_types=tuple(str(t) for t in data.get("credential_types") or ()),
        code_colour=data.get("code_colour"),
        doses=int(data.get("doses") or 0),
        series=int(series) if series is not None else None,
        completed=bool(data.get("completed")),
        contraindication_level=int(level) if level is not None else None,
        age_band=str(data.get("age_band") or "unknown"),
        registered=bool(data.get("registered")),
        failed=tuple(str(f) for f in data.get("failed") or ()),
        pack_id=str(data.get("pack_id") or ""),
        pack_version=str(data.get("pack_version") or ""),
    )


@dataclass(frozen=True, slots=True)
class CheckRecord:
    """One person checked once at one entrance. ``id`` is made by the device (idempotency).

    ``follows`` names the check this one resolves: an ADMIT_REGISTERED check follows the
    PERSUADE check that the registration answered (R3). ``group_id`` ties the checks one helper
    made for several family members in one go (R14). ``stale`` says the device decided on a
    bundle older than the pack's limit; ``bundle_refused``, that it decided while refusing
    the bundle its server offered (the refusal's code, ``reasons.TrustReason``: BUNDLE_UNTRUSTED,
    BUNDLE_FORGED or BUNDLE_OUTDATED), so with its last good bundle.
    """

    id: str
    device_id: str
    place_id: str
    entrance_id: str
    street_code: str
    at: datetime
    outcome: Outcome
    reasons: tuple[str, ...]
    summary: EvidenceSummary
    subject_hash: str | None
    bundle_version: int
    stale: bool = False
    via: str = "code"
    group_id: str | None = None
    follows: str | None = None
    bundle_refused: str | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "check",
            "id": self.id,
            "device_id": self.device_id,
            "place_id": self.place_id,
            "entrance_id": self.entrance_id,
            "street_code": self.street_code,
            "at": self.at.astimezone(UTC).isoformat(),
            "outcome": self.outcome.value,
            "reasons": list(self.reasons),
            "summary": self.summary.as_dict(),
            "subject_hash": self.subject_hash,
            "bundle_version": self.bundle_version,
            "stale": self.stale,
            "via": self.via,
            "group_id": self.group_id,
            "follows": self.follows,
        }
        if self.bundle_refused is not None:
            # Only when set: the usual check's body stays as a server of the release before
            # takes it.
            body["bundle_refused"] = self.bundle_refused
        return body

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckRecord:
        """The record ``as_dict`` wrote (the agent's outbox keeps records this way)."""
        return cls(
            id=str(data["id"]),
            device_id=str(data["device_id"]),
            place_id=str(data["place_id"]),
            entrance_id=str(data["entrance_id"]),
            street_code=str(data["street_code"]),
            at=datetime.fromisoformat(str(data["at"])),
            outcome=Outcome(data["outcome"]),
            reasons=tuple(str(r) for r in data.get("reasons") or ()),
            summary=summary_from_dict(data.get("summary") or {}),
            subject_hash=data.get("subject_hash"),
            bundle_version=int(data["bundle_version"]),
            stale=bool(data.get("stale")),
            via=str(data.get("via") or "code"),
            group_id=data.get("group_id"),
            follows=data.get("follows"),
            bundle_refused=data.get("bundle_refused"),
        )


@dataclass(frozen=True, slots=True)
class Registration:
    """R3: the personal fields staff record when a persuaded person really must enter.

    Held in memory only long enough to encrypt it; ``repr`` hides the fields (never logged).
    """

    name: str = field(repr=False)
    id_number: str = field(repr=False)
    phone: str = field(repr=False)
    purpose: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class RegistrationIn:
    """A registration as the server receives it: the device's ids and the person's fields."""

    id: str
    check_id: str
    at: datetime
    person: Registration
    document_type: str


@dataclass(frozen=True, slots=True)
class RegistrationRecord:
    """A registration as it travels: ``sealed`` is the encrypted ``Registration``."""

    id: str
    check_id: str
    place_id: str
    street_code: str
    at: datetime
    sealed: bytes = field(repr=False)


class OverrideReason(StrEnum):
    """Why staff let someone in against a DENY; a closed list, so nothing personal is typed."""

    MEDICAL_EMERGENCY = "MEDICAL_EMERGENCY"
    OFFICIAL_DUTY = "OFFICIAL_DUTY"
    RESIDENT_RETURNING = "RESIDENT_RETURNING"
    DEVICE_FAULT = "DEVICE_FAULT"
    OTHER_APPROVED = "OTHER_APPROVED"


@dataclass(frozen=True, slots=True)
class OverrideRecord:
    """Staff admitted someone against a DENY (recorded and audited: a signal for R8)."""

    id: str
    check_id: str
    device_id: str
    place_id: str
    street_code: str
    at: datetime
    reason: OverrideReason
    staff: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "override",
            "id": self.id,
            "check_id": self.check_id,
            "device_id": self.device_id,
            "place_id": self.place_id,
            "street_code": self.street_code,
            "at": self.at.astimezone(UTC).isoformat(),
            "reason": self.reason.value,
            "staff": self.staff,
        }


@dataclass(frozen=True, slots=True)
class ScreenResult:
    """What the entrance screen shows for one check: no personal data beyond a masked name."""

    check_id: str
    outcome: Outcome
    tone: Tone
    masked_name: str
    reasons: tuple[str, ...]
    message_zh: str
    message_en: str
    stale: bool
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "check_id": self.check_id,
            "outcome": self.outcome.value,
            "tone": self.tone.value,
            "masked_name": self.masked_name,
            "reasons": list(self.reasons),
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "stale": self.stale,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScreenResult:
        """The screen ``as_dict`` wrote (the server's answer to the agent's ID-document look-up)."""
        return cls(
            check_id=str(data["check_id"]),
            outcome=Outcome(data["outcome"]),
            tone=Tone(data["tone"]),
            masked_name=str(data.get("masked_name") or ""),
            reasons=tuple(data.get("reasons") or ()),
            message_zh=str(data.get("message_zh") or ""),
            message_en=str(data.get("message_en") or ""),
            stale=bool(data.get("stale")),
            warnings=tuple(data.get("warnings") or ()),
        )
