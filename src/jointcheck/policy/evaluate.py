"""``evaluate(evidence, venue, pack, at) -> Decision``: the joint check for one person (R1-R4).

Pure: the clock is the ``at`` parameter, the policy the compiled pack. The steps, in order,
each citing the requirement it implements:

1. Credentials of different people shown together: DENY, SUBJECT_MISMATCH (issue 2).
2. Health code (R1: checked together with the vaccination certificate; R4: a code that is not
   green does not enter and is reported to the street). No valid health code is a DENY with
   HEALTH_CODE_MISSING, not a PERSUADE: R1 makes the code half of the joint check at every
   place, and persuasion (R3) is only the answer to a missing vaccination. A code older than
   the pack's maximum age is HEALTH_CODE_STALE.
3. Under the eligible age (the Asia/Shanghai date of the check): ADMIT, no certificate needed.
4. Vaccinated for entry (the pack's CertLogic condition): ADMIT.
5. Not vaccinated: a valid contraindication certificate of sufficient level admits (R3; at a
   restricted place only if the pack says restricted places accept it, R2); otherwise a
   restricted place denies (R2) and any other place persuades, or admits after registration
   (R3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jointcheck.credentials.masking import mask_dob, mask_name
from jointcheck.credentials.model import CodeColour, DigitalCovidCertificate, Subject
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.subject import check_together
from jointcheck.errors import InputError
from jointcheck.policy.compiled import CompiledPack, RuleLog
from jointcheck.policy.decision import Decision, FiredRule, MaskedIdentity
from jointcheck.policy.evidence import (
    Evidence,
    EvidenceSummary,
    age_band,
    age_on,
    earliest_birthday,
)
from jointcheck.policy.pack import Mode
from jointcheck.policy.payload import build_payload
from jointcheck.policy.reasons import Action, Outcome, PolicyReason

SHANGHAI = ZoneInfo("Asia/Shanghai")
_COLOUR_REASONS = {
    CodeColour.YELLOW.value: PolicyReason.HEALTH_CODE_YELLOW,
    CodeColour.RED.value: PolicyReason.HEALTH_CODE_RED,
}
_COLOUR_SEVERITY = {"green": 0, "yellow": 1, "red": 2}


@dataclass(slots=True)
class _Step:
    """The decision as it is being made: outcome, reasons, rules fired, actions."""

    outcome: Outcome | None = None
    reasons: list[PolicyReason] = field(default_factory=list)
    rules: list[FiredRule] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)

    def decide(self, outcome: Outcome, reason: PolicyReason, *rules: FiredRule) -> None:
        self.outcome = outcome
        self.reasons.insert(0, reason)
        self.rules.extend(rules)


def _best_dob(subjects: list[Subject]) -> str:
    # Subjects shown together agree (step 1); the most precise date of birth is the one to use.
    return max((s.dob for s in subjects), key=len, default="")


def _health_code(evidence: Evidence, pack: CompiledPack, at: datetime, step: _Step) -> str | None:
    """Step 2 (R1, R4). Returns the code colour seen, for the summary."""
    sources: list[tuple[str, datetime, datetime | None]] = [
        (c.colour.value, c.issued_at, c.expires_at) for c in evidence.health_codes
    ]
    lookup = evidence.id_card
    if lookup is not None and lookup.colour is not None:
        sources.append((lookup.colour.value, lookup.looked_up_at, None))
    colour = max((s[0] for s in sources), key=_COLOUR_SEVERITY.__getitem__, default=None)
    if not pack.pack.parameters.health_code_required:
        return colour
    r1, r4 = pack.requirements["R1"], pack.requirements["R4"]
    if not sources:
        step.decide(Outcome.DENY, PolicyReason.HEALTH_CODE_MISSING, r1)
        return None
    fresh = [
        s for s in sources
        if at - s[1] <= pack.health_code_max_age and (s[2] is None or at <= s[2])
    ]  # fmt: skip
    if not fresh:
        step.decide(Outcome.DENY, PolicyReason.HEALTH_CODE_STALE, r1)
        return colour
    colour = max((s[0] for s in fresh), key=_COLOUR_SEVERITY.__getitem__)
    if colour not in pack.passing_colours:
        reason = _COLOUR_REASONS.get(colour, PolicyReason.HEALTH_CODE_NOT_ACCEPTED)
        step.decide(Outcome.DENY, reason, r4)
        if colour in _COLOUR_REASONS:
            step.actions.append(Action.REPORT_TO_STREET)
    return colour


def _contraindication(
    evidence: Evidence, pack: CompiledPack, today: date
) -> tuple[int | None, PolicyReason | None]:
    """The highest level among currently valid contraindication certificates, and why a
    presented certificate does not count (None when one counts or none was shown)."""
    minimum = pack.pack.parameters.contraindication_min_level
    levels = [c.level for c in evidence.contraindications if c.valid_from <= today <= c.valid_to]
    if evidence.id_card is not None and evidence.id_card.contraindication_level is not None:
        levels.append(evidence.id_card.contraindication_level)
    level = max(levels, default=None)
    if level is not None and level >= minimum:
        return level, None
    if level is not None:
        return level, PolicyReason.CONTRAINDICATION_LEVEL_TOO_LOW
    if evidence.contraindications:
        return None, PolicyReason.CONTRAINDICATION_NOT_VALID
    return None, None


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the person's evidence establishes, before the venue's mode is applied."""

    evidence: Evidence
    mode: Mode
    age: int | None
    data: dict[str, Any]
    level: int | None
    why_not: PolicyReason | None


