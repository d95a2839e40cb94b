"""A paper health code at the entrance (issue 4): no replay warning, the printed-at time on
screen, and online the authority's current colour instead of the printed one."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from jointcheck.checkpoint.model import Outcome
from jointcheck.credentials.model import CodeColour, HealthCode

from .factories import NOW, FakeVerifier, checkpoint, health_code, verified


def _paper(colour: CodeColour = CodeColour.GREEN) -> HealthCode:
    # Printed at 08:30 Shanghai time, valid for a day.
    printed = NOW - timedelta(minutes=90)
    return dataclasses.replace(
        health_code(colour), issued_at=printed, expires_at=printed + timedelta(hours=24), paper=True
    )


def _verifier() -> FakeVerifier:
    return FakeVerifier({"PAPER": verified(_paper()), "DYNAMIC": verified(health_code())})


def test_a_paper_code_shown_twice_at_one_place_is_no_duplicate() -> None:
    cp = checkpoint(_verifier())
    cp.scan(["PAPER"], NOW)
    again, screen = cp.scan(["PAPER"], NOW + timedelta(minutes=20))
    assert "DUPLICATE_PRESENTATION" not in again.reasons
    assert "已在本场所出示过" not in screen.message_zh
    cp.scan(["DYNAMIC"], NOW)
    dynamic, _ = cp.scan(["DYNAMIC"], NOW + timedelta(seconds=20))
    assert "DUPLICATE_PRESENTATION" in dynamic.reasons


def test_the_screen_says_paper_and_when_it_was_printed() -> None:
    record, screen = checkpoint(_verifier()).scan(["PAPER"], NOW)
    assert "PAPER_CODE" in record.reasons
    assert "打印于 08:30" in screen.message_zh
    assert "Paper health code, printed at 08:30" in screen.message_en


def test_offline_the_printed_colour_stands_and_the_screen_says_so() -> None:
    record, screen = checkpoint(_verifier()).scan(["PAPER"], NOW)
    assert record.outcome is Outcome.PERSUADE  # green alone, in the fake policy
    assert "PAPER_COLOUR_AS_PRINTED" in record.reasons
    assert "as of printing" in screen.message_en


def test_online_the_current_colour_wins_over_the_printed_one() -> None:
    asked: list[str] = []

    def current(subject_hash: str) -> CodeColour:
        asked.append(subject_hash)
        return CodeColour.YELLOW

    cp = dataclasses.replace(checkpoint(_verifier()), current_colour=current)
    record, screen = cp.scan(["PAPER"], NOW)
    assert asked == ["ab" * 32]
    assert record.outcome is Outcome.DENY
    assert "CODE_NOT_GREEN" in record.reasons
    assert "PAPER_COLOUR_CURRENT" in record.reasons
    assert "current colour applies" in screen.message_en
    # A dynamic code is never looked up: its colour is minutes old.
    dynamic, _ = cp.scan(["DYNAMIC"], NOW)
    assert asked == ["ab" * 32]
    assert "PAPER_CODE" not in dynamic.reasons


def test_online_with_the_person_unknown_the_printed_colour_stands() -> None:
    cp = dataclasses.replace(checkpoint(_verifier()), current_colour=lambda _h: None)
    record, _ = cp.scan(["PAPER"], NOW)
    assert "PAPER_COLOUR_AS_PRINTED" in record.reasons
