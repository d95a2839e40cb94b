"""The specialised schema code (schema._without_double_checks) decides as fastjsonschema's own.

For every shipped schema version, the validator the verifier runs and the one compiled from
fastjsonschema's unmodified code must agree on every dcc-testdata payload and on payloads
generated from them with a member replaced, removed or added; and the specialisation must
still apply (it is what the verify benchmark measures, docs/performance.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jointcheck.credentials import schema

SUITE = Path(__file__).resolve().parents[2] / "vectors" / "dcc-testdata"
VERSIONS = sorted(schema.VERSIONS)


def _suite_payloads() -> list[dict[str, Any]]:
    payloads = []
    for path in sorted(SUITE.glob("**/2DCode/raw/*.json")):
        payload = json.loads(path.read_text("utf-8")).get("JSON")
        if isinstance(payload, dict):
            payloads.append(payload)
    return payloads


PAYLOADS = _suite_payloads()


@cache
def _plain(version: str) -> Callable[[Any], Any]:
    return schema.compile_code(schema.generated_code(version, specialised=False))


def _valid(validate: Callable[[Any], Any], payload: Any) -> bool:
    try:
        validate(payload)
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


def _agree(version: str, payload: Any) -> bool:
    return _valid(schema.validator(version), payload) is _valid(_plain(version), payload)


@pytest.mark.parametrize("version", VERSIONS)
def test_the_specialisation_applies(version: str) -> None:
    plain = schema.generated_code(version, specialised=False)
    code = schema.generated_code(version)
    assert ".remove(" in plain
    assert ".remove(" not in code
    assert code.count("isinstance(") < plain.count("isinstance(") - 20
    assert "if True:" in code


@pytest.mark.parametrize("version", VERSIONS)
def test_every_suite_payload_is_judged_alike(version: str) -> None:
    assert len(PAYLOADS) > 400
    outcomes = set()
    for payload in PAYLOADS:
        assert _agree(version, payload), payload
        outcomes.add(_valid(schema.validator(version), payload))
    assert outcomes == {True, False}  # both outcomes occur: the comparison can fail


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, 2.0, 1.5, -1.0, 1e300]),
    st.text(max_size=90),
    st.sampled_from(["", "1.3.0", "2021-06-01", "2021-06-01T10:00:00Z", "AT", "SMITH<JOHN"]),
    st.binary(max_size=8),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every member path of a payload: keys of objects, indexes of arrays."""
    paths = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            paths += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            paths += _paths(value, (*prefix, index))
    return paths


def _copy(node: Any) -> Any:
    return json.loads(json.dumps(node))


@st.composite
def _mutated(draw: st.DrawFn) -> dict[str, Any]:
    payload = _copy(draw(st.sampled_from(PAYLOADS)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(payload)[1:]))
        parent = payload
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        if action == "remove":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            name = draw(st.sampled_from(["extra", "v", "t", "r", "tg", "ci", "fnt", "ver", "x"]))
            parent[name] = draw(_VALUES)
        else:
            parent[path[-1]] = draw(_VALUES)
        if not _paths(payload)[1:]:
            break
    return payload


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(VERSIONS), _mutated())
def test_mutated_payloads_are_judged_alike(version: str, payload: dict[str, Any]) -> None:
    assert _agree(version, payload)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(VERSIONS), _VALUES)
def test_any_value_is_judged_alike(version: str, value: Any) -> None:
    assert _agree(version, value)
