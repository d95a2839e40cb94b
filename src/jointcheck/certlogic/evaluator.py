"""The CertLogic interpreter: walks the JSON expression on every evaluation.

This is the reference path (and the benchmark's baseline). It follows the spec's evaluation
order: an operation is checked for well-formedness when it is reached, before any of its
operands is evaluated; ``if`` and ``and`` evaluate lazily; everything else evaluates all of its
expression operands, left to right, before checking their types.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from jointcheck.certlogic.dates import DateTime, dcc_date_of_birth, parse_date_time, plus_time
from jointcheck.certlogic.forms import (
    DATE_COMPARISONS,
    INTEGER_COMPARISONS,
    INVALID,
    NESTED_TOO_DEEPLY,
    NOT_A_VAR,
    NOT_AN_OPERATION,
    describe,
    operation_problem,
)
from jointcheck.certlogic.semantics import (
    CertLogicError,
    access,
    extract_from_uvci,
    is_int,
    membership,
    parse_path,
    strict_equals,
    truthiness,
)

Handler = Callable[[str, list[Any], Any], Any]


def evaluate(expr: object, data: object) -> object:
    """The value of CertLogic expression ``expr`` on data context ``data``.

    Raises ``CertLogicError`` when the expression is invalid or an operation meets operands of
    the wrong type (spec: the evaluator "throws an error"); ``run_rule`` turns that into a value.
    """
    try:
        return _eval(expr, data)
    except RecursionError:
        raise CertLogicError(NESTED_TOO_DEEPLY) from None


def _eval(expr: object, data: object) -> object:
    if isinstance(expr, dict):
        return _operation(expr, data)
    if isinstance(expr, list):
        return [_eval(item, data) for item in expr]
    if isinstance(expr, str | bool | int):
        return expr
    if isinstance(expr, float):
        if expr.is_integer():
            return int(expr)  # JSON has one number type: 2.0 is the integer 2
        raise CertLogicError(f"{expr!r} is a non-integer number")
    raise CertLogicError(f"{INVALID}: {describe(expr)}")


def _operation(expr: dict[str, Any], data: object) -> object:
    if len(expr) != 1:
        raise CertLogicError(f"expression object must have exactly one key, but it has {len(expr)}")
    ((operator, operands),) = expr.items()
    if operator == "var":
        if not isinstance(operands, str):
            raise CertLogicError(NOT_A_VAR)
        return access(data, parse_path(operands))
    if not isinstance(operands, list):
        raise CertLogicError(NOT_AN_OPERATION)
    problem = operation_problem(operator, operands)
    if problem is not None:
        raise CertLogicError(problem)
    return _HANDLERS[operator](operator, operands, data)


def _if(_op: str, operands: list[Any], data: object) -> object:
    guard = _eval(operands[0], data)
    truth = truthiness(guard)
    if truth is None:
        raise CertLogicError(
            f"if-guard evaluates to something neither truthy, nor falsy: {describe(guard)}"
        )
    return _eval(operands[1] if truth else operands[2], data)


def _and(_op: str, operands: list[Any], data: object) -> object:
    # Spec: lazily and in order; the first falsy operand's value, else the last one's. Every
    # operand evaluated must be truthy or falsy, the last one included.
    value: object = True
    for operand in operands:
        value = _eval(operand, data)
        truth = truthiness(value)
        if truth is None:
            raise CertLogicError(
                f'all operands of an "and" operation must be either truthy or falsy: {describe(value)}'
            )
        if not truth:
            return value
    return value


def _not(_op: str, operands: list[Any], data: object) -> bool:
    value = _eval(operands[0], data)
    truth = truthiness(value)
    if truth is None:
        raise CertLogicError(
            f"operand of ! evaluates to something neither truthy, nor falsy: {describe(value)}"
        )
    return not truth


def _equals(_op: str, operands: list[Any], data: object) -> bool:
    return strict_equals(_eval(operands[0], data), _eval(operands[1], data))


def _in(_op: str, operands: list[Any], data: object) -> bool:
    item = _eval(operands[0], data)
    array = _eval(operands[1], data)
    if not isinstance(array, list):
        raise CertLogicError('right-hand side of an "in" operation must be an array')
    return membership(item, array)


def _plus(_op: str, operands: list[Any], data: object) -> object:
    left = _eval(operands[0], data)
    right = _eval(operands[1], data)
    if not is_int(left):
        raise CertLogicError('left-hand side of a "+" operation must be an integer')
    if not is_int(right):
        raise CertLogicError('right-hand side of a "+" operation must be an integer')
    return int(left) + int(right)  # integral floats are integers: 1.0 + 2 is 3


def compare(operator: str, values: list[int] | list[float | int]) -> bool:
    """``a op b``, or for three operands ``(a op b) and (b op c)`` (spec, infix operators)."""
    pairs = list(itertools.pairwise(values))
    if operator == "<":
        return all(a < b for a, b in pairs)
    if operator == ">":
        return all(a > b for a, b in pairs)
    if operator == "<=":
        return all(a <= b for a, b in pairs)
    return all(a >= b for a, b in pairs)


def _integer_comparison(operator: str, operands: list[Any], data: object) -> bool:
    values = [_eval(operand, data) for operand in operands]
    integers = [value for value in values if is_int(value)]
    if len(integers) != len(values):
        raise CertLogicError("all operands of a comparison operation must be of integer type")
    return compare(operator, integers)


def _date_comparison(operator: str, operands: list[Any], data: object) -> bool:
    values = [_eval(operand, data) for operand in operands]
    instants = [value.ms for value in values if isinstance(value, DateTime)]
    if len(instants) != len(values):
        raise CertLogicError("all operands of a date-time comparison must be date-times")
    return compare(DATE_COMPARISONS[operator], instants)


def _plus_time(_op: str, operands: list[Any], data: object) -> DateTime:
    text = _eval(operands[0], data)
    if not isinstance(text, str):
        raise CertLogicError(f'date argument of "plusTime" must be a string: {describe(text)}')
    return DateTime(plus_time(parse_date_time(text), int(operands[1]), operands[2]))


def _dcc_date_of_birth(_op: str, operands: list[Any], data: object) -> DateTime:
    text = _eval(operands[0], data)
    if not isinstance(text, str):
        raise CertLogicError(f'operand of "dccDateOfBirth" must be a string: {describe(text)}')
    return DateTime(dcc_date_of_birth(text))


def _reduce(_op: str, operands: list[Any], data: object) -> object:
    array = _eval(operands[0], data)
    if array is None:
        # Operating on null gives the initial value (JsonLogic suite, "Filter, map, ...").
        return _eval(operands[2], data)
    if not isinstance(array, list):
        raise CertLogicError("operand of reduce evaluated to a non-null non-array")
    accumulator = _eval(operands[2], data)
    lambda_ = operands[1]
    for current in array:
        accumulator = _eval(lambda_, {"accumulator": accumulator, "current": current})
    return accumulator


def _extract_from_uvci(_op: str, operands: list[Any], data: object) -> str | None:
    uvci = _eval(operands[0], data)
    if uvci is not None and not isinstance(uvci, str):
        raise CertLogicError(
            '"UVCI" argument (#1) of "extractFromUVCI" must be either a string or null'
        )
    return extract_from_uvci(uvci, int(operands[1]))


_HANDLERS: dict[str, Handler] = {
    "if": _if,
    "and": _and,
    "!": _not,
    "===": _equals,
    "in": _in,
    "+": _plus,
    **dict.fromkeys(INTEGER_COMPARISONS, _integer_comparison),
    **dict.fromkeys(DATE_COMPARISONS, _date_comparison),
    "plusTime": _plus_time,
    "dccDateOfBirth": _dcc_date_of_birth,
    "reduce": _reduce,
    "extractFromUVCI": _extract_from_uvci,
}
