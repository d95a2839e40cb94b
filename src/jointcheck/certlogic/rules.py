"""Running a CertLogic rule: the outcome as a value, never an exception (house rule 1, R13).

A rule passes when its logic evaluates to ``true``. Any other value fails it; an evaluation
error fails it with the reason ``CERTLOGIC_ERROR`` and the error's text (the spec advises
"to try-catch the evaluation, and return false ... when evaluating a validation rule").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from jointcheck.certlogic.evaluator import evaluate
from jointcheck.certlogic.forms import NESTED_TOO_DEEPLY, describe
from jointcheck.certlogic.semantics import CertLogicError


class RuleReason(StrEnum):
    OK = "OK"
    RULE_FAILED = "RULE_FAILED"
    CERTLOGIC_ERROR = "CERTLOGIC_ERROR"


@dataclass(frozen=True, slots=True)
class RuleResult:
    """The outcome of one rule: ``passed``, its reason, the error text and the value."""

    passed: bool
    reason: RuleReason
    error: str = ""
    value: object = None


def run_rule(logic: object, data: object) -> RuleResult:
    """Evaluate ``logic`` on ``data`` as a rule.

    ``logic`` is either a CertLogic expression (JSON, interpreted) or the function that
    ``compile_expression`` made of one.
    """
    try:
        value = logic(data) if callable(logic) else evaluate(logic, data)
    except CertLogicError as exc:
        return RuleResult(passed=False, reason=RuleReason.CERTLOGIC_ERROR, error=str(exc))
    except RecursionError:
        # A compiled expression's closures nest as deeply as the expression did.
        return RuleResult(passed=False, reason=RuleReason.CERTLOGIC_ERROR, error=NESTED_TOO_DEEPLY)
    if value is True:
        return RuleResult(passed=True, reason=RuleReason.OK, value=True)
    error = "" if value is False else f"the rule evaluated to {describe(value)}, not a boolean"
    return RuleResult(passed=False, reason=RuleReason.RULE_FAILED, error=error, value=value)


CompiledExpression = Callable[[object], object]
