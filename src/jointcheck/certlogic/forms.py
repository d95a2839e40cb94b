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


def js_number(value: float) -> str:
    """A number as JavaScript's ``String(number)`` writes it (the validator's messages)."""
    if value != value:  # noqa: PLR0124 - NaN is the one value unequal to itself
        return "NaN"
    if value in {float("inf"), float("-inf")}:
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e21:  # noqa: PLR2004 - JavaScript's switch to exponents
        return str(int(value))
    text = repr(value)
    if "e" not in text:
        return text
    mantissa, exponent_text = text.split("e")
    exponent = int(exponent_text)
    if exponent >= -6:  # noqa: PLR2004 - JavaScript writes 1e-6 as 0.000001, Python as 1e-06
        sign = "-" if mantissa.startswith("-") else ""
        digits = mantissa.lstrip("-").replace(".", "")
        return f"{sign}0.{'0' * (-exponent - 1)}{digits}"
    return f"{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent)}"


def js_string(value: object) -> str:
    """A JSON value as JavaScript's ``String(value)`` writes it (the validator's messages)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return js_number(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, list):
        return ",".join("" if item is None else js_string(item) for item in value)
    return "[object Object]"


_ARITY_TEXTS: Final = {
    "if": 'an "if"-operation must have exactly 3 values/operands',
    "!": "a !-operation (logical not/negation) must have exactly 1 operand",
    "plusTime": 'a "plusTime"-operation must have exactly 3 values/operands',
    "reduce": 'a "reduce"-operation must have exactly 3 values/operands',
    "extractFromUVCI": 'an "extractFromUVCI"-operation must have exactly 2 values/operands',
    "dccDateOfBirth": 'a "dccDateOfBirth"-operation must have exactly 1 value/operand',
}


def unrecognised(operator: str) -> str:
    return f'unrecognised operator: "{operator}"'


def arity_problem(operator: str, count: int) -> str | None:  # noqa: PLR0911 - one per family
    """The operand count's problem, in the texts of the reference validator, or None."""
    if operator == "and":
        if count >= 2:  # noqa: PLR2004
            return None
        return f'an "and" operation must have at least 2 operands, but it has {count}'
    if operator in INTEGER_COMPARISONS or operator in DATE_COMPARISONS:
        if 2 <= count <= 3:  # noqa: PLR2004
            return None
        return (
            f'an operation with operator "{operator}" must have 2 or 3 operands, but it has {count}'
        )
    if operator in BINARY:
        if count == 2:  # noqa: PLR2004
            return None
        return f'an operation with operator "{operator}" must have 2 operands, but it has {count}'
    arity = EXACT_ARITY.get(operator)
    if arity is None:
        return unrecognised(operator)
    return None if count == arity else f"{_ARITY_TEXTS[operator]}, but it has {count}"


def literal_problems(operator: str, operands: list[Any]) -> list[str]:
    """The literal operands' problems: plusTime's amount and unit, extractFromUVCI's index."""
    problems = []
    if operator == "plusTime":
        if len(operands) > 1 and not is_int(operands[1]):
            problems.append(
                f'"amount" argument (#2) of "plusTime" must be an integer, but it is: {js_string(operands[1])}'
            )
        if len(operands) > 2 and not (isinstance(operands[2], str) and operands[2] in TIME_UNITS):  # noqa: PLR2004
            problems.append(
                f'"unit" argument (#3) of "plusTime" must be a string equal to one of {", ".join(TIME_UNITS)}, but it is: {js_string(operands[2])}'
            )
    elif operator == "extractFromUVCI" and len(operands) > 1 and not is_int(operands[1]):
        problems.append(
            f'"index" argument (#2) of "extractFromUVCI" must be an integer, but it is: {js_string(operands[1])}'
        )
    return problems


def operation_problem(operator: str, operands: list[Any]) -> str | None:
    """The first problem of this one operation (not of its operands), or None if well formed."""
    problem = arity_problem(operator, len(operands))
    if problem is not None or operator not in LITERAL_TAILED:
        return problem
    literals = literal_problems(operator, operands)
    return literals[0] if literals else None


# How many operands the validator descends into (the rest are reported as too many).
RECURSION_LIMIT: Final = {"if": 3, "reduce": 3, **dict.fromkeys(BINARY, 2)}
LITERAL_TAILED: Final = frozenset({"plusTime", "extractFromUVCI", "dccDateOfBirth"})
