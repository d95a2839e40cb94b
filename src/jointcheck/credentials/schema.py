"""JSON Schema validation of the DCC payload (``-260/1``) against the schema of its ``ver``.

The combined schema of every released version ships in ``data/dcc-schema/<ver>/`` (see
``data/README.md``); a version we do not have falls back to 1.3.0, as the dcc-testdata harness
does (tests/vectors/SOURCES.md, SCHEMAVALIDATION).

Each schema is compiled once per version with fastjsonschema, which generates Python code for
the schema instead of interpreting it on every call (docs/performance.md, "verify"). Two
adjustments make the compiled validator say what the suite says:
- ``format`` is an annotation only (the suite does not assert it), so format checks are off;
- the schemas declare draft 2020-12, which fastjsonschema does not know; their keywords are
  all draft-07 ones (``$defs`` is reached by JSON pointer), so they compile as draft-07;
- ``\\d`` in a pattern means ASCII digits in JSON Schema (ECMA-262), but any Unicode digit in
  Python's ``re``: patterns are rewritten to ``[0-9]``.

The payload arrives as decoded CBOR; ``json_view`` turns it into the JSON data model the
schema speaks of (hcert spec 3.3.7), with CBOR date-times as ISO 8601 strings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema

DEFAULT_VERSION = "1.3.0"
_DRAFT_07 = "http://json-schema.org/draft-07/schema#"
_MAX_JSON_DEPTH = 16


def _versions() -> frozenset[str]:
    root = resources.files("jointcheck.credentials") / "data" / "dcc-schema"
    return frozenset(p.name for p in root.iterdir() if (p / "combined-schema.json").is_file())


VERSIONS = _versions()


def _ascii_patterns(node: Any) -> Any:  # noqa: ANN401 - a JSON Schema document
    if isinstance(node, dict):
        return {
            key: (
                value.replace("\\d", "[0-9]")
                if key == "pattern" and isinstance(value, str)
                else _ascii_patterns(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_ascii_patterns(item) for item in node]
    return node


def _without_one_of(document: dict[str, Any]) -> dict[str, Any]:
    """1.3.x say "exactly one of v/t/r" as a top-level ``oneOf`` of three ``required``
    branches; ``exactly_one_group`` checks the same thing without the two failing branches
    raising and catching an exception on every call. The common keys stay required."""
    branches = document.get("oneOf")
    if not isinstance(branches, list) or not all(
        isinstance(b, dict) and list(b) == ["required"] for b in branches
    ):
        return document
    required = [set(b["required"]) for b in branches]
    common = set.intersection(*required)
    if sorted(tuple(r - common) for r in required) != [("r",), ("t",), ("v",)]:
        return document
    document = {key: value for key, value in document.items() if key != "oneOf"}
    document["required"] = sorted(common | set(document.get("required", [])))
    return document


# The generated code computes the JSON path of every sub-object on the success path, for
# error messages (``"data.v[{i}]".format(**locals())``); the verifier only needs pass/fail.
_PATH_ARGUMENT = re.compile(
    r'custom_formats, \(name_prefix or "data"\) \+ "[^"]*"(?:\.format\(\*\*locals\(\)\))?\)'
)


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:  # noqa: ANN401 - JSON Schema
    """Replace each ``{"$ref": "#/$defs/x"}`` by the definition itself (the DCC schemas are
    not recursive), so that the generated code checks it inline instead of calling one more
    function per field."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in defs:
            merged = {**defs[ref[8:]], **{k: v for k, v in node.items() if k != "$ref"}}
            return _inline_refs(merged, defs)
        return {key: _inline_refs(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    return node


@cache
def validator(version: str) -> Callable[[Any], Any]:
    """The compiled validator of a schema version (unknown versions: 1.3.0)."""
    if version not in VERSIONS:
        version = DEFAULT_VERSION
    path = resources.files("jointcheck.credentials") / "data" / "dcc-schema" / version
    document = json.loads((path / "combined-schema.json").read_text("utf-8"))
    document = _without_one_of(_ascii_patterns(document))
    document = _inline_refs(document, document.get("$defs", {}))
    document["$schema"] = _DRAFT_07
    code = fastjsonschema.compile_to_code(document, use_formats=False, detailed_exceptions=False)
    namespace: dict[str, Any] = {}
    # fastjsonschema.compile() itself executes this code; we only drop the path arguments.
    exec(_PATH_ARGUMENT.sub("custom_formats, None)", code), namespace)  # noqa: S102 - generated from our shipped schema
    # The root validator; those of the $defs carry its name plus a suffix.
    name = min((key for key in namespace if key.startswith("validate_")), key=len)
    compiled: Callable[[Any], Any] = namespace[name]
    return compiled


def exactly_one_group(payload: Mapping[str, Any]) -> str | None:
    """The one of v/t/r the payload holds; None if it holds none or several."""
    groups = [group for group in ("v", "t", "r") if group in payload]
    return groups[0] if len(groups) == 1 else None


class _NotJson(Exception):  # noqa: N818 - internal signal, never leaves this module
    pass


def _json_value(value: Any, depth: int) -> Any:  # noqa: ANN401, C901 - decoded CBOR in, JSON out
    """``value`` in the JSON data model: the same object when it already is (the usual case:
    no copy, no allocation), else a converted copy."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if depth > _MAX_JSON_DEPTH:
        raise _NotJson
    if isinstance(value, dict):
        converted = None
        for key, item in value.items():
            if not isinstance(key, str):
                raise _NotJson
            new = _json_value(item, depth + 1)
            if new is not item:
                converted = converted if converted is not None else dict(value)
                converted[key] = new
        return value if converted is None else converted
    if isinstance(value, list):
        items = [_json_value(item, depth + 1) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if isinstance(value, Mapping | tuple):  # cbor2 decodes inside tags as frozendict, tuple
        return _json_value(dict(value) if isinstance(value, Mapping) else list(value), depth)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    raise _NotJson


def json_view(payload: Any) -> dict[str, Any] | None:  # noqa: ANN401 - decoded CBOR
    """The payload in the JSON data model, or None if it has no JSON form (bytes, tags...)."""
    try:
        view = _json_value(payload, 0)
    except _NotJson:
        return None
    return view if isinstance(view, dict) else None


def validate(payload: Mapping[str, Any]) -> bool:
    """Whether a JSON-model payload validates against the schema of its own ``ver``."""
    version = payload.get("ver")
    try:
        validator(version if isinstance(version, str) else DEFAULT_VERSION)(payload)
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True
