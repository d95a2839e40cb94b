"""A pack made ready to decide: CertLogic compiled once, lookups as dicts and frozensets.

Everything that does not depend on the person is done here, so that ``evaluate`` costs a
small fraction of one signature verification (issue 3, performance).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from jointcheck.certlogic import CertLogicError, compile_expression
from jointcheck.policy.decision import FiredRule
from jointcheck.policy.pack import Condition, Mode, Pack, Product, VenueCategory
from jointcheck.policy.reasons import REQUIREMENTS

# Evaluated rules of one decision, by id, memoised so that a rule named twice runs once.
RuleLog = dict[str, FiredRule]
CompiledCondition = Callable[[Any, RuleLog], bool]


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: str
    function: Callable[[Any], Any]
    passed: FiredRule
    failed: FiredRule

    def run(self, data: Any, log: RuleLog) -> bool:  # noqa: ANN401 - CertLogic data is JSON
        fired = log.get(self.id)
        if fired is None:
            # A rule passes when its logic evaluates to true (EU business-rules convention);
            # an evaluation error fails it and keeps the error's text (issue 3, R13).
            try:
                fired = self.passed if self.function(data) is True else self.failed
            except (CertLogicError, RecursionError) as exc:
                f = self.failed
                fired = FiredRule(f.id, f.zh, f.en, passed=False, error=str(exc) or "error")
            log[self.id] = fired
        return fired.passed is True

    def passes(self, data: Any) -> bool:  # noqa: ANN401 - CertLogic data is JSON
        """Whether the rule passes, without recording it (an error fails it)."""
        try:
            return self.function(data) is True
        except (CertLogicError, RecursionError):
            return False


def _compile_condition(condition: Condition, rules: dict[str, CompiledRule]) -> CompiledCondition:
    if condition.rule is not None:
        return rules[condition.rule].run
    parts = [_compile_condition(c, rules) for c in (*condition.all_of, *condition.any_of)]
    if condition.all_of:
        return lambda data, log: all(part(data, log) for part in parts)
    return lambda data, log: any(part(data, log) for part in parts)


def requirement(rid: str) -> FiredRule:
    zh, en = REQUIREMENTS.get(rid, (rid, rid))
    return FiredRule(rid, zh, en)


def _reads(logic: Any, path: str) -> bool:  # noqa: ANN401 - CertLogic is JSON
    if isinstance(logic, dict):
        return logic.get("var") == path or any(_reads(v, path) for v in logic.values())
    if isinstance(logic, list):
        return any(_reads(v, path) for v in logic)
    return False


@dataclass(frozen=True, slots=True)
class CompiledPack:
    """A pack with its parameters flattened into the fields ``evaluate`` reads."""

    pack: Pack
    id: str
    version: str
    categories: dict[str, VenueCategory]
    modes: dict[str, Mode]
    products: dict[str, Product]
    rules: dict[str, CompiledRule]
    vaccinated_for_entry: CompiledCondition
    completed: CompiledRule
    external: dict[str, Any]  # CertLogic ``external`` without the clock: the value sets
    reads_clock: bool
    passing_colours: frozenset[str]
    health_code_required: bool
    health_code_max_age: timedelta
    paper_code_max_age: timedelta  # zero: paper health codes are not accepted
    eligible_age_years: int
    contraindication_min_level: int
    restricted_accepts_contraindication: bool
    requirements: dict[str, tuple[FiredRule, ...]]  # by R-id, as cited by the health-code steps
    category_requirements: dict[str, tuple[FiredRule, ...]]  # by category id, as the pack says

    def mode(self, category_id: str) -> Mode | None:
        category = self.categories.get(category_id)
        return category.mode if category is not None else None


def compile_pack(pack: Pack) -> CompiledPack:
    """Compile every CertLogic rule of ``pack`` once (they were validated when it loaded)."""
    rules = {
        r.id: CompiledRule(
            id=r.id,
            function=compile_expression(r.logic),
            passed=FiredRule(r.id, r.description.zh, r.description.en, passed=True),
            failed=FiredRule(r.id, r.description.zh, r.description.en, passed=False),
        )
        for r in pack.rules
    }
    params = pack.parameters
    return CompiledPack(
        pack=pack,
        id=pack.id,
        version=pack.version,
        categories={c.id: c for c in pack.categories},
        modes={c.id: c.mode for c in pack.categories},
        products={p.id: p for p in pack.products},
        rules=rules,
        vaccinated_for_entry=_compile_condition(params.vaccinated_for_entry, rules),
        completed=rules[params.completed],
        external={"valueSets": {k: list(v) for k, v in pack.value_sets.items()}},
        reads_clock=any(_reads(r.logic, "external.validationClock") for r in pack.rules),
        passing_colours=frozenset(params.passing_colours),
        health_code_required=params.health_code_required,
        health_code_max_age=timedelta(seconds=params.health_code_max_age_seconds),
        paper_code_max_age=timedelta(hours=params.paper_code_max_age_hours),
        eligible_age_years=params.eligible_age_years,
        contraindication_min_level=params.contraindication_min_level,
        restricted_accepts_contraindication=params.restricted_accepts_contraindication,
        requirements={rid: (requirement(rid),) for rid in REQUIREMENTS},
        category_requirements={
            c.id: tuple(requirement(rid) for rid in c.requirements) for c in pack.categories
        },
    )
