"""run_rule: the outcome of a rule is a value, never an exception (R13, house rule 1)."""

from __future__ import annotations

import pytest

from jointcheck.certlogic import CertLogicError, RuleReason, compile_expression, run_rule

MINOR = {
    "after": [
        {"dccDateOfBirth": [{"var": "payload.dob"}]},
        {"plusTime": [{"var": "external.validationClock"}, -18, "year"]},
    ]
}


def data(dob: object, clock: str = "2021-08-20T10:00:00+08:00") -> dict[str, object]:
    return {"payload": {"dob": dob}, "external": {"validationClock": clock}}


@pytest.mark.parametrize("logic", [MINOR, compile_expression(MINOR)], ids=["json", "compiled"])
def test_a_rule_passes_fails_or_errs_with_its_reason(logic):
    passed = run_rule(logic, data("2010-05"))
    assert (passed.passed, passed.reason, passed.error) == (True, RuleReason.OK, "")

    failed = run_rule(logic, data("1980-01-01"))
    assert (failed.passed, failed.reason, failed.error) == (False, RuleReason.RULE_FAILED, "")
    assert failed.value is False

    errored = run_rule(logic, data(None))
    assert (errored.passed, errored.reason) == (False, RuleReason.CERTLOGIC_ERROR)
    assert errored.error == 'operand of "dccDateOfBirth" must be a string: null'


def test_a_non_boolean_value_fails_the_rule_and_says_what_it_was():
    result = run_rule({"var": "payload.dob"}, data("2010-05"))
    assert (result.passed, result.reason) == (False, RuleReason.RULE_FAILED)
    assert result.value == "2010-05"
    assert result.error == 'the rule evaluated to "2010-05", not a boolean'
    truthy = run_rule({"and": [True, 1]}, None)
    assert (truthy.passed, truthy.reason) == (False, RuleReason.RULE_FAILED)


def test_an_invalid_rule_is_an_error_value_too():
    result = run_rule({"var": 0}, None)
    assert result.reason == RuleReason.CERTLOGIC_ERROR
    assert result.error == 'not of the form { "var": "<path>" }'
    deep = run_rule(_nested(5000), None)
    assert (deep.reason, deep.error) == (
        RuleReason.CERTLOGIC_ERROR,
        "expression nested too deeply to evaluate",
    )
    with pytest.raises(CertLogicError, match="nested too deeply"):
        compile_expression(_nested(5000))


def test_the_reasons_are_plain_strings_for_callers():
    assert run_rule(True, None).reason == "OK"
    assert run_rule(False, None).reason == "RULE_FAILED"
    assert run_rule({"nope": []}, None).reason == "CERTLOGIC_ERROR"


def _nested(depth: int) -> object:
    expr: object = True
    for _ in range(depth):
        expr = {"!": [{"!": [expr]}]}
    return expr
