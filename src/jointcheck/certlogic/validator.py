"""Validation of CertLogic expressions: well-formedness before any evaluation.

Spec, "Validator" and the validation suite: every node of the expression is checked (unlike
evaluation, which checks only the operations it reaches) and every problem is reported with
the offending sub-expression.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jointcheck.certlogic.forms import (
    INVALID,
    NOT_A_VAR,
    NOT_AN_OPERATION,
    expression_operands,
    operation_problem,
)
from jointcheck.certlogic.semantics import CertLogicError, parse_path


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One problem: the sub-expression it is about and what is wrong with it."""

    expr: object
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"expr": self.expr, "message": self.message}


def validate(expr: object) -> list[ValidationIssue]:
    """Every well-formedness problem of ``expr``, outermost first; empty when it is valid."""
    issues: list[ValidationIssue] = []
    _validate(expr, issues)
    return issues


def _validate(expr: object, issues: list[ValidationIssue]) -> None:
    if isinstance(expr, dict):
        _validate_operation(expr, issues)
    elif isinstance(expr, list):
        for item in expr:
            _validate(item, issues)
    elif isinstance(expr, float) and not expr.is_integer():
        issues.append(ValidationIssue(expr, f"{expr!r} is a non-integer number"))
    elif not isinstance(expr, str | bool | int | float):
        issues.append(ValidationIssue(expr, INVALID))


def _validate_operation(expr: dict[str, Any], issues: list[ValidationIssue]) -> None:
    if len(expr) != 1:
        message = f"expression object must have exactly one key, but it has {len(expr)}"
        issues.append(ValidationIssue(expr, message))
        return
    ((operator, operands),) = expr.items()
    if operator == "var":
        _validate_var(expr, operands, issues)
        return
    if not isinstance(operands, list):
        issues.append(ValidationIssue(expr, NOT_AN_OPERATION))
        return
    problem = operation_problem(operator, operands)
    if problem is not None:
        issues.append(ValidationIssue(expr, problem))
        if problem.startswith("unrecognised operator"):
            return
    for operand in expression_operands(operator, operands):
        _validate(operand, issues)


def _validate_var(expr: object, path: object, issues: list[ValidationIssue]) -> None:
    if not isinstance(path, str):
        issues.append(ValidationIssue(expr, NOT_A_VAR))
        return
    try:
        parse_path(path)
    except CertLogicError as exc:
        issues.append(ValidationIssue(expr, str(exc)))
