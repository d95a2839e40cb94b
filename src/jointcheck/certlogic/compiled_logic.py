"""Compilation of the logical operations: ``if``, ``and``, ``!``, ``===`` and ``in``.

Where an operand is known at compile time to yield a boolean (a comparison, ``===``, ``in``,
``!``, a boolean literal, or an ``if``/``and`` built only of those), the truthiness check is
skipped: for booleans Python's own truth is CertLogic's. Elsewhere the closures apply the
spec's truthiness (semantics.truthiness), so a value that is neither truthy nor falsy raises.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from jointcheck.certlogic.forms import DATE_COMPARISONS, INTEGER_COMPARISONS, describe
from jointcheck.certlogic.semantics import (
    CertLogicError,
    membership,
    strict_equals,
    truthiness,
)

Compiled = Callable[[object], object]
CompileFn = Callable[[object], Compiled]

_BOOLEAN_OPERATORS: Final = frozenset({"===", "in", "!", *INTEGER_COMPARISONS, *DATE_COMPARISONS})
_PRIMITIVES: Final = (str, bool, int, float)


def yields_boolean(expr: object) -> bool:
    """Whether ``expr`` (valid) always evaluates to true or false, when it does not raise."""
    if isinstance(expr, bool):
        return True
    if not isinstance(expr, dict):
        return False
    ((op, operands),) = expr.items()
    if op in _BOOLEAN_OPERATORS:
        return True
    if op == "if":
        return yields_boolean(operands[1]) and yields_boolean(operands[2])
    if op == "and":
        return all(yields_boolean(operand) for operand in operands)
    return False


def _truth(value: object, what: str) -> bool:
    truth = truthiness(value)
    if truth is None:
        raise CertLogicError(
            f"{what} evaluates to something neither truthy, nor falsy: {describe(value)}"
        )
    return truth


def compile_if(operands: list[Any], compile_fn: CompileFn) -> Compiled:
    guard, then, else_ = (compile_fn(operand) for operand in operands)
    if yields_boolean(operands[0]):
        if isinstance(operands[2], _PRIMITIVES):
            # `{"if": [<test>, <rule>, true]}`, the shape of most rules: no call for the literal.
            otherwise = else_(None)
            return lambda data: then(data) if guard(data) else otherwise
        return lambda data: then(data) if guard(data) else else_(data)

    def if_(data: object) -> object:
        value = guard(data)
        if value is None or value is False:
            return else_(data)
        kind = type(value)
        if kind is dict or kind is list or kind is str or value is True:
            # Non-empty containers and strings are truthy, empty ones falsy (spec).
            return then(data) if value else else_(data)
        return then(data) if _truth(value, "if-guard") else else_(data)

    return if_


def compile_and(operands: list[Any], compile_fn: CompileFn) -> Compiled:
    parts = [compile_fn(operand) for operand in operands]
    if all(yields_boolean(operand) for operand in operands):
        if len(parts) == 2:  # noqa: PLR2004
            first, second = parts
            return lambda data: first(data) and second(data)
        return lambda data: all(part(data) for part in parts)

    def and_(data: object) -> object:
        # Spec: lazily and in order; the first falsy value, else the last value; each value
        # evaluated must be truthy or falsy.
        value: object = True
        for part in parts:
            value = part(data)
            if value is True:
                continue
            if value is False or value is None or not _truth(value, 'an "and" operand'):
                return value
        return value

    return and_


def compile_not(operands: list[Any], compile_fn: CompileFn) -> Compiled:
    (operand,) = operands
    part = compile_fn(operand)
    if yields_boolean(operand):
        return lambda data: not part(data)
    return lambda data: not _truth(part(data), "operand of !")


def compile_equals(operands: list[Any], compile_fn: CompileFn) -> Compiled:
    left_expr, right_expr = operands
    if isinstance(left_expr, _PRIMITIVES) and not isinstance(right_expr, _PRIMITIVES):
        left_expr, right_expr = right_expr, left_expr  # === is symmetric
    left, right = compile_fn(left_expr), compile_fn(right_expr)
    if isinstance(right_expr, str):
        # A str is == only to an equal str (a DateTime or list compares by identity).
        constant = right_expr
        return lambda data: left(data) == constant
    if isinstance(right_expr, bool):
        flag = right_expr
        return lambda data: left(data) is flag
    if isinstance(right_expr, int | float):
        number = right_expr

        def equals_number(data: object) -> bool:
            value = left(data)
            return type(value) is not bool and isinstance(value, int | float) and value == number

        return equals_number
    return lambda data: strict_equals(left(data), right(data))


def compile_in(operands: list[Any], compile_fn: CompileFn) -> Compiled:
    item_of = compile_fn(operands[0])
    array_expr = operands[1]
    if isinstance(array_expr, list) and all(isinstance(x, _PRIMITIVES) for x in array_expr):
        return _in_constant(item_of, array_expr)
    array_of = compile_fn(array_expr)

    def in_(data: object) -> bool:
        item = item_of(data)
        array = array_of(data)
        if not isinstance(array, list):
            raise CertLogicError('right-hand side of an "in" operation must be an array')
        return membership(item, array)

    return in_


def _in_constant(item_of: Compiled, array: list[Any]) -> Compiled:
    """``in`` a literal array: a set lookup for strings, ``===`` over the other elements."""
    strings = frozenset(x for x in array if isinstance(x, str))
    others = tuple(x for x in array if not isinstance(x, str))

    def in_(data: object) -> bool:
        item = item_of(data)
        if type(item) is str:
            return item in strings
        return any(strict_equals(item, element) for element in others)

    return in_
