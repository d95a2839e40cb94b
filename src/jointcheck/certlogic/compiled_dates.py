"""Compilation of the date-time operations into closures over integer milliseconds.

Inside a comparison (``after``, ``before``, ``not-after``, ``not-before``) a ``plusTime`` or
``dccDateOfBirth`` operand never needs a ``DateTime`` object: it compiles to a closure that
returns the instant's milliseconds, with the unit and amount resolved at compile time and a
constant date string parsed once. Where a date-time escapes as a value, a fresh ``DateTime``
is made on every evaluation, as the interpreter does (``===`` on date-times is identity).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, Final

from jointcheck.certlogic.dates import (
    MAX_MS,
    MS_PER_DAY,
    MS_PER_HOUR,
    DateTime,
    dcc_date_of_birth,
    parse_date_time,
    plus_time,
)
from jointcheck.certlogic.forms import DATE_COMPARISONS, describe
from jointcheck.certlogic.semantics import CertLogicError

Compiled = Callable[[object], object]
Millis = Callable[[object], int]
CompileFn = Callable[[object], Compiled]

_ORDER: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
_NOT_DATES: Final = "all operands of a date-time comparison must be date-times"


class Constant:
    """A compile-time constant instant (a ``plusTime`` of a literal date string)."""

    __slots__ = ("ms",)

    def __init__(self, ms: int) -> None:
        self.ms = ms


def _delta(amount: int, unit: str) -> int | None:
    """A ``plusTime`` offset as fixed milliseconds, or None for calendar units (month, year)."""
    if amount == 0:
        return 0
    if unit == "day":
        return amount * MS_PER_DAY
    if unit == "hour":
        return amount * MS_PER_HOUR
    return None


def _failing(error: CertLogicError) -> Millis:
    """A constant date that cannot be parsed fails when it is evaluated, as interpreted."""

    def fail(_data: object) -> int:
        raise CertLogicError(str(error))

    return fail


def plus_time_millis(operands: list[Any], compile_fn: CompileFn) -> Millis | Constant:
    """``plusTime`` as a closure to milliseconds, or a constant when its date is a literal."""
    source, amount, unit = operands[0], int(operands[1]), operands[2]
    if isinstance(source, str):
        try:
            return Constant(plus_time(parse_date_time(source), amount, unit))
        except CertLogicError as error:
            return _failing(error)
    text_of = compile_fn(source)
    delta = _delta(amount, unit)
    if delta is None:

        def calendar(data: object) -> int:
            return plus_time(parse_date_time(_text(text_of(data))), amount, unit)

        return calendar

    def fixed(data: object) -> int:
        text = text_of(data)
        if type(text) is not str:
            text = _text(text)
        # A fixed offset in one addition; the range check is plus_time's (ECMAScript's).
        shifted = parse_date_time(text) + delta
        if -MAX_MS <= shifted <= MAX_MS:
            return shifted
        raise CertLogicError("date-time out of range: plusTime result")

    return fixed


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    raise CertLogicError(f'date argument of "plusTime" must be a string: {describe(value)}')


def dcc_date_of_birth_millis(operands: list[Any], compile_fn: CompileFn) -> Millis | Constant:
    source = operands[0]
    if isinstance(source, str):
        try:
            return Constant(dcc_date_of_birth(source))
        except CertLogicError as error:
            return _failing(error)
    text_of = compile_fn(source)

    def dob(data: object) -> int:
        text = text_of(data)
        if not isinstance(text, str):
            raise CertLogicError(f'operand of "dccDateOfBirth" must be a string: {describe(text)}')
        return dcc_date_of_birth(text)

    return dob


def millis(expr: object, compile_fn: CompileFn) -> Millis | Constant:
    """An operand of a date-time comparison, compiled to its instant in milliseconds."""
    if isinstance(expr, dict) and len(expr) == 1:
        ((op, operands),) = expr.items()
        if op == "plusTime":
            return plus_time_millis(operands, compile_fn)
        if op == "dccDateOfBirth":
            return dcc_date_of_birth_millis(operands, compile_fn)
    value_of = compile_fn(expr)

    def checked(data: object) -> int:
        value = value_of(data)
        if type(value) is DateTime:
            return value.ms
        raise CertLogicError(_NOT_DATES)

    return checked


def as_value(source: Millis | Constant) -> Compiled:
    """A date-time that escapes as a value: a fresh ``DateTime`` per evaluation."""
    if isinstance(source, Constant):
        constant = source.ms
        return lambda _data: DateTime(constant)
    return lambda data: DateTime(source(data))


def compile_date_comparison(op: str, operands: list[Any], compile_fn: CompileFn) -> Compiled:
    """``after`` / ``before`` / ``not-after`` / ``not-before`` over 2 or 3 operands."""
    symbol = DATE_COMPARISONS[op]
    parts = [millis(operand, compile_fn) for operand in operands]
    if len(parts) == 3:  # noqa: PLR2004 - the ternary form: (a op b) and (b op c)
        order = _ORDER[symbol]
        first, second, third = (_as_millis(part) for part in parts)

        def between(data: object) -> bool:
            a, b, c = first(data), second(data), third(data)
            return bool(order(a, b) and order(b, c))

        return between
    left, right = parts
    if isinstance(left, Constant) and isinstance(right, Constant):
        result = bool(_ORDER[symbol](left.ms, right.ms))
        return lambda _data: result
    if isinstance(right, Constant):
        return _AGAINST_RIGHT[symbol](left, right.ms)  # type: ignore[arg-type]
    if isinstance(left, Constant):
        return _AGAINST_LEFT[symbol](left.ms, right)
    return _BOTH[symbol](left, right)


# One closure per operator, so that a comparison is one bytecode, not a call to operator.gt.
_BOTH: Final[dict[str, Callable[[Millis, Millis], Compiled]]] = {
    ">": lambda left, right: lambda data: left(data) > right(data),
    "<": lambda left, right: lambda data: left(data) < right(data),
    ">=": lambda left, right: lambda data: left(data) >= right(data),
    "<=": lambda left, right: lambda data: left(data) <= right(data),
}
_AGAINST_RIGHT: Final[dict[str, Callable[[Millis, int], Compiled]]] = {
    ">": lambda left, bound: lambda data: left(data) > bound,
    "<": lambda left, bound: lambda data: left(data) < bound,
    ">=": lambda left, bound: lambda data: left(data) >= bound,
    "<=": lambda left, bound: lambda data: left(data) <= bound,
}
_AGAINST_LEFT: Final[dict[str, Callable[[int, Millis], Compiled]]] = {
    ">": lambda bound, right: lambda data: bound > right(data),
    "<": lambda bound, right: lambda data: bound < right(data),
    ">=": lambda bound, right: lambda data: bound >= right(data),
    "<=": lambda bound, right: lambda data: bound <= right(data),
}


def _as_millis(part: Millis | Constant) -> Millis:
    if isinstance(part, Constant):
        constant = part.ms
        return lambda _data: constant
    return part
