"""Compilation of ``var``: the path split once, then subscripted directly on the happy path.

``data[k0][k1]...`` is what ``access`` computes whenever it raises nothing, with one exception:
an integer subscript on a string (which ``access`` answers with null). A string reached that
way meets a later string key (TypeError) or, at the end of the path, the explicit list check.
Every miss (KeyError, IndexError, TypeError) defers to ``access``, the definition. Paths of up
to four steps, nearly all of those in real rules (``payload.v.0.dt``), get a closure with the
subscripts written out, one call per ``var``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from jointcheck.certlogic.semantics import access, parse_path

Compiled = Callable[[object], object]
Fragments = tuple[tuple[str, int | None], ...]

_MISS: Final = (KeyError, IndexError, TypeError)


def compile_var(path: str) -> Compiled:
    fragments = parse_path(path)
    if not fragments:
        return lambda data: data
    keys: list[Any] = [key if index is None else index for key, index in fragments]
    if len(keys) > 4 or any(isinstance(key, int) and key < 0 for key in keys):  # noqa: PLR2004
        return lambda data: access(data, fragments)
    if isinstance(keys[-1], int):
        return _ending_in_index(keys[:-1], keys[-1], fragments)
    return _BY_KEYS[len(keys)](keys, fragments)


def _one(keys: list[Any], fragments: Fragments) -> Compiled:
    (k0,) = keys

    def var(data: Any) -> object:  # noqa: ANN401 - any JSON value
        try:
            return data[k0]
        except _MISS:
            return access(data, fragments)

    return var


def _two(keys: list[Any], fragments: Fragments) -> Compiled:
    k0, k1 = keys

    def var(data: Any) -> object:  # noqa: ANN401 - any JSON value
        try:
            return data[k0][k1]
        except _MISS:
            return access(data, fragments)

    return var


def _three(keys: list[Any], fragments: Fragments) -> Compiled:
    k0, k1, k2 = keys

    def var(data: Any) -> object:  # noqa: ANN401 - any JSON value
        try:
            return data[k0][k1][k2]
        except _MISS:
            return access(data, fragments)

    return var


def _four(keys: list[Any], fragments: Fragments) -> Compiled:
    k0, k1, k2, k3 = keys

    def var(data: Any) -> object:  # noqa: ANN401 - any JSON value
        try:
            return data[k0][k1][k2][k3]
        except _MISS:
            return access(data, fragments)

    return var


_BY_KEYS: Final[dict[int, Callable[[list[Any], Fragments], Compiled]]] = {
    1: _one,
    2: _two,
    3: _three,
    4: _four,
}


def _ending_in_index(prefix: list[Any], index: int, fragments: Fragments) -> Compiled:
    """A path ending in an array index: the last step checks for a list (a string is not)."""
    k0, k1, k2 = [*prefix, None, None, None][:3]
    depth = len(prefix)

    def var(data: Any) -> object:  # noqa: ANN401 - any JSON value
        try:
            if depth == 0:
                container = data
            elif depth == 1:
                container = data[k0]
            elif depth == 2:  # noqa: PLR2004
                container = data[k0][k1]
            else:
                container = data[k0][k1][k2]
        except _MISS:
            return access(data, fragments)
        if type(container) is list:
            return container[index] if index < len(container) else None
        return access(data, fragments)

    return var
