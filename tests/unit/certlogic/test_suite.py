"""Every assertion of the CertLogic test suite, interpreted and compiled (R13).

The suite (tests/vectors/certlogic/testSuite, 232 assertions) is run as published: the
assertions marked ``skip`` (the ``data`` key for reduce, and ``in`` on null, which 1.3.3 does
not have) are left out and counted below, nothing else is.
"""

from __future__ import annotations

import json

import pytest

from jointcheck.certlogic import compile_expression, evaluate

from .suites import evaluation_assertions, skipped_assertion_count

ASSERTIONS = list(evaluation_assertions())


def _same(actual: object, expected: object) -> bool:
    # JSON equality with JSON types: true is not 1, and 1 is not "1".
    return json.dumps(actual, sort_keys=True) == json.dumps(expected, sort_keys=True)


def test_the_whole_suite_is_run_except_its_skips():
    assert len(ASSERTIONS) + skipped_assertion_count() == 232
    assert skipped_assertion_count() == 14


@pytest.mark.parametrize(("expr", "data", "expected"), ASSERTIONS)
def test_interpreted(expr, data, expected):
    assert _same(evaluate(expr, data), expected)


@pytest.mark.parametrize(("expr", "data", "expected"), ASSERTIONS)
def test_compiled(expr, data, expected):
    assert _same(compile_expression(expr)(data), expected)
