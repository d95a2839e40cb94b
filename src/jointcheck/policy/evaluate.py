"""``evaluate(evidence, venue, pack, at) -> Decision``: the joint check for one person (R1-R4).

Pure: the clock is the ``at`` parameter, the policy the compiled pack. The steps, in order,
each citing the requirement it implements:

1. Credentials of different people shown together: DENY, SUBJECT_MISMATCH (issue 2).
2. Health code (R1: checked together with the vaccination certificate; R4: a code that is not
   green does not enter and is reported to the street). No valid health code is a DENY with
   HEALTH_CODE_MISSING, not a PERSUADE: R1 makes the code half of the joint check at every
   place, and persuasion (R3) is only the answer to a missing vaccination. A code older than
   the pack's maximum age is HEALTH_CODE_STALE; a paper code (issue 4) has the pack's own
   ``paper_code_max_age_hours`` instead (default 24 h), and a pack that sets it to 0 refuses
   paper codes (PAPER_CODE_NOT_ACCEPTED).
3. Under the eligible age (the Asia/Shanghai date of the check): ADMIT, no certificate needed.
4. Vaccinated for entry (the pack's CertLogic condition): ADMIT.
5. Not vaccinated: a valid contraindication certificate of sufficient level admits (R3; at a
   restricted place only if the pack says restricted places accept it, R2); otherwise a
   restricted place denies (R2) and any other place persuades, or admits after registration
   (R3).

A checkpoint decides after verifying each code's signature; this function is written to cost
a small fraction of one verification (``jointcheck bench decision``): no dataclass is built
per step and CertLogic runs compiled.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from jointcheck.credentials.masking import mask_dob, mask_name
from jointcheck.credentials.model import DigitalCovidCertificate, Subject
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.subject import check_together, same_subject
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
from jointcheck.policy.pack import Mode, VenueCategory
from jointcheck.policy.payload import build_payload
from jointcheck.policy.reasons import Action, Outcome, PolicyReason

SHANGHAI = ZoneInfo("Asia/Shanghai")
_SEVERITY = {"green": 0, "yellow": 1, "red": 2}
_COLOUR_REASONS = {"yellow": PolicyReason.HEALTH_CODE_YELLOW, "red": PolicyReason.HEALTH_CODE_RED}
_REPORT = (Action.REPORT_TO_STREET,)
_REGISTER = (Action.REGISTER,)
# The named tuples of a decision are built in field order without their generated __new__:
# a third of the cost, for three values made per person (jointcheck bench decision).
_new = tuple.__new__

# A verdict: the outcome, its reasons (the decisive one first), the requirements it applies
# (R-ids: R1/R4 for the health code, the venue category's own for the rest) and the actions
# it asks for.
Verdict = tuple[Outcome, tuple[PolicyReason, ...], tuple[FiredRule, ...], tuple[Action, ...]]


def _age(subjects: list[Subject], today: date) -> tuple[str, int | None]:
    """The most precise date of birth shown (subjects shown together agree, step 1) and the
    age it gives on ``today``, read conservatively (``earliest_birthday``)."""
    dob = ""
    for subject in subjects:
        if len(subject.dob) > len(dob):
            dob = subject.dob
    if not dob:
        return dob, None
    born = earliest_birthday(dob)
    return dob, (age_on(born, today) if born is not None else None)


def _together(subjects: list[Subject]) -> bool:
    """Step 1 (issue 2, subject binding): every credential is about the same person."""
    if len(subjects) == 2:  # noqa: PLR2004 - a code and a certificate, the usual pair
        return same_subject(subjects[0], subjects[1])
    return check_together(subjects) is Reason.OK


def _code_sources(evidence: Evidence, pack: CompiledPack) -> list[tuple[str, datetime, timedelta]]:
    """Colours with the instant each was established (a code's issue, a look-up, R14) and
    how old the pack lets it be (a paper code's own limit, issue 4).

    A code's own expiry is the verification's business (with its clock-skew allowance); the
    pack's maximum age is the policy's own limit on how old a colour may be.
    """
    dynamic, paper = pack.health_code_max_age, pack.paper_code_max_age
    sources: list[tuple[str, datetime, timedelta]] = [
        (c.colour, c.issued_at, paper if c.paper else dynamic) for c in evidence.health_codes
    ]
    lookup = evidence.id_card
    if lookup is not None and lookup.colour is not None:
        sources.append((lookup.colour, lookup.looked_up_at, dynamic))  # R14: the server's colour
    return sources


def _health_code(
    evidence: Evidence, pack: CompiledPack, at: datetime
) -> tuple[str | None, Verdict | None]:
    """Step 2 (R1, R4): the worst colour seen (for the summary) and a DENY, if any."""
    codes = evidence.health_codes
    if len(codes) == 1 and evidence.id_card is None and pack.health_code_required:
        # The usual case, one code and no look-up, without building lists; a colour that
        # does not pass goes on to the general path, which words the refusal.
        code = codes[0]
        limit = pack.paper_code_max_age if code.paper else pack.health_code_max_age
        if not limit or at - code.issued_at > limit:
            why = PolicyReason.HEALTH_CODE_STALE if limit else PolicyReason.PAPER_CODE_NOT_ACCEPTED
            return code.colour, (Outcome.DENY, (why,), pack.requirements["R1"], ())
        if code.colour in pack.passing_colours:
            return code.colour, None
    sources = _code_sources(evidence, pack)
    worst = max((s[0] for s in sources), key=_SEVERITY.__getitem__, default=None)
    if not pack.health_code_required:
        return worst, None
    r1 = pack.requirements["R1"]
    if not sources:
        return None, (Outcome.DENY, (PolicyReason.HEALTH_CODE_MISSING,), r1, ())
    fresh = [c for c, established, limit in sources if limit and at - established <= limit]
    if not fresh:
        refused = all(not limit for _, _, limit in sources)  # only paper, which the pack refuses
        why = PolicyReason.PAPER_CODE_NOT_ACCEPTED if refused else PolicyReason.HEALTH_CODE_STALE
        return worst, (Outcome.DENY, (why,), r1, ())
    colour = max(fresh, key=_SEVERITY.__getitem__)
    return colour, _colour_verdict(colour, pack)


def _colour_verdict(colour: str, pack: CompiledPack) -> Verdict | None:
    """R4: a colour the pack does not pass is refused; yellow and red go to the street."""
    if colour in pack.passing_colours:
        return None
    reason = _COLOUR_REASONS.get(colour)
    if reason is None:  # a pack that does not pass green
        return Outcome.DENY, (PolicyReason.HEALTH_CODE_NOT_ACCEPTED,), pack.requirements["R1"], ()
    return Outcome.DENY, (reason,), pack.requirements["R4"], _REPORT


def _contraindication(
    evidence: Evidence, minimum: int, today: date
) -> tuple[int | None, PolicyReason | None]:
    """The highest level among currently valid contraindication certificates, and why a
    presented certificate does not count (None when one counts or none was shown)."""
    level: int | None = None
    for cert in evidence.contraindications:
        if cert.valid_from <= today <= cert.valid_to and (level is None or cert.level > level):
            level = cert.level
    lookup = evidence.id_card
    if lookup is not None and lookup.contraindication_level is not None:
        level = max(level or 0, lookup.contraindication_level)
    if level is not None:
        return level, (None if level >= minimum else PolicyReason.CONTRAINDICATION_LEVEL_TOO_LOW)
    if evidence.contraindications:
        return None, PolicyReason.CONTRAINDICATION_NOT_VALID
    return None, None


def _unvaccinated(
    category: VenueCategory,
    registered: bool,
    why_not: PolicyReason | None,
    sufficient: bool,
    pack: CompiledPack,
) -> Verdict:
    """Step 5 (R2, R3): an eligible-age person not vaccinated for entry."""
    extra = () if why_not is None else (why_not,)
    cited = pack.category_requirements[category.id]
    if category.mode is Mode.RESTRICT:
        if sufficient and pack.restricted_accepts_contraindication:
            return Outcome.ADMIT, (PolicyReason.CONTRAINDICATION_ACCEPTED,), cited, ()
        if sufficient:
            extra = (PolicyReason.CONTRAINDICATION_NOT_ACCEPTED_HERE,)
        return Outcome.DENY, (PolicyReason.NOT_VACCINATED_RESTRICTED, *extra), cited, ()
    if sufficient:
        return Outcome.ADMIT, (PolicyReason.CONTRAINDICATION_ACCEPTED,), cited, ()
    if registered:
        return Outcome.ADMIT_REGISTERED, (PolicyReason.REGISTERED_ENTRY, *extra), cited, ()
    return Outcome.PERSUADE, (PolicyReason.NOT_VACCINATED_PERSUADED, *extra), cited, _REGISTER


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
        if isinstance(cert, DigitalCovidCertificate):
            # 张 + 三 is written 张三; Mustermann + Erika keeps its space (masked per word).
            full = f"{cert.fn} {cert.gn}".strip() if cert.fn.isascii() else f"{cert.fn}{cert.gn}"
        else:
            full = cert.name
        name = mask_name(full)
    return _new(MaskedIdentity, (name, mask_dob(dob) if dob else ""))


def _data(evidence: Evidence, pack: CompiledPack, dob: str, at: datetime) -> dict[str, Any]:
    """The CertLogic data of the EU business-rules convention (payload + external)."""
    payload = build_payload(evidence, pack.products, dob)
    if not pack.reads_clock:  # no rule reads the clock: skip formatting it
        return {"payload": payload, "external": pack.external}
    clock = (at if at.tzinfo is UTC else at.astimezone(UTC)).isoformat()
    return {"payload": payload, "external": {"validationClock": clock, **pack.external}}


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
    subjects = evidence.subjects()
    colour: str | None = None
    verdict: Verdict | None = None
    if len(subjects) > 1 and not _together(subjects):
        cited = pack.category_requirements[venue]
        verdict = (Outcome.DENY, (PolicyReason.SUBJECT_MISMATCH,), cited, ())
    else:
        colour, verdict = _health_code(evidence, pack, at)
    today = at.astimezone(SHANGHAI).date()  # ages and validity days count in Shanghai
    dob, age = _age(subjects, today)
    level, why_not = _contraindication(evidence, pack.contraindication_min_level, today)
    data = _data(evidence, pack, dob, at)
    log: RuleLog = {}
    if verdict is None:
        verdict = _eligibility(evidence, category, pack, age, data, log, (level, why_not))
    outcome, reasons, requirements, actions = verdict
    if evidence.failed:
        reasons = (*reasons, PolicyReason.CREDENTIAL_NOT_VERIFIED)
    fired = (*log.values(), *requirements) if log else requirements
    summary = _summary(evidence, pack, data, log, colour, level, age)
    person = _masked(evidence, dob)
    return _new(
        Decision, (outcome, venue, reasons, fired, actions, person, summary, evidence.failed)
    )


def _eligibility(
    evidence: Evidence,
    category: VenueCategory,
    pack: CompiledPack,
    age: int | None,
    data: dict[str, Any],
    log: RuleLog,
    contraindication: tuple[int | None, PolicyReason | None],
) -> Verdict:
    """Steps 3 to 5: age, vaccination, then what the venue's mode says."""
    cited = pack.category_requirements[category.id]
    if age is not None and age < pack.eligible_age_years:
        return Outcome.ADMIT, (PolicyReason.UNDER_ELIGIBLE_AGE,), cited, ()
    if pack.vaccinated_for_entry(data, log):
        verdict: Verdict = (Outcome.ADMIT, (PolicyReason.VACCINATED,), cited, ())
    else:
        level, why_not = contraindication
        sufficient = level is not None and why_not is None
        verdict = _unvaccinated(category, evidence.registered, why_not, sufficient, pack)
        if any(fired.error for fired in log.values()):
            verdict = (verdict[0], (*verdict[1], PolicyReason.RULE_ERROR), *verdict[2:])
    if age is None:
        verdict = (verdict[0], (*verdict[1], PolicyReason.AGE_UNKNOWN), *verdict[2:])
    return verdict


def _summary(
    evidence: Evidence,
    pack: CompiledPack,
    data: dict[str, Any],
    log: RuleLog,
    colour: str | None,
    level: int | None,
    age: int | None,
) -> EvidenceSummary:
    vaccinations = data["payload"].get("v")
    vaccination = vaccinations[0] if vaccinations else {}
    completed = log.get(pack.completed.id)
    return _new(
        EvidenceSummary,
        (
            evidence.credential_types(),
            colour,
            vaccination.get("dn") or 0,
            vaccination.get("sd"),
            completed.passed is True if completed else pack.completed.passes(data),
            level,
            age_band(age),
            evidence.registered,
            evidence.failed,
            pack.id,
            pack.version,
        ),
    )
