"""``jointcheck certlogic eval|test|validate``: CertLogic at the command line (R13).

Exit status: 0 done (and, for ``test``, every test passed; for ``validate``, valid); 1 a rule
test failed, an expression is invalid or evaluation raised; 2 a file could not be used.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from jointcheck.certlogic import (
    CertLogicError,
    DateTime,
    RuleReason,
    compile_expression,
    run_rule,
    validate,
)

app = typer.Typer(
    help="CertLogic 1.3.3: evaluate expressions and rules, run rule tests, validate.",
    no_args_is_help=True,
)


class BadFileError(Exception):
    """A file the user named cannot be read as what the command needs."""


def _read_json(path: Path) -> Any:  # noqa: ANN401 - any JSON document
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadFileError(f"{path} is not JSON: {exc}") from exc


def _logic_of(document: object) -> object:
    """A rule file (with ``Logic``) stands for its logic; anything else is an expression."""
    if isinstance(document, dict) and "Logic" in document:
        return document["Logic"]
    return document


def _as_json(value: object) -> str:
    def default(item: object) -> str:
        if isinstance(item, DateTime):
            return item.isoformat()
        return repr(item)

    return json.dumps(value, ensure_ascii=False, default=default)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@app.command("eval")
def eval_(
    expression: Path = typer.Argument(..., help="a CertLogic expression, or a rule with Logic"),
    data: Path = typer.Argument(..., help="the data context (JSON)"),
) -> None:
    """Evaluate EXPRESSION on DATA and print the result as JSON."""
    try:
        logic, context = _logic_of(_read_json(expression)), _read_json(data)
    except BadFileError as exc:
        raise _fail(str(exc)) from exc
    result = run_rule(logic, context)
    typer.echo(
        _as_json(
            {
                "value": result.value,
                "passed": result.passed,
                "reason": str(result.reason),
                "error": result.error,
            }
        )
    )
    if result.reason is RuleReason.CERTLOGIC_ERROR:
        raise typer.Exit(1)


@app.command("validate")
def validate_(
    expression: Path = typer.Argument(..., help="a CertLogic expression, or a rule with Logic"),
) -> None:
    """Check that EXPRESSION is well-formed CertLogic; print each issue."""
    try:
        logic = _logic_of(_read_json(expression))
    except BadFileError as exc:
        raise _fail(str(exc)) from exc
    issues = validate(logic)
    for issue in issues:
        typer.echo(_as_json(issue.as_dict()))
    if issues:
        typer.echo(f"{expression}: {len(issues)} issue(s)")
        raise typer.Exit(1)
    typer.echo(f"{expression}: valid")


@app.command("test")
def run_tests(
    directory: Path = typer.Argument(..., help="rules as <...>/<RULE>/rule.json + tests/*.json"),
) -> None:
    """Run every rule under DIRECTORY against its tests; print failures and a count."""
    try:
        rules = _rules_under(directory)
        passed, failures = _run_rule_tests(directory, rules)
    except BadFileError as exc:
        raise _fail(str(exc)) from exc
    for failure in failures:
        typer.echo(failure)
    typer.echo(f"{passed} passed, {len(failures)} failed")
    if failures:
        raise typer.Exit(1)


def _rules_under(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise BadFileError(f"{directory} is not a directory")
    rules = sorted(directory.rglob("rule.json"))
    if not rules:
        raise BadFileError(f"no rule.json under {directory}")
    return rules


def _run_rule_tests(directory: Path, rules: list[Path]) -> tuple[int, list[str]]:
    passed, failures = 0, []
    for rule_path in rules:
        logic = _logic_of(_read_json(rule_path))
        try:
            runnable: object = compile_expression(logic)
        except CertLogicError:
            runnable = logic  # run_rule reports the error for each of its tests
        for test_path in sorted((rule_path.parent / "tests").glob("*.json")):
            failure = _run_one(runnable, test_path, test_path.relative_to(directory))
            if failure is None:
                passed += 1
            else:
                failures.append(failure)
    return passed, failures


def _run_one(runnable: object, test_path: Path, label: Path) -> str | None:
    test = _read_json(test_path)
    if not isinstance(test, dict) or not {"payload", "external", "expected"} <= test.keys():
        raise BadFileError(f"{test_path} is not a rule test (payload, external, expected)")
    result = run_rule(runnable, {"payload": test["payload"], "external": test["external"]})
    expected = test["expected"]
    if result.reason is not RuleReason.CERTLOGIC_ERROR and result.value is expected:
        return None
    got = _as_json(result.value) if result.reason is not RuleReason.CERTLOGIC_ERROR else "error"
    detail = f" ({result.error})" if result.error else ""
    name = f" {_as_json(test['name'])}" if "name" in test else ""
    return f"FAIL {label}{name}: expected {_as_json(expected)}, got {got}{detail}"
