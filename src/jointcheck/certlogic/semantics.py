"""The value semantics shared by the interpreter and the compiler.

Truthiness, integers, strict equality, data access paths and UCI fragments, each as the
CertLogic specification (1.3.3) defines it. Both evaluation paths call these functions (or
inline exactly the same tests), which is what keeps them in agreement.
"""

from __future__ import annotations

import re
from typing import Any, Final, TypeGuard


class CertLogicError(Exception):
    """An expression could not be evaluated (spec: the evaluator "throws an error").

    Raised inside evaluation; the rule-running API turns it into a ``RuleResult`` with the
    reason ``CERTLOGIC_ERROR`` and this text, so callers see a value, never this exception.
    """


NEITHER: Final = None  # truthiness() of a value that is neither truthy nor falsy

_INTEGER_FRAGMENT: Final = re.compile(r"-?[0-9]+", re.ASCII)
_UCI_SEPARATORS: Final = re.compile(r"[/#:]")
_UCI_PREFIX: Final = "URN:UVCI:"


def is_int(value: object) -> TypeGuard[int | float]:
    """An integer in the sense of JavaScript's ``Number.isInteger`` (spec, "Literal values").

    JSON does not distinguish ``2`` from ``2.0``, so an integral float counts; booleans do not.
    """
    if type(value) is int:
        return True
    return isinstance(value, float) and value.is_integer()


def truthiness(value: object) -> bool | None:  # noqa: PLR0911 - one answer per JSON kind
    """True if truthy, False if falsy, ``None`` if neither (spec, "Truthy and falsy values").

    Falsy: false, null, "", 0, [], {}. Truthy: true, a non-empty string, a non-zero integer, a
    non-empty array, an object with a key. Anything else (a non-integer number, a date-time)
    is neither, and an operation that needs a truth value raises on it.
    """
    if value is True:
        return True
    if value is False or value is None:
        return False
    kind = type(value)
    if kind is str or kind is list or kind is dict:
        return len(value) > 0  # type: ignore[arg-type]
    if kind is int:
        return value != 0
    if kind is float:
        return value != 0 if value.is_integer() else NEITHER  # type: ignore[attr-defined]
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return NEITHER


def strict_equals(left: object, right: object) -> bool:
    """JavaScript's ``===``, which the spec's ``===`` and ``in`` are defined by.

    Strings, numbers, booleans and null compare by type and value; arrays, objects and
    date-times only by identity (spec: ``===`` "works reliable on strings and integers, but not
    on other types"), so two separately evaluated date-times are never ``===``.
    """
    if left is right:
        return True
    if left is None or right is None or type(left) is bool or type(right) is bool:
        return False
    if isinstance(left, str):
        return isinstance(right, str) and left == right
    if isinstance(left, int | float):
        return isinstance(right, int | float) and left == right
    return False


def membership(item: object, array: list[Any]) -> bool:
    """``in``: whether ``item`` is ``===`` to some element of ``array``."""
    if type(item) is str or item is None:
        # For a str or null, Python's `in` (identity, then ==) is exactly ===: a str equals
        # only a str, and None only itself.
        return item in array
    return any(strict_equals(item, element) for element in array)


def parse_path(path: str) -> tuple[tuple[str, int | None], ...]:
    """The fragments of a ``var`` path: each as (object key, array index or None).

    Spec, "Data access": fragments are separated by periods; an integer fragment indexes an
    array. An empty fragment (``"x."``, ``"a..b"``) is malformed (validation suite,
    var-operations). The empty path means the whole data context: no fragments.
    """
    if path == "":
        return ()
    fragments = path.split(".")
    if "" in fragments:
        raise CertLogicError(f"data access path doesn't have a valid format: {path}")
    return tuple(
        (fragment, int(fragment) if _INTEGER_FRAGMENT.fullmatch(fragment) else None)
        for fragment in fragments
    )


def access(data: object, fragments: tuple[tuple[str, int | None], ...]) -> object:
    """Drill into ``data``; a missing property, index or a null along the way gives null."""
    current = data
    for key, index in fragments:
        if isinstance(current, dict):
            current = current.get(key)
        elif isinstance(current, list) and index is not None and 0 <= index < len(current):
            current = current[index]
        else:
            return None
    return current


def extract_from_uvci(uvci: str | None, index: int) -> str | None:
    """Spec, "Extract data from an UCI": the fragment at ``index`` after an optional prefix.

    Split on ``/``, ``#`` and ``:``; a leading ``URN:UVCI:`` is ignored; a missing fragment (or
    a null UCI, or a negative index) gives null.
    """
    if uvci is None or index < 0:
        return None
    body = uvci.removeprefix(_UCI_PREFIX)
    fragments = _UCI_SEPARATORS.split(body)
    return fragments[index] if index < len(fragments) else None
