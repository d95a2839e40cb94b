"""The well-formedness of one CertLogic operation: operator known, operand count, literals.

Spec, "Operations": every operation but ``var`` is ``{"<operator>": [<operands>]}``; ``===``,
``in`` and ``+`` take 2 operands, ``and`` 2 or more, the comparisons 2 or 3; ``if``, ``plusTime``
and ``reduce`` 3; ``!`` and ``dccDateOfBirth`` 1; ``extractFromUVCI`` 2. The amount and unit of
``plusTime`` and the index of ``extractFromUVCI`` are literals, not expressions. The texts are
those of the validation suite (tests/vectors/certlogic/validation-testSuite), shared by the
validator, the interpreter and the compiler so that all three report the same problem.
"""

from __future__ import annotations

import json
from typing import Any, Final

from jointcheck.certlogic.dates import TIME_UNITS, DateTime
from jointcheck.certlogic.semantics import is_int

INTEGER_COMPARISONS: Final = frozenset({"<", ">", "<=", ">="})
# Spec: after, before, not-after, not-before are the date-time equivalents of >, <, <=, >=.
DATE_COMPARISONS: Final = {"after": ">", "before": "<", "not-after": "<=", "not-before": ">="}
BINARY: Final = frozenset({"===", "in", "+"})
EXACT_ARITY: Final = {
    "if": 3,
    "!": 1,
    "plusTime": 3,
    "reduce": 3,
    "extractFromUVCI": 2,
    "dccDateOfBirth": 1,
}
OPERATORS: Final = frozenset(
    {"var", "and", *INTEGER_COMPARISONS, *DATE_COMPARISONS, *BINARY, *EXACT_ARITY}
)

NOT_AN_OPERATION: Final = 'operation not of the form { "<operator>": [ <values...> ] }'
NOT_A_VAR: Final = 'not of the form { "var": "<path>" }'
INVALID: Final = "invalid CertLogic expression"
NESTED_TOO_DEEPLY: Final = "expression nested too deeply to evaluate"


def describe(value: object) -> str:
    """A value as it appears in an error text: JSON, date-times in ISO 8601."""
    if isinstance(value, DateTime):
        return value.isoformat()
    try:
        return json.dumps(value, ensure_ascii=False, default=repr)
    except ValueError:  # a circular structure cannot come from JSON, but say something
        return repr(value)


def operation_problem(operator: str, operands: list[Any]) -> str | None:  # noqa: PLR0911 - one answer per operator family
    """What is wrong with this one operation (not its operands), or None if it is well formed."""
    count = len(operands)
    if operator == "and":
        return None if count >= 2 else 'an "and" operation must have at least 2 operands'  # noqa: PLR2004
    if operator in INTEGER_COMPARISONS or operator in DATE_COMPARISONS:
        if 2 <= count <= 3:  # noqa: PLR2004
            return None
        return f'an operation with operator "{operator}" must have 2 or 3 operands'
    if operator in BINARY:
        if count == 2:  # noqa: PLR2004
            return None
        return f'an operation with operator "{operator}" must have 2 operands'
    arity = EXACT_ARITY.get(operator)
    if arity is None:
        return f'unrecognised operator: "{operator}"'
    if count != arity:
        plural = "operand" if arity == 1 else "operands"
        return f'an operation with operator "{operator}" must have {arity} {plural}'
    if operator == "plusTime":
        return _plus_time_problem(operands[1], operands[2])
    if operator == "extractFromUVCI" and not is_int(operands[1]):
        return '"index" argument (#2) of "extractFromUVCI" must be an integer'
    return None


def _plus_time_problem(amount: object, unit: object) -> str | None:
    if not is_int(amount):
        return '"amount" argument (#2) of "plusTime" must be an integer'
    if not isinstance(unit, str) or unit not in TIME_UNITS:
        return f'"unit" argument (#3) of "plusTime" must be a string equal to one of {", ".join(TIME_UNITS)}'
    return None


def expression_operands(operator: str, operands: list[Any]) -> list[Any]:
    """The operands that are themselves expressions (the literal ones are not)."""
    if operator in {"plusTime", "extractFromUVCI"}:
        return operands[:1]
    return operands
