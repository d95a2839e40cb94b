"""Behaviour the suites leave open but the spec states, in both evaluation modes.

Each case is an expression, its data, and either the value it must give or ``ERROR`` when the
spec says the evaluator throws (the rule then fails with CERTLOGIC_ERROR).
"""

from __future__ import annotations

import json

import pytest

from jointcheck.certlogic import CertLogicError, compile_expression, evaluate

ERROR = object()

DATE = {"plusTime": ["2021-06-01", 0, "day"]}

CASES = [
    # Truthiness (spec, "Truthy and falsy values"): a non-integer number or a date-time is
    # neither, and if, !, and refuse it; an integral number is an integer.
    ({"if": [{"var": "x"}, 1, 2]}, {"x": 1.5}, ERROR),
    ({"if": [{"var": "x"}, 1, 2]}, {"x": 2.0}, 1),
    ({"if": [{"var": "x"}, 1, 2]}, {"x": {"k": None}}, 1),
    ({"if": [DATE, 1, 2]}, None, ERROR),
    ({"!": [{"var": "x"}]}, {"x": 0.5}, ERROR),
    ({"!": [DATE]}, None, ERROR),
    ({"and": [{"var": "x"}, True]}, {"x": 0.5}, ERROR),
    ({"and": [True, {"var": "x"}]}, {"x": 0.5}, ERROR),
    ({"and": [False, {"var": "x"}]}, {"x": 0.5}, False),
    ({"and": [{"var": "x"}, {"var": "y"}]}, {"x": [1], "y": "y"}, "y"),
    # === is JavaScript's: typed, and by identity for arrays, objects and date-times.
    ({"===": [1, True]}, None, False),
    ({"===": [{"var": "x"}, 1]}, {"x": True}, False),
    ({"===": [{"var": "x"}, 1]}, {"x": 1.0}, True),
    ({"===": [{"var": "x"}, "1"]}, {"x": 1}, False),
    ({"===": [{"var": "x"}, {"var": "y"}]}, {"x": None, "y": None}, True),
    ({"===": [[1], [1]]}, None, False),
    ({"===": [{"var": "x"}, {"var": "x"}]}, {"x": [1]}, True),
    ({"===": [DATE, DATE]}, None, False),
    ({"===": [True, {"!": [0]}]}, None, True),
    # in: the right-hand side must be an array; membership is ===.
    ({"in": [{"var": "x"}, {"var": "y"}]}, {"x": "a", "y": None}, ERROR),
    ({"in": [{"var": "x"}, {"var": "y"}]}, {"x": "a", "y": "abc"}, ERROR),
    ({"in": [{"var": "x"}, ["1", 2, True]]}, {"x": 1}, False),
    ({"in": [{"var": "x"}, ["1", 2, True]]}, {"x": 2}, True),
    ({"in": [{"var": "x"}, ["1", 2, True]]}, {"x": True}, True),
    ({"in": [{"var": "x"}, [[1]]]}, {"x": [1]}, False),
    ({"in": [{"var": "x.0"}, {"var": "x"}]}, {"x": [[1]]}, True),
    # Comparisons take integers only, in both forms, all operands evaluated.
    ({"<": [{"var": "x"}, 2]}, {"x": "1"}, ERROR),
    ({"<": [{"var": "x"}, 2]}, {"x": None}, ERROR),
    ({"<": [{"var": "x"}, 2]}, {"x": 1.5}, ERROR),
    ({">=": [{"var": "x"}, 2]}, {"x": 2.0}, True),
    ({"<": [1, 0, {"var": "x"}]}, {"x": "z"}, ERROR),
    ({"<": [DATE, DATE]}, None, ERROR),
    ({"before": [DATE, {"var": "x"}]}, {"x": "2021-06-02"}, ERROR),
    ({"not-after": [DATE, DATE, {"plusTime": ["2021-06-01", 1, "day"]}]}, None, True),
    ({"after": [DATE, DATE]}, None, False),
    ({"+": [{"var": "x"}, 1]}, {"x": "1"}, ERROR),
    ({"+": [{"var": "x"}, 1]}, {"x": 2}, 3),
    ({"+": [1, {"var": "x"}]}, {"x": None}, ERROR),
    # JSON has one number type: an integral float is that integer, and stays one.
    ({"+": [{"var": "x"}, 2]}, {"x": 1.0}, 3),
    (2.0, None, 2),
    ([2.0, "a"], None, [2, "a"]),
    # reduce: null gives the initial value; anything else but an array is an error; the lambda
    # sees only accumulator and current (1.3.3 has no "data" key).
    ({"reduce": [{"var": "x"}, {"var": "accumulator"}, 7]}, {"x": "abc"}, ERROR),
    ({"reduce": [{"var": "x"}, {"var": "data"}, 7]}, {"x": [1]}, None),
    ({"reduce": [[1, 2, 3], {"+": [{"var": "accumulator"}, {"var": "current"}]}, 0]}, None, 6),
    # extractFromUVCI: a string or null only; the prefix is case-sensitive.
    ({"extractFromUVCI": [{"var": "x"}, 0]}, {"x": 42}, ERROR),
    ({"extractFromUVCI": [{"var": "x"}, 0]}, {"x": "urn:uvci:01"}, "urn"),
    ({"extractFromUVCI": [{"var": "x"}, 1]}, {"x": "URN:UVCI:01:NL"}, "NL"),
    # var: paths drill into objects and arrays only; a negative index is no index.
    ({"var": "x.0"}, {"x": "abc"}, None),
    ({"var": "x.length"}, {"x": [1, 2]}, None),
    ({"var": "x.-1"}, {"x": [1, 2]}, None),
    ({"var": "x.1"}, {"x": {"1": "one"}}, "one"),
    ({"var": "x.0.y"}, {"x": ["abc"]}, None),
    ({"var": "a.b.c.d.e.f"}, {"a": {"b": {"c": {"d": {"e": {"f": 6}}}}}}, 6),
    ({"var": "a.b.c.d.e.f"}, {"a": {"b": {"c": {"d": {"e": []}}}}}, None),
    ({"var": "x.y"}, {"x": None}, None),
    # Invalid expressions are errors when evaluated.
    ({"var": "x."}, {"x": 1}, ERROR),
    ({"if": [True, 1]}, None, ERROR),
    ({"===": [1, 1, 1]}, None, ERROR),
    ({"plusTime": ["2021-06-01", 1.5, "day"]}, None, ERROR),
    ({"plusTime": ["2021-06-01", 1, "days"]}, None, ERROR),
    ({"max": [1, 2]}, None, ERROR),
]


