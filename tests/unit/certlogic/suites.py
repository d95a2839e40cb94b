"""Readers of the public CertLogic suites in tests/vectors (copied unchanged, see SOURCES.md).

Each yields ``pytest.param`` objects whose ids name the file, the case and the assertion, so a
failure points at the suite entry that caught it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
SUITE = VECTORS / "certlogic" / "testSuite"
VALIDATION_SUITE = VECTORS / "certlogic" / "validation-testSuite"
BUSINESS_RULES = VECTORS / "business-rules"


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _skipped(*entries: dict[str, Any]) -> bool:
    # The suite's schema: a "skip" directive on the file, the case or the assertion.
    return any(entry.get("directive") == "skip" for entry in entries)


def evaluation_assertions() -> Iterator[Any]:
    """(expression, data, expected) of every assertion of testSuite/*.json not marked skip."""
    for path in sorted(SUITE.glob("*.json")):
        suite = _load(path)
        for case_no, case in enumerate(suite["cases"]):
            for no, assertion in enumerate(case["assertions"]):
                if _skipped(suite, case, assertion):
                    continue
                expr = assertion.get("certLogicExpression", case.get("certLogicExpression"))
                label = f"{path.stem}/{case_no}:{case['name']}/{no}"
                yield pytest.param(expr, assertion["data"], assertion["expected"], id=label)


def skipped_assertion_count() -> int:
    count = 0
    for path in sorted(SUITE.glob("*.json")):
        suite = _load(path)
        for case in suite["cases"]:
            count += sum(_skipped(suite, case, a) for a in case["assertions"])
    return count


def validation_cases() -> Iterator[Any]:
    """(expression, issues) of every case of validation-testSuite/*.json."""
    for path in sorted(VALIDATION_SUITE.glob("*.json")):
        for no, case in enumerate(_load(path)["cases"]):
            label = f"{path.stem}/{no}:{json.dumps(case['certLogicExpression'])}"
            yield pytest.param(case["certLogicExpression"], case["issues"], id=label)


def business_rule_tests() -> Iterator[Any]:
    """(logic, data, expected) of every <CC>/<RULE>/tests/*.json of the business-rules suite."""
    for rule_path in sorted(BUSINESS_RULES.glob("*/*/rule.json")):
        logic = _load(rule_path)["Logic"]
        for test_path in sorted((rule_path.parent / "tests").glob("*.json")):
            test = _load(test_path)
            data = {"payload": test["payload"], "external": test["external"]}
            label = f"{rule_path.parent.parent.name}/{rule_path.parent.name}/{test_path.stem}"
            yield pytest.param(logic, data, test["expected"], id=label)
