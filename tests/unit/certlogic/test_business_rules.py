"""Every published business rule against each of its tests (business-rules suite, R13).

The data is ``{"payload": payload, "external": external}`` (the suite's README); the rule's
value must be exactly ``expected`` (a boolean), interpreted and compiled.
"""

from __future__ import annotations

import pytest

from jointcheck.certlogic import RuleReason, compile_expression, evaluate, run_rule

from .suites import business_rule_tests

TESTS = list(business_rule_tests())


def test_the_whole_suite_is_found():
    assert len(TESTS) == 533


@pytest.mark.parametrize(("logic", "data", "expected"), TESTS)
def test_interpreted(logic, data, expected):
    assert evaluate(logic, data) is expected


@pytest.mark.parametrize(("logic", "data", "expected"), TESTS)
def test_compiled_rule(logic, data, expected):
    result = run_rule(compile_expression(logic), data)
    assert result.passed is expected
    assert result.reason is (RuleReason.OK if expected else RuleReason.RULE_FAILED)
