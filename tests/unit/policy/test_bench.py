"""The decision benchmark stays runnable, decides what it claims, and reports its ratio."""

from __future__ import annotations

from jointcheck.bench.policy import AT, TARGET, run, scenarios
from jointcheck.bench.registry import load
from jointcheck.policy import Outcome, evaluate


def test_the_benchmarked_people_are_admitted_as_the_packs_say() -> None:
    for evidence, venue, pack in scenarios().values():
        assert evaluate(evidence, venue, pack, AT).outcome is Outcome.ADMIT


def test_the_benchmark_is_registered_and_reports_the_ratio() -> None:
    assert load("decision") is run
    report = run(quick=True)
    figures = {figure.name: figure.value for figure in report.figures}
    ratio = figures["decision / verification"]
    verification = figures["ECDSA P-256 verification"]
    decision = figures["decision, fangzi-2021 (health code + DCC)"]
    assert abs(ratio - decision / verification) < 1e-9
    assert report.met is (ratio <= TARGET)