def outcome(run, expr, data):
    try:
        value = run(expr, data)
    except CertLogicError:
        return ERROR
    if value is None or isinstance(value, bool | int | str | list | dict):
        return json.loads(json.dumps(value))
    return value


def interpreted(expr, data):
    return evaluate(expr, data)


def compiled(expr, data):
    return compile_expression(expr)(data)


@pytest.mark.parametrize("run", [interpreted, compiled])
@pytest.mark.parametrize(("expr", "data", "expected"), CASES, ids=[json.dumps(c[0]) for c in CASES])
def test_spec_semantics(run, expr, data, expected):
    result = outcome(run, expr, data)
    assert result is expected if expected is ERROR else (result == expected)
    if expected is not ERROR:
        assert type(result) is type(expected)


def test_an_unevaluated_branch_is_not_checked_when_interpreted_but_is_when_compiled():
    # Spec: the evaluator checks each operation before evaluating its operands; the compiler
    # validates the whole expression at once (a policy pack with a broken rule must not load).
    expr = {"if": [True, 1, {"max": [1, 2]}]}
    assert evaluate(expr, None) == 1
    with pytest.raises(CertLogicError, match='unrecognised operator: "max"'):
        compile_expression(expr)


def test_a_literal_array_is_a_new_array_on_every_evaluation():
    run = compile_expression(["a", "b"])
    first = run(None)
    first.append("c")
    assert run(None) == ["a", "b"]
