"""The masked names of refusals kept for their overrides (issue 4): refusals only, bounded."""

from __future__ import annotations

from jointcheck.checkpoint.model import TONES, Outcome, ScreenResult
from jointcheck.checkpoint.registration import ShownNames


def screen(check_id: str, outcome: Outcome, name: str = "张*三") -> ScreenResult:
    return ScreenResult(check_id, outcome, TONES[outcome], name, (), "", "", stale=False)


def test_only_refusals_are_remembered():
    names = ShownNames()
    names.remember([screen("a", Outcome.DENY), screen("b", Outcome.ADMIT, "李*四")])
    assert names.name_of("a") == "张*三"
    assert names.name_of("b") == ""  # an admitted check is never overridden
    assert names.name_of("unknown") == ""


def test_past_its_size_the_oldest_are_forgotten():
    names = ShownNames(size=2)
    names.remember([screen(c, Outcome.DENY, f"{c}*") for c in ("a", "b", "c")])
    assert [names.name_of(c) for c in ("a", "b", "c")] == ["", "b*", "c*"]
