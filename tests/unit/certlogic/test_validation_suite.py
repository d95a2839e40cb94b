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