def _unvaccinated(facts: _Facts, pack: CompiledPack, step: _Step) -> None:
    """Step 5 (R2, R3): an eligible-age person not vaccinated for entry."""
    restrict = facts.mode is Mode.RESTRICT
    requirement = pack.requirements["R2" if restrict else "R3"]
    sufficient = facts.level is not None and facts.why_not is None
    if facts.why_not is not None:
        step.reasons.append(facts.why_not)
    if sufficient and (not restrict or pack.pack.parameters.restricted_accepts_contraindication):
        step.decide(Outcome.ADMIT, PolicyReason.CONTRAINDICATION_ACCEPTED, requirement)
    elif restrict:
        if sufficient:
            step.reasons.append(PolicyReason.CONTRAINDICATION_NOT_ACCEPTED_HERE)
        step.decide(Outcome.DENY, PolicyReason.NOT_VACCINATED_RESTRICTED, requirement)
    elif facts.evidence.registered:
        step.decide(Outcome.ADMIT_REGISTERED, PolicyReason.REGISTERED_ENTRY, requirement)
    else:
        step.decide(Outcome.PERSUADE, PolicyReason.NOT_VACCINATED_PERSUADED, requirement)
        step.actions.append(Action.REGISTER)


def _decide_eligibility(facts: _Facts, pack: CompiledPack, log: RuleLog, step: _Step) -> None:
    """Steps 3 to 5: age, vaccination, then what the venue's mode says."""
    if facts.age is not None and facts.age < pack.pack.parameters.eligible_age_years:
        step.decide(Outcome.ADMIT, PolicyReason.UNDER_ELIGIBLE_AGE, pack.requirements["R13"])
        return
    if facts.age is None:
        step.reasons.append(PolicyReason.AGE_UNKNOWN)
    if pack.vaccinated_for_entry(facts.data, log):
        step.decide(Outcome.ADMIT, PolicyReason.VACCINATED, pack.requirements["R1"])
        return
    if any(fired.error for fired in log.values()):
        step.reasons.append(PolicyReason.RULE_ERROR)
    _unvaccinated(facts, pack, step)


def _summary(facts: _Facts, pack: CompiledPack, colour: str | None) -> EvidenceSummary:
    vaccination = facts.data["payload"].get("v", ({},))[0]
    return EvidenceSummary(
        credential_types=facts.evidence.credential_types(),
        code_colour=colour,
        doses=vaccination.get("dn") or 0,
        series=vaccination.get("sd"),
        completed=pack.completed.run(facts.data, {}),
        contraindication_level=facts.level,
        age_band=age_band(facts.age),
        registered=facts.evidence.registered,
        failed=tuple(f.value for f in facts.evidence.failed),
        pack_id=pack.id,
        pack_version=pack.version,
    )


def _masked(evidence: Evidence, dob: str) -> MaskedIdentity:
    name = ""
    if evidence.health_codes:
        name = evidence.health_codes[0].masked_name
    elif evidence.id_card is not None:
        name = evidence.id_card.masked_name
    elif evidence.contraindications:
        name = evidence.contraindications[0].masked_name
    elif evidence.certificates:
        cert = evidence.certificates[0]
        full = f"{cert.fn}{cert.gn}" if isinstance(cert, DigitalCovidCertificate) else cert.name
        name = mask_name(full)
    return MaskedIdentity(name=name, dob=mask_dob(dob) if dob else "")


def _facts(evidence: Evidence, mode: Mode, pack: CompiledPack, at: datetime) -> _Facts:
    today = at.astimezone(SHANGHAI).date()  # ages and validity days count in Shanghai
    dob = _best_dob(evidence.subjects())
    born = earliest_birthday(dob) if dob else None
    level, why_not = _contraindication(evidence, pack, today)
    data = {
        "payload": build_payload(evidence, pack.products, dob),
        "external": {
            "validationClock": at.astimezone(UTC).isoformat(),
            "valueSets": pack.value_sets,
        },
    }
    age = age_on(born, today) if born is not None else None
    return _Facts(evidence, mode, age, data, level, why_not)


def evaluate(evidence: Evidence, venue: str, pack: CompiledPack, at: datetime) -> Decision:
    """Decide admit / persuade / deny for ``evidence`` at a place of category ``venue``.

    An unknown venue category or a naive ``at`` is a fault of the caller (InputError).
    """
    category = pack.categories.get(venue)
    if category is None:
        raise InputError(
            f"venue category {venue!r} is not in pack {pack.id}", code="VENUE_CATEGORY_UNKNOWN"
        )
    if at.tzinfo is None:
        raise InputError("the time of the check must be timezone-aware", code="NAIVE_DATETIME")
    step = _Step()
    subjects = evidence.subjects()
    if len(subjects) > 1 and check_together(subjects) is not Reason.OK:
        step.decide(Outcome.DENY, PolicyReason.SUBJECT_MISMATCH, pack.requirements["R1"])
    colour = _health_code(evidence, pack, at, step) if step.outcome is None else None
    facts = _facts(evidence, category.mode, pack, at)
    log: RuleLog = {}
    if step.outcome is None:
        _decide_eligibility(facts, pack, log, step)
    if evidence.failed:
        step.reasons.append(PolicyReason.CREDENTIAL_NOT_VERIFIED)
    return Decision(
        outcome=step.outcome or Outcome.DENY,
        venue=venue,
        reasons=tuple(step.reasons),
        rules=(*log.values(), *step.rules),
        actions=tuple(step.actions),
        person=_masked(evidence, facts.data["payload"]["dob"]),
        summary=_summary(facts, pack, colour),
        failures=evidence.failed,
    )
