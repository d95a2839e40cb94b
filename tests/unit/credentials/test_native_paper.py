"""The paper health code (issue 4): the same ``JKM1:`` credential, marked as paper, with a
lifetime of hours, verified like the dynamic one and kept out of the replay ledger."""

from __future__ import annotations

from datetime import timedelta

import district as d
import pytest

from jointcheck.credentials.model import HealthCode
from jointcheck.credentials.native import DEFAULT_PAPER_CODE_TTL, verify_health_code
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.replay import PresentationLedger
from jointcheck.credentials.verify import verify


def _paper() -> str:
    return d.health_code(paper=True, ttl=DEFAULT_PAPER_CODE_TTL)


def test_default_paper_lifetime_is_a_day() -> None:
    assert timedelta(hours=24) == DEFAULT_PAPER_CODE_TTL


@pytest.mark.parametrize(
    ("after", "reason"),
    [(timedelta(hours=23), Reason.OK), (timedelta(hours=25), Reason.EXPIRED)],
)
def test_paper_code_is_valid_at_23_hours_and_expired_at_25(
    after: timedelta, reason: Reason
) -> None:
    result = verify(_paper(), d.context(at=d.NOW + after))
    assert result.reason is reason


def test_paper_code_is_typed_and_reported_as_paper() -> None:
    result = verify(_paper(), d.context(at=d.NOW + timedelta(hours=1)))
    assert result.valid
    assert result.paper
    code = result.credential
    assert isinstance(code, HealthCode)
    assert code.paper
    assert code.expires_at - code.issued_at == timedelta(hours=24)
    assert result.steps["expiry"] is True


def test_dynamic_code_is_not_paper_and_keeps_its_three_minutes() -> None:
    text = d.health_code()
    fresh = verify(text, d.context())
    assert fresh.valid
    assert not fresh.paper
    assert isinstance(fresh.credential, HealthCode)
    assert not fresh.credential.paper
    assert verify(text, d.context(at=d.NOW + timedelta(hours=1))).reason is Reason.EXPIRED


def test_paper_code_expiry_has_the_same_skew_allowance() -> None:
    text = _paper()
    edge = d.NOW + DEFAULT_PAPER_CODE_TTL
    assert verify(text, d.context(at=edge + timedelta(seconds=30))).valid
    assert verify(text, d.context(at=edge + timedelta(seconds=31))).reason is Reason.EXPIRED


def test_paper_code_signed_by_a_key_without_the_role_is_refused() -> None:
    text = d.health_code(d.HOSPITAL_SEED, paper=True, ttl=DEFAULT_PAPER_CODE_TTL)
    assert verify(text, d.context()).reason is Reason.ISSUER_ROLE_MISSING


def test_paper_code_shown_twice_is_no_duplicate_while_a_dynamic_one_is() -> None:
    ledger = PresentationLedger()
    paper, dynamic = _paper(), d.health_code()
    for text in (paper, dynamic):
        ledger.check(verify_health_code(text, d.context()), "gate", d.NOW)
    later = d.NOW + timedelta(seconds=20)
    again = ledger.check(verify_health_code(paper, d.context(at=later)), "gate", later)
    dup = ledger.check(verify_health_code(dynamic, d.context(at=later)), "gate", later)
    assert again.valid
    assert again.warnings == ()
    assert dup.warnings == (Reason.DUPLICATE_PRESENTATION,)
