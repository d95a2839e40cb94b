"""Every outcome, reason code and action has a zh-CN and an en message (house rule 2)."""

from __future__ import annotations

import pytest

from jointcheck.credentials.reasons import Reason
from jointcheck.policy import Action, Outcome, PolicyReason
from jointcheck.policy.reasons import action_message, message, outcome_message


@pytest.mark.parametrize("reason", list(PolicyReason))
def test_every_policy_reason_speaks_both_languages(reason: PolicyReason) -> None:
    zh, en = message(reason, "zh_CN"), message(reason, "en")
    assert zh
    assert en
    assert zh != en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)


def test_outcomes_and_actions_speak_both_languages() -> None:
    for outcome in Outcome:
        assert outcome_message(outcome, "zh_CN") != outcome_message(outcome, "en")
    for action in Action:
        assert action_message(action, "zh_CN") != action_message(action, "en")


def test_a_credential_reason_in_a_decision_keeps_its_own_message() -> None:
    assert message(Reason.EXPIRED, "en").startswith("Expired")
