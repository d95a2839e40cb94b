"""Every case of the CertLogic validation suite: the same issues, with the same texts."""

from __future__ import annotations

import re

import pytest

from jointcheck.certlogic import CertLogicError, compile_expression, validate

from .suites import validation_cases

CASES = list(validation_cases())


def test_the_suite_is_found():
    assert len(CASES) == 23


@pytest.mark.parametrize(("expr", "issues"), CASES)
def test_validator(expr, issues):
    assert [issue.as_dict() for issue in validate(expr)] == issues


@pytest.mark.parametrize(("expr", "issues"), CASES)
def test_compiler_refuses_exactly_the_invalid(expr, issues):
    if not issues:
        compile_expression(expr)
        return
    with pytest.raises(CertLogicError, match="^" + re.escape(issues[0]["message"])):
        compile_expression(expr)


# Beyond the suite: the reference validator's texts and order for the operations the suite
# does not cover (checked against certlogic-js validateFormat).
MORE = [
    (
        {"plusTime": [{"var": "x."}, 1.5, "days"]},
        [
            ({"var": "x."}, "data access path doesn't have a valid format: x."),
            (None, '"amount" argument (#2) of "plusTime" must be an integer, but it is: 1.5'),
            (
                None,
                '"unit" argument (#3) of "plusTime" must be a string equal to one of year, month, day, hour, but it is: days',
            ),
        ],
    ),
    (
        {"if": [True, 1]},
        [(None, 'an "if"-operation must have exactly 3 values/operands, but it has 2')],
    ),
    (
        {"!": [{"var": 0}, 1]},
        [(None, "a !-operation (logical not/negation) must have exactly 1 operand, but it has 2")],
    ),
    (
        {"extractFromUVCI": [{"var": "u"}, [1, None, "a"]]},
        [(None, '"index" argument (#2) of "extractFromUVCI" must be an integer, but it is: 1,,a')],
    ),
    (
        {"===": [1, 2, 0.0000015]},
        [(None, 'an operation with operator "===" must have 2 operands, but it has 3')],
    ),
    (
        [1e-7, 0.000015, {"in": [1, {"max": []}]}],
        [
            (1e-7, "1e-7 is a non-integer number"),
            (0.000015, "0.000015 is a non-integer number"),
            ({"max": []}, 'unrecognised operator: "max"'),
        ],
    ),
]


@pytest.mark.parametrize(("expr", "issues"), MORE)
def test_validator_texts_beyond_the_suite(expr, issues):
    expected = [{"expr": expr if at is None else at, "message": text} for at, text in issues]
    assert [issue.as_dict() for issue in validate(expr)] == expected
