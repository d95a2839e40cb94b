"""CertLogic 1.3.3: an exact evaluator, a validator and a compiler (R13). Pure: stdlib only.

    evaluate(expr, data)          interpret the JSON expression (raises CertLogicError)
    compile_expression(expr)      validate once, then a function data -> value
    validate(expr)                the list of ValidationIssue (empty when valid)
    run_rule(logic, data)         a RuleResult: passed, reason OK / RULE_FAILED /
                                  CERTLOGIC_ERROR, error text; never raises

The specification is tests/vectors/certlogic/SPECIFICATION.md; docs/certlogic.md says what is
supported and how exactness is checked.
"""

from __future__ import annotations

from jointcheck.certlogic.compiler import compile_expression
from jointcheck.certlogic.dates import DateTime
from jointcheck.certlogic.evaluator import evaluate
from jointcheck.certlogic.rules import CompiledExpression, RuleReason, RuleResult, run_rule
from jointcheck.certlogic.semantics import CertLogicError
from jointcheck.certlogic.validator import ValidationIssue, validate

__all__ = [
    "CertLogicError",
    "CompiledExpression",
    "DateTime",
    "RuleReason",
    "RuleResult",
    "ValidationIssue",
    "compile_expression",
    "evaluate",
    "run_rule",
    "validate",
]
