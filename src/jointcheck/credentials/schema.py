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


# The generated code checks each type twice: ``if not isinstance(x, (str)): raise ...``, then
# ``if isinstance(x, str):`` (or ``x_is_dict = isinstance(x, dict)``) around the value's own
# checks, which can only be true where it stands. Each second check becomes ``True``.
_RAISED = r"(?P<head>(?P<i> *)if not isinstance\((?P<v>\w+), \((?P<t>{types})\)\){more}:\n(?P=i)    raise [^\n]*\n(?P=i))"
_CHECKED_TWICE = (
    (
        re.compile(
            _RAISED.format(types="str|dict", more="") + r"if isinstance\((?P=v), (?P=t)\):$",
            re.MULTILINE,
        ),
        r"\g<head>if True:",
    ),
    (
        re.compile(
            _RAISED.format(types="dict", more="") + r"(?P=v)_is_dict = isinstance\((?P=v), dict\)$",
            re.MULTILINE,
        ),
        r"\g<head>\g<v>_is_dict = True",
    ),
    (
        re.compile(
            _RAISED.format(types="list, tuple", more="")
            + r"(?P=v)_is_list = isinstance\((?P=v), \(list, tuple\)\)$",
            re.MULTILINE,
        ),
        r"\g<head>\g<v>_is_list = True",
    ),
    (  # JSON Schema "integer": an int that is not a bool, or a float with an integral value
        re.compile(
            _RAISED.format(
                types="int",
                more=r" and not \(isinstance\((?P=v), float\) and (?P=v)\.is_integer\(\)\) or isinstance\((?P=v), bool\)",
            )
            + r"if isinstance\((?P=v), \(int, float, Decimal\)\) and not isinstance\((?P=v), bool\):$",
            re.MULTILINE,
        ),
        r"\g<head>if True:",
    ),
)
# For each object the generated code copies its keys into a set and removes each property it
# checks (``x_keys = set(x.keys())``, ``x_keys.remove("ver")``), which only matters when a
# later check reads what is left (additionalProperties, patternProperties); the DCC schemas
# have none, so membership is asked of the dict itself, when every other use is such a test.
_KEYS_SET = re.compile(r"^(?P<i> *)(?P<k>\w+_keys) = set\((?P<d>\w+)\.keys\(\)\)$", re.MULTILINE)
_KEYS_REMOVE = re.compile(r"^ *(?P<k>\w+_keys)\.remove\(\"[^\"\n]*\"\)\n", re.MULTILINE)
_KEYS_TEST = re.compile(r'^ *if "[^"\n]*" in (?P<k>\w+_keys):$', re.MULTILINE)


def _without_double_checks(code: str) -> str:
    """The generated code without the second type checks and key sets (see above)."""
    for pattern, replacement in _CHECKED_TWICE:
        code = pattern.sub(replacement, code)
    sets = list(_KEYS_SET.finditer(code))
    names = {m["k"] for m in sets}
    tests = [m[0].strip() for m in _KEYS_TEST.finditer(code) if m["k"] in names]
    removes = [m for m in _KEYS_REMOVE.finditer(code) if m["k"] in names]
    uses = len(sets) + len(removes) + len(tests)
    all_uses = sum(len(re.findall(rf"\b{re.escape(name)}\b", code)) for name in names)
    # Only when each set is used for nothing else, and no property is tested twice (a second
    # test would see the first one's removal).
    if names and uses == all_uses and len(tests) == len(set(tests)):
        code = _KEYS_REMOVE.sub(lambda m: "" if m["k"] in names else m[0], code)
        code = _KEYS_SET.sub(r"\g<i>\g<k> = \g<d>", code)
    return code


def generated_code(version: str, *, specialised: bool = True) -> str:
    """fastjsonschema's code for a schema version (unknown versions: 1.3.0), without the
    path arguments; ``specialised``: also without the double checks (``_without_double_checks``,
    compared with the plain code in tests/unit/credentials/test_schema_compiled.py)."""
    if version not in VERSIONS:
        version = DEFAULT_VERSION
    path = resources.files("jointcheck.credentials") / "data" / "dcc-schema" / version
    document = json.loads((path / "combined-schema.json").read_text("utf-8"))
    document = _without_one_of(_ascii_patterns(document))
    document = _inline_refs(document, document.get("$defs", {}))
    document["$schema"] = _DRAFT_07
    code = fastjsonschema.compile_to_code(document, use_formats=False, detailed_exceptions=False)
    code = _PATH_ARGUMENT.sub("custom_formats, None)", code)
    return _without_double_checks(code) if specialised else code


def compile_code(code: str) -> Callable[[Any], Any]:
    """The root validator defined by generated code."""
    namespace: dict[str, Any] = {}
    # fastjsonschema.compile() itself executes its code; ours differs only as described above.
    exec(code, namespace)  # noqa: S102 - generated from our shipped schema
    # The root validator; those of the $defs carry its name plus a suffix.
    name = min((key for key in namespace if key.startswith("validate_")), key=len)
    compiled: Callable[[Any], Any] = namespace[name]
    return compiled


@cache
def validator(version: str) -> Callable[[Any], Any]:
    """The compiled validator of a schema version (unknown versions: 1.3.0)."""
    return compile_code(generated_code(version if version in VERSIONS else DEFAULT_VERSION))


def exactly_one_group(payload: Mapping[str, Any]) -> str | None:
    """The one of v/t/r the payload holds; None if it holds none or several."""
    found = None
    for group in ("v", "t", "r"):
        if group in payload:
            if found is not None:
                return None
            found = group
    return found


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
