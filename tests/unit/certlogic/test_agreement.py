"""The compiler and the interpreter agree on generated expressions and data (property test).

Expressions are drawn from the whole language, valid by construction; each is run both ways
on data that covers every JSON kind. They must give the same value, or both raise.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jointcheck.certlogic import CertLogicError, DateTime, compile_expression, evaluate

DATA = {
    "i": 3,
    "z": 0,
    "f": 2.5,
    "s": "x",
    "e": "",
    "n": None,
    "t": True,
    "a": [1, "x", None, [2]],
    "o": {"k": "2021-06-01T12:00:00+02:00", "d": "2004-02"},
    "u": "URN:UVCI:01:NL:187/37512422923",
    "c": "2021-08-20T10:00:00Z",
}
PATHS = ["", "i", "z", "f", "s", "e", "n", "t", "a", "a.0", "a.3.0", "a.9", "o", "o.k", "o.d"]
PATHS += ["u", "c", "missing.deep", "s.0"]
DATES = ["2021-06-01", "2004", "2020-02", "2021-06-01T12:00:00.12345-1:30", "bad", ""]

literals = st.one_of(
    st.integers(-3, 3), st.booleans(), st.sampled_from(["x", "", *DATES]), st.just(1.0)
)
variables = st.builds(lambda p: {"var": p}, st.sampled_from(PATHS))


def _operations(children: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    pair = st.lists(children, min_size=2, max_size=2)
    two_or_three = st.lists(children, min_size=2, max_size=3)
    date_operand = st.one_of(children, st.sampled_from(DATES), variables)
    plus_time = st.builds(
        lambda d, n, u: {"plusTime": [d, n, u]},
        date_operand,
        st.integers(-30, 30),
        st.sampled_from(["year", "month", "day", "hour"]),
    )
    dates = st.one_of(plus_time, st.builds(lambda d: {"dccDateOfBirth": [d]}, date_operand))
    return st.one_of(
        st.builds(lambda g, t, e: {"if": [g, t, e]}, children, children, children),
        st.builds(lambda ops: {"and": ops}, st.lists(children, min_size=2, max_size=4)),
        st.builds(lambda op: {"!": [op]}, children),
        st.builds(lambda op, ops: {op: ops}, st.sampled_from(["===", "in", "+"]), pair),
        st.builds(lambda op, ops: {op: ops}, st.sampled_from(["<", ">", "<=", ">="]), two_or_three),
        st.builds(
            lambda op, ops: {op: ops},
            st.sampled_from(["after", "before", "not-after", "not-before"]),
            st.lists(st.one_of(dates, children), min_size=2, max_size=3),
        ),
        dates,
        st.builds(lambda a, lam, i: {"reduce": [a, lam, i]}, children, children, children),
        st.builds(lambda u, i: {"extractFromUVCI": [u, i]}, children, st.integers(-1, 5)),
        st.lists(children, max_size=3),
    )


expressions = st.recursive(st.one_of(literals, variables), _operations, max_leaves=12)


def _outcome(run: object) -> object:
    try:
        value = run()  # type: ignore[operator]
    except CertLogicError:
        return "<error>"
    return json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, DateTime) else None)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions, st.sampled_from([DATA, None, [DATA], DATA["a"]]))
def test_compiled_and_interpreted_agree(expr, data):
    compiled = compile_expression(expr)
    assert _outcome(lambda: compiled(data)) == _outcome(lambda: evaluate(expr, data))
