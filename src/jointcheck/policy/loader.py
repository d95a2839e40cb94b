"""Loading a policy pack: YAML -> schema -> cross-checks -> ``Pack``, or ``PolicyPackError``.

The error names the path of the bad field (``categories[3].mode``) so that an operator can
fix the file; nothing is returned until every check passed (a pack is never half-loaded).
CertLogic rules are validated here, at load time, not when a person stands at the gate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import fastjsonschema
import yaml

from jointcheck.certlogic import validate as validate_certlogic
from jointcheck.errors import PolicyPackError
from jointcheck.policy.pack import (
    Condition,
    Mode,
    NamedRule,
    Pack,
    Parameters,
    Product,
    Text,
    VenueCategory,
)

SHIPPED_PACKS = ("fangzi-2021", "fangzi-2021-11", "eu-3g", "eu-2g", "eu-2g-plus")
DEFAULT_PACK = "fangzi-2021"


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys, which YAML would silently overwrite."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            line = key_node.start_mark.line + 1
            raise PolicyPackError(f"duplicate key {key!r} on line {line}", path=str(key))
        seen.add(key)
    return loader.construct_mapping(node)


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    # Dates stay ISO text, as the schema and CertLogic read them; _date checks them.
    return str(loader.construct_scalar(node))


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


@cache
def _schema_validator() -> Any:  # noqa: ANN401 - fastjsonschema's compiled validator is untyped
    text = resources.files("jointcheck.policy").joinpath("pack.schema.json").read_text("utf-8")
    return fastjsonschema.compile(json.loads(text))


def _schema_path(exc: fastjsonschema.JsonSchemaValueException) -> str:
    path = (exc.name or "data").removeprefix("data").removeprefix(".")
    value, definition = exc.value, exc.definition or {}
    if exc.rule == "required" and isinstance(value, dict):
        missing = [k for k in exc.rule_definition if k not in value]
        return f"{path}.{missing[0]}".lstrip(".") if missing else path
    if exc.rule == "additionalProperties" and isinstance(value, dict):
        known = definition.get("properties", {})
        extra = sorted(str(k) for k in value if k not in known)
        return f"{path}.{extra[0]}".lstrip(".") if extra else path
    return path


def _read(source: str | Path) -> Any:  # noqa: ANN401 - YAML is untyped until validated
    if isinstance(source, Path):
        try:
            text = source.read_text("utf-8")
        except OSError as exc:
            raise PolicyPackError(f"cannot read pack file {source}: {exc.strerror}") from exc
    else:
        text = source
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise PolicyPackError(f"not valid YAML: {exc}") from exc


def _text(raw: Mapping[str, str]) -> Text:
    return Text(zh=raw["zh"], en=raw["en"])


def _condition(raw: Any, path: str, rule_ids: set[str]) -> Condition:  # noqa: ANN401
    if isinstance(raw, str):
        if raw not in rule_ids:
            raise PolicyPackError(f"names rule {raw!r}, which the pack does not define", path=path)
        return Condition(rule=raw)
    key = "all_of" if "all_of" in raw else "any_of"
    parts = tuple(_condition(p, f"{path}.{key}[{i}]", rule_ids) for i, p in enumerate(raw[key]))
    return Condition(all_of=parts) if key == "all_of" else Condition(any_of=parts)


def _unique(items: list[dict[str, Any]], section: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item["id"] in seen:
            raise PolicyPackError(f"duplicate id {item['id']!r}", path=f"{section}[{i}].id")
        seen.add(item["id"])


def _date(raw: str, path: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise PolicyPackError(f"not a calendar date: {raw!r}", path=path) from exc


def _rules(raw: list[dict[str, Any]]) -> tuple[NamedRule, ...]:
    rules = []
    for i, item in enumerate(raw):
        errors = validate_certlogic(item["logic"])
        if errors:
            raise PolicyPackError(
                f"not valid CertLogic: {errors[0].message}", path=f"rules[{i}].logic"
            )
        rules.append(
            NamedRule(id=item["id"], description=_text(item["description"]), logic=item["logic"])
        )
    return tuple(rules)


def _parameters(raw: dict[str, Any], rule_ids: set[str]) -> Parameters:
    if raw["completed"] not in rule_ids:
        raise PolicyPackError(
            f"names rule {raw['completed']!r}, which the pack does not define",
            path="parameters.completed",
        )
    return Parameters(
        eligible_age_years=raw["eligible_age_years"],
        vaccinated_for_entry=_condition(
            raw["vaccinated_for_entry"], "parameters.vaccinated_for_entry", rule_ids
        ),
        completed=raw["completed"],
        passing_colours=tuple(raw["passing_colours"]),
        health_code_required=raw["health_code_required"],
        health_code_max_age_seconds=raw["health_code_max_age_seconds"],
        contraindication_min_level=raw["contraindication_min_level"],
        restricted_accepts_contraindication=raw["restricted_accepts_contraindication"],
        registration_fields=tuple(raw["registration_fields"]),
        first_dose_deadline=(
            _date(raw["first_dose_deadline"], "parameters.first_dose_deadline")
            if "first_dose_deadline" in raw
            else None
        ),
        retention_days=raw["retention_days"],
        bundle_max_age_hours=raw["bundle_max_age_hours"],
        paper_code_max_age_hours=raw.get("paper_code_max_age_hours", 24),
    )


def load_pack(source: str | Path) -> Pack:
    """A pack from a file (``Path``) or from its YAML text (``str``); PolicyPackError if bad."""
    raw = _read(source)
    if not isinstance(raw, dict):
        raise PolicyPackError("a policy pack is a YAML mapping")
    try:
        _schema_validator()(raw)
    except fastjsonschema.JsonSchemaValueException as exc:
        # fastjsonschema words it "data.a.b must ..."; the path is said once, as ``path``.
        text = str(exc.message).removeprefix(exc.name or "").strip()
        raise PolicyPackError(text, path=_schema_path(exc)) from exc
    for section in ("categories", "products", "rules"):
        _unique(raw[section], section)
    rules = _rules(raw["rules"])
    return Pack(
        id=raw["id"],
        version=raw["version"],
        valid_from=_date(raw["valid_from"], "valid_from"),
        title=_text(raw["title"]),
        categories=tuple(
            VenueCategory(
                id=c["id"],
                name=_text(c["name"]),
                mode=Mode(c["mode"]),
                requirements=tuple(c["requirements"]),
            )
            for c in raw["categories"]
        ),
        parameters=_parameters(raw["parameters"], {r.id for r in rules}),
        products=tuple(
            Product(
                id=p["id"],
                name=_text(p["name"]),
                series_doses=p["series_doses"],
                min_interval_days=p["min_interval_days"],
            )
            for p in raw["products"]
        ),
        rules=rules,
        value_sets={k: tuple(v) for k, v in raw.get("value_sets", {}).items()},
    )


def shipped_pack_text(pack_id: str) -> str:
    """The YAML text of a pack shipped with jointcheck (``SHIPPED_PACKS``)."""
    if pack_id not in SHIPPED_PACKS:
        raise PolicyPackError(f"no shipped pack {pack_id!r}; shipped: {', '.join(SHIPPED_PACKS)}")
    return (
        resources.files("jointcheck.policy").joinpath("packs", f"{pack_id}.yaml").read_text("utf-8")
    )


def load_shipped(pack_id: str = DEFAULT_PACK) -> Pack:
    return load_pack(shipped_pack_text(pack_id))


def resolve_pack(id_or_path: str) -> Pack:
    """A shipped pack by id, or a pack file by path (what the CLI's PACK argument takes)."""
    if id_or_path in SHIPPED_PACKS:
        return load_shipped(id_or_path)
    path = Path(id_or_path)
    if not path.exists() and path.suffix not in {".yaml", ".yml"}:
        raise PolicyPackError(
            f"{id_or_path!r} is neither a shipped pack ({', '.join(SHIPPED_PACKS)}) nor a file"
        )
    return load_pack(path)
