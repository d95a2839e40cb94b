"""``jointcheck certlogic eval|test|validate`` as a user runs them (typer's CliRunner)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from jointcheck.cli.main import app

from .suites import BUSINESS_RULES

runner = CliRunner()
RULE = BUSINESS_RULES / "EU" / "VR-EU-0001"


def write(path: Path, content: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def test_eval_of_a_rule_file_on_a_test_file_prints_json():
    result = runner.invoke(
        app, ["certlogic", "eval", str(RULE / "rule.json"), str(RULE / "tests" / "test001.json")]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "value": True,
        "passed": True,
        "reason": "OK",
        "error": "",
    }


def test_eval_of_an_expression_prints_dates_in_iso_8601(tmp_path):
    expr = write(tmp_path / "e.json", {"plusTime": [{"var": "t"}, 1, "month"]})
    data = write(tmp_path / "d.json", {"t": "2021-01-31T10:00:00+08:00"})
    result = runner.invoke(app, ["certlogic", "eval", str(expr), str(data)])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["value"] == "2021-03-03T02:00:00.000Z"


def test_eval_that_errs_reports_certlogic_error_and_exits_1(tmp_path):
    expr = write(tmp_path / "e.json", {"in": ["a", {"var": "x"}]})
    data = write(tmp_path / "d.json", {"x": None})
    result = runner.invoke(app, ["certlogic", "eval", str(expr), str(data)])
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["reason"] == "CERTLOGIC_ERROR"
    assert out["error"] == 'right-hand side of an "in" operation must be an array'


def test_test_runs_a_rules_directory_and_counts(tmp_path):
    shutil.copytree(RULE, tmp_path / "EU" / "VR-EU-0001")
    result = runner.invoke(app, ["certlogic", "test", str(tmp_path)])
    assert result.exit_code == 0, result.output
    count = len(list((RULE / "tests").glob("*.json")))
    assert result.stdout.strip().splitlines()[-1] == f"{count} passed, 0 failed"


def test_test_prints_each_failure_and_exits_1(tmp_path):
    shutil.copytree(RULE, tmp_path / "VR-EU-0001")
    test_file = tmp_path / "VR-EU-0001" / "tests" / "test001.json"
    case = json.loads(test_file.read_text(encoding="utf-8"))
    case["expected"] = not case["expected"]
    write(test_file, case)
    result = runner.invoke(app, ["certlogic", "test", str(tmp_path)])
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("FAIL VR-EU-0001/tests/test001.json")
    assert lines[-1].endswith(" passed, 1 failed")


def test_test_of_the_whole_business_rules_suite_passes():
    result = runner.invoke(app, ["certlogic", "test", str(BUSINESS_RULES)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "533 passed, 0 failed"


def test_validate_lists_issues_and_exits_1(tmp_path):
    expr = write(tmp_path / "e.json", {"Logic": {"and": [{"var": "x."}]}})
    result = runner.invoke(app, ["certlogic", "validate", str(expr)])
    assert result.exit_code == 1
    issues = [json.loads(line) for line in result.stdout.splitlines()[:-1]]
    assert [issue["message"] for issue in issues] == [
        'an "and" operation must have at least 2 operands, but it has 1',
        "data access path doesn't have a valid format: x.",
    ]
    valid = runner.invoke(app, ["certlogic", "validate", str(RULE / "rule.json")])
    assert valid.exit_code == 0
    assert valid.stdout.strip().endswith("valid")


def test_bad_files_are_a_clear_error_with_exit_2(tmp_path):
    not_json = tmp_path / "x.json"
    not_json.write_text("{nope", encoding="utf-8")
    for args in (
        ["validate", str(tmp_path / "missing.json")],
        ["eval", str(not_json), str(not_json)],
        ["test", str(tmp_path / "missing")],
        ["test", str(tmp_path)],
    ):
        result = runner.invoke(app, ["certlogic", *args])
        assert result.exit_code == 2, args
        assert result.stderr.startswith("error: "), args
    broken = write(tmp_path / "R" / "tests" / "t.json", {"payload": {}})
    write(broken.parent.parent / "rule.json", {"Logic": True})
    result = runner.invoke(app, ["certlogic", "test", str(tmp_path / "R")])
    assert result.exit_code == 2
    assert "is not a rule test" in result.stderr
