"""Paper health codes in the policy (issue 4): their own maximum age, and packs that refuse them."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from jointcheck.credentials.model import HealthCode
from jointcheck.errors import PolicyPackError
from jointcheck.policy import load_pack, shipped_pack_text
from jointcheck.policy.reasons import Outcome, PolicyReason

from .factories import decide, edited_pack, evaluate_at, health_code, shown, vaccinated

_MAX_AGE = "  health_code_max_age_seconds: 210\n"


def _paper(age: timedelta, colour: str = "green") -> HealthCode:
    return dataclasses.replace(health_code(colour, age=age), paper=True)


def test_a_paper_code_of_23_hours_is_admitted_where_a_dynamic_one_is_stale() -> None:
    paper = decide(shown(_paper(timedelta(hours=23)), vaccinated(2, 2)))
    assert paper.outcome is Outcome.ADMIT
    old = health_code(age=timedelta(hours=23))
    assert decide(shown(old, vaccinated(2, 2))).reasons == (PolicyReason.HEALTH_CODE_STALE,)


def test_a_paper_code_older_than_a_day_is_stale_by_default() -> None:
    decision = decide(shown(_paper(timedelta(hours=25)), vaccinated(2, 2)))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (PolicyReason.HEALTH_CODE_STALE,)


def test_a_paper_code_keeps_its_colour_rules() -> None:
    decision = decide(shown(_paper(timedelta(hours=2), "yellow"), vaccinated(2, 2)))
    assert decision.reasons[0] is PolicyReason.HEALTH_CODE_YELLOW


def test_a_pack_can_cap_the_age_of_paper_codes() -> None:
    capped = edited_pack("fangzi-2021", _MAX_AGE, _MAX_AGE + "  paper_code_max_age_hours: 4\n")
    assert capped.paper_code_max_age == timedelta(hours=4)
    ok = evaluate_at(shown(_paper(timedelta(hours=3)), vaccinated(2, 2)), "hotels", capped)
    late = evaluate_at(shown(_paper(timedelta(hours=5)), vaccinated(2, 2)), "hotels", capped)
    assert ok.outcome is Outcome.ADMIT
    assert late.reasons == (PolicyReason.HEALTH_CODE_STALE,)


def test_a_pack_can_refuse_paper_codes() -> None:
    refusing = edited_pack("fangzi-2021", _MAX_AGE, _MAX_AGE + "  paper_code_max_age_hours: 0\n")
    paper = evaluate_at(shown(_paper(timedelta(0)), vaccinated(2, 2)), "hotels", refusing)
    assert paper.outcome is Outcome.DENY
    assert paper.reasons == (PolicyReason.PAPER_CODE_NOT_ACCEPTED,)
    both = shown(_paper(timedelta(minutes=1)), health_code(), vaccinated(2, 2))
    assert evaluate_at(both, "hotels", refusing).outcome is Outcome.ADMIT
    assert evaluate_at(shown(health_code(), vaccinated(2, 2)), "hotels", refusing).outcome is (
        Outcome.ADMIT
    )


@pytest.mark.parametrize("bad", ["-1", "721", "'24'"])
def test_a_bad_paper_code_age_is_refused_by_the_schema(bad: str) -> None:
    text = shipped_pack_text("fangzi-2021").replace(
        _MAX_AGE, _MAX_AGE + f"  paper_code_max_age_hours: {bad}\n"
    )
    with pytest.raises(PolicyPackError):
        load_pack(text)
