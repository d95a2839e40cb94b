"""Validation of CertLogic expressions: well-formedness before any evaluation.

Spec, "Validator" and the validation suite: every node of the expression is checked (unlike
evaluation, which checks only the operations it reaches) and every problem is reported with
the offending sub-expression, in the order and the texts of the reference validator
(certlogic-js ``validateFormat``), which the suite's messages come from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jointcheck.certlogic.forms import (
    INVALID,
    LITERAL_TAILED,
    NOT_A_VAR,
    NOT_AN_OPERATION,
    OPERATORS,
    RECURSION_LIMIT,
    arity_problem,
    js_number,
    literal_problems,
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
        issues.append(ValidationIssue(expr, f"{js_number(expr)} is a non-integer number"))
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
    problem = arity_problem(operator, len(operands))
    if problem is not None:
        issues.append(ValidationIssue(expr, problem))
        if operator not in OPERATORS or operator == "!":
            return  # nothing to descend into (the reference validator does not, for "!")
    if operator in LITERAL_TAILED:
        # The date or UCI operand is an expression; the amount, unit and index are literals.
        if operands:
            _validate(operands[0], issues)
        issues.extend(ValidationIssue(expr, text) for text in literal_problems(operator, operands))
        return
    limit = RECURSION_LIMIT.get(operator, 3 if operator != "and" else len(operands))
    for operand in operands[:limit]:
        _validate(operand, issues)


def _validate_var(expr: object, path: object, issues: list[ValidationIssue]) -> None:
    if not isinstance(path, str):
        issues.append(ValidationIssue(expr, NOT_A_VAR))
        return
    try:
        parse_path(path)
    except CertLogicError as exc:
        issues.append(ValidationIssue(expr, str(exc)))
