"""Compilation of a CertLogic expression into nested Python closures, once.

The expression is validated as a whole first (so the closures need no well-formedness checks),
then each node becomes a closure with its operator resolved, its literal operands bound, its
``var`` path split and specialised, and its constant dates parsed (see compiled_dates). The
closures compute exactly what the interpreter (evaluator.py) computes, with the same value
semantics (semantics.py); the test suite runs every assertion through both.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, Final

from jointcheck.certlogic.compiled_dates import (
    as_value,
    compile_date_comparison,
    dcc_date_of_birth_millis,
    plus_time_millis,
)
from jointcheck.certlogic.compiled_logic import (
    compile_and,
    compile_equals,
    compile_if,
    compile_in,
    compile_not,
)
from jointcheck.certlogic.compiled_var import compile_var
from jointcheck.certlogic.forms import (
    DATE_COMPARISONS,
    INTEGER_COMPARISONS,
    NESTED_TOO_DEEPLY,
    describe,
)
from jointcheck.certlogic.semantics import (
    CertLogicError,
    extract_from_uvci,
    is_int,
)
from jointcheck.certlogic.validator import validate

Compiled = Callable[[object], object]

_ORDER: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
_NOT_INTEGERS: Final = "all operands of a comparison operation must be of integer type"


def compile_expression(expr: object) -> Compiled:
    """Compile ``expr`` once into a function ``data -> value`` equivalent to ``evaluate``.

    Raises ``CertLogicError`` at once if the expression is not valid (the validator's first
    issue); the returned function raises ``CertLogicError`` where evaluation would.
    """
    try:
        issues = validate(expr)
        if issues:
            first = issues[0]
            raise CertLogicError(f"{first.message} (in {describe(first.expr)})")
        return compile_node(expr)
    except RecursionError:
        raise CertLogicError(NESTED_TOO_DEEPLY) from None


def compile_node(expr: object) -> Compiled:
    """The closure for one (valid) node."""
    if isinstance(expr, str | bool | int | float):
        constant = int(expr) if isinstance(expr, float) else expr  # 2.0 is the integer 2
        return lambda _data: constant
    if isinstance(expr, list):
        return _compile_array(expr)
    ((op, operands),) = expr.items()  # type: ignore[attr-defined] # a valid node is an object
    if op == "var":
        return compile_var(operands)
    return _COMPILERS[op](op, operands)


def _compile_array(items: list[Any]) -> Compiled:
    # An array literal is a new array on each evaluation, as interpreted (``in`` and ``===``
    # on arrays are by identity, so sharing one list between evaluations would show).
    parts = [compile_node(item) for item in items]
    if all(isinstance(item, str | bool | int | float) for item in items):
        constants = tuple(int(item) if isinstance(item, float) else item for item in items)
        return lambda _data: list(constants)
    return lambda data: [part(data) for part in parts]


def _compile_plus(_op: str, operands: list[Any]) -> Compiled:
    left, right = (compile_node(operand) for operand in operands)

    def plus(data: object) -> object:
        a, b = left(data), right(data)
        if not is_int(a):
            raise CertLogicError('left-hand side of a "+" operation must be an integer')
        if not is_int(b):
            raise CertLogicError('right-hand side of a "+" operation must be an integer')
        return int(a) + int(b)

    return plus


def _compile_integer_comparison(op: str, operands: list[Any]) -> Compiled:
    order = _ORDER[op]
    parts = [compile_node(operand) for operand in operands]
    if len(parts) == 3:  # noqa: PLR2004 - the ternary form: (a op b) and (b op c)
        first, second, third = parts

        def between(data: object) -> bool:
            a, b, c = first(data), second(data), third(data)
            if not (is_int(a) and is_int(b) and is_int(c)):
                raise CertLogicError(_NOT_INTEGERS)
            return bool(order(a, b) and order(b, c))

        return between
    if is_int(operands[1]) and not isinstance(operands[1], bool):
        return _against_constant(order, parts[0], operands[1])
    left, right = parts

    def binary(data: object) -> bool:
        a, b = left(data), right(data)
        if type(a) is int and type(b) is int:
            return bool(order(a, b))
        if not (is_int(a) and is_int(b)):
            raise CertLogicError(_NOT_INTEGERS)
        return bool(order(a, b))

    return binary


def _against_constant(order: Callable[[Any, Any], Any], left: Compiled, bound: float) -> Compiled:
    def compare(data: object) -> bool:
        a = left(data)
        if type(a) is int or is_int(a):
            return bool(order(a, bound))
        raise CertLogicError(_NOT_INTEGERS)

    return compare


def _compile_date_comparison(op: str, operands: list[Any]) -> Compiled:
    return compile_date_comparison(op, operands, compile_node)


def _compile_plus_time(_op: str, operands: list[Any]) -> Compiled:
    return as_value(plus_time_millis(operands, compile_node))


def _compile_dcc_date_of_birth(_op: str, operands: list[Any]) -> Compiled:
    return as_value(dcc_date_of_birth_millis(operands, compile_node))


def _compile_reduce(_op: str, operands: list[Any]) -> Compiled:
    array_of, lambda_, initial = (compile_node(operand) for operand in operands)

    def reduce(data: object) -> object:
        array = array_of(data)
        if array is None:
            return initial(data)
        if not isinstance(array, list):
            raise CertLogicError("operand of reduce evaluated to a non-null non-array")
        accumulator = initial(data)
        for current in array:
            accumulator = lambda_({"accumulator": accumulator, "current": current})
        return accumulator

    return reduce


def _compile_extract_from_uvci(_op: str, operands: list[Any]) -> Compiled:
    uvci_of, index = compile_node(operands[0]), int(operands[1])

    def extract(data: object) -> str | None:
        uvci = uvci_of(data)
        if uvci is not None and not isinstance(uvci, str):
            raise CertLogicError(
                '"UVCI" argument (#1) of "extractFromUVCI" must be either a string or null'
            )
        return extract_from_uvci(uvci, index)

    return extract


def _logic(
    compile_fn: Callable[[list[Any], Callable[[object], Compiled]], Compiled],
) -> Callable[[str, list[Any]], Compiled]:
    return lambda _op, operands: compile_fn(operands, compile_node)


_COMPILERS: dict[str, Callable[[str, list[Any]], Compiled]] = {
    "if": _logic(compile_if),
    "and": _logic(compile_and),
    "!": _logic(compile_not),
    "===": _logic(compile_equals),
    "in": _logic(compile_in),
    "+": _compile_plus,
    **dict.fromkeys(INTEGER_COMPARISONS, _compile_integer_comparison),
    **dict.fromkeys(DATE_COMPARISONS, _compile_date_comparison),
    "plusTime": _compile_plus_time,
    "dccDateOfBirth": _compile_dcc_date_of_birth,
    "reduce": _compile_reduce,
    "extractFromUVCI": _compile_extract_from_uvci,
}
