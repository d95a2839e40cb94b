"""The outcome of the joint check for one person at one venue: a value, never an exception."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from jointcheck.credentials.reasons import Reason
from jointcheck.policy.evidence import EvidenceSummary
from jointcheck.policy.reasons import Action, Outcome, PolicyReason


@dataclass(frozen=True, slots=True)
class FiredRule:
    """A rule that took part in the decision: a pack's CertLogic rule or a requirement (R1..R14).

    ``passed`` is None for a requirement, which applies rather than passes. ``error`` carries
    the CertLogic evaluation error's text when the rule could not be evaluated.
    """

    id: str
    zh: str
    en: str
    passed: bool | None = None
    error: str = ""

    def text(self, locale: str = "zh_CN") -> str:
        return self.zh if locale.lower().startswith("zh") else self.en


class MaskedIdentity(NamedTuple):
    """Who the decision is about, as the gate screen may show it (house rule 4)."""

    name: str
    dob: str


class Decision(NamedTuple):
    """One decision. Immutable; a named tuple because one is made per person at the gate."""

    outcome: Outcome
    venue: str
    reasons: tuple[PolicyReason, ...]
    rules: tuple[FiredRule, ...]
    actions: tuple[Action, ...]
    person: MaskedIdentity
    summary: EvidenceSummary
    failures: tuple[Reason, ...] = ()

    @property
    def admitted(self) -> bool:
        return self.outcome in {Outcome.ADMIT, Outcome.ADMIT_REGISTERED}

    def as_dict(self) -> dict[str, object]:
        return {
            "outcome": self.outcome.value,
            "venue": self.venue,
            "reasons": [r.value for r in self.reasons],
            "rules": [
                {"id": r.id, "zh": r.zh, "en": r.en, "passed": r.passed, "error": r.error}
                for r in self.rules
            ],
            "actions": [a.value for a in self.actions],
            "person": {"name": self.person.name, "dob": self.person.dob},
            "summary": self.summary.as_dict(),
            "failures": [f.value for f in self.failures],
        }
