"""What one person presented at the gate, and the part of it that may be stored.

``Evidence`` holds verified credentials only; codes that failed verification are carried as
their reason codes (``failed``) so that the decision can say why they were not counted.
``EvidenceSummary`` is what the checkpoint and the reports keep: types, colour, doses, an age
band, never a name, an ID number or a date of birth (R6).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from jointcheck.credentials.model import (
    CodeColour,
    ContraindicationCertificate,
    Credential,
    DigitalCovidCertificate,
    HealthCode,
    SmartHealthCard,
    Subject,
    VaccinationEntry,
)
from jointcheck.credentials.reasons import Reason


@dataclass(frozen=True, slots=True)
class IdCardLookup:
    """The server's answer for a resident ID card (R14: no smartphone, or checked by family).

    ``colour`` is the person's health code colour at ``looked_up_at``; ``contraindication_level``
    is the level of a currently valid contraindication certificate, if any.
    """

    subject: Subject
    masked_name: str
    looked_up_at: datetime
    colour: CodeColour | None
    vaccinations: tuple[VaccinationEntry, ...] = ()
    contraindication_level: int | None = None


# The usual sets of credential kinds, sorted once (a decision is made per person).
_SORTED_KINDS: dict[frozenset[str], tuple[str, ...]] = {
    frozenset(kinds): tuple(sorted(kinds))
    for kinds in (
        {"health_code"},
        {"health_code", "dcc_vaccination"},
        {"health_code", "shc_immunization"},
        {"health_code", "contraindication"},
        {"health_code", "dcc_vaccination", "contraindication"},
        {"dcc_vaccination"},
        {"id_card_lookup"},
    )
}


@dataclass(frozen=True, slots=True)
class Evidence:
    health_codes: tuple[HealthCode, ...] = ()
    certificates: tuple[DigitalCovidCertificate | SmartHealthCard, ...] = ()
    contraindications: tuple[ContraindicationCertificate, ...] = ()
    id_card: IdCardLookup | None = None
    registered: bool = False
    failed: tuple[Reason, ...] = ()

    @classmethod
    def of(
        cls,
        credentials: Iterable[Credential],
        *,
        id_card: IdCardLookup | None = None,
        registered: bool = False,
        failed: Iterable[Reason] = (),
    ) -> Evidence:
        """Sort verified credentials into their places."""
        codes: list[HealthCode] = []
        certs: list[DigitalCovidCertificate | SmartHealthCard] = []
        contra: list[ContraindicationCertificate] = []
        for credential in credentials:
            if isinstance(credential, HealthCode):
                codes.append(credential)
            elif isinstance(credential, ContraindicationCertificate):
                contra.append(credential)
            else:
                certs.append(credential)
        return cls(
            health_codes=tuple(codes),
            certificates=tuple(certs),
            contraindications=tuple(contra),
            id_card=id_card,
            registered=registered,
            failed=tuple(failed),
        )

    def subjects(self) -> list[Subject]:
        # Loops, not comprehensions: this runs once per decision (jointcheck bench decision).
        found: list[Subject] = []
        for credential in (*self.health_codes, *self.certificates, *self.contraindications):
            found.append(credential.subject)  # noqa: PERF401 - see above
        if self.id_card is not None:
            found.append(self.id_card.subject)
        return found

    def credential_types(self) -> tuple[str, ...]:
        """The kinds of credential shown, sorted (``CredentialType`` values, id_card_lookup)."""
        kinds: set[str] = set()
        for credential in (*self.health_codes, *self.certificates, *self.contraindications):
            kinds.add(credential.type)
        if self.id_card is not None:
            kinds.add("id_card_lookup")
        return _SORTED_KINDS.get(frozenset(kinds)) or tuple(sorted(kinds))


class EvidenceSummary(NamedTuple):
    """A decision's evidence without personal data, as stored by checkpoints and reports.

    ``age_band`` is a coarse band (``<3``, ``3-11``, ``12-17``, ``18-59``, ``60+``), never the
    date of birth. The defaults describe a check stored without these facts.
    """

    credential_types: tuple[str, ...] = ()
    code_colour: str | None = None
    doses: int = 0
    series: int | None = None
    completed: bool = False
    contraindication_level: int | None = None
    age_band: str = "unknown"
    registered: bool = False
    failed: tuple[str, ...] = ()
    pack_id: str = ""
    pack_version: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "credential_types": list(self.credential_types),
            "code_colour": self.code_colour,
            "doses": self.doses,
            "series": self.series,
            "completed": self.completed,
            "contraindication_level": self.contraindication_level,
            "age_band": self.age_band,
            "registered": self.registered,
            "failed": list(self.failed),
            "pack_id": self.pack_id,
            "pack_version": self.pack_version,
        }


# Age bands of the reports: under 3 (never eligible), 3-11 (eligible from late October
# 2021), 12-17 (eligible from August 2021), adults, and 60+ (the campaign's priority group).
AGE_BANDS = ((3, "<3"), (12, "3-11"), (18, "12-17"), (60, "18-59"))
AGE_BAND_OLDEST = "60+"
AGE_BAND_UNKNOWN = "unknown"


def age_band(age: int | None) -> str:
    if age is None:
        return AGE_BAND_UNKNOWN
    for upper, band in AGE_BANDS:
        if age < upper:
            return band
    return AGE_BAND_OLDEST


def earliest_birthday(dob: str) -> date | None:
    """The earliest date of birth consistent with a full or partial ISO date, or None.

    The conservative reading for the joint check: a person is treated as under the eligible
    age only if every birthday consistent with the data makes them so. So ``1964`` reads as
    1964-01-01 and ``1964-08`` as 1964-08-01, the oldest the person can be.
    """
    if len(dob) == 10:  # noqa: PLR2004 - the full YYYY-MM-DD form, by far the most common
        try:
            return date.fromisoformat(dob)
        except ValueError:
            pass
    parts = dob.strip()[:10].split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 and parts[1] not in {"", "XX"} else 1
        day = int(parts[2]) if len(parts) > 2 and parts[2] not in {"", "XX"} else 1  # noqa: PLR2004
        return date(year, month, day)
    except (ValueError, IndexError):
        return None


def age_on(born: date, today: date) -> int:
    """Completed years on ``today`` (the Asia/Shanghai date of the check)."""
    before_birthday = (today.month, today.day) < (born.month, born.day)
    return today.year - born.year - before_birthday
