"""CertLogic: a compiled rule against interpreting its JSON on every evaluation (R13).

The workload is real: the EU and DE acceptance rules of the business-rules suite
(tests/vectors/business-rules), each evaluated on every one of its published test cases. Both
paths share the date parser and its memo of recent strings; the "cold" figures clear that memo
before every evaluation, so each one pays for parsing its dates, as the first rule of a check
does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jointcheck.bench import BenchReport, Figure
from jointcheck.certlogic import compile_expression, evaluate
from jointcheck.certlogic.dates import parse_date_time

RULES = Path(__file__).resolve().parents[3] / "tests" / "vectors" / "business-rules"
COUNTRIES = ("EU", "DE")
TARGET = 5.0

Case = tuple[Any, Any]


def _cases() -> list[Case]:
    cases: list[Case] = []
    for country in COUNTRIES:
        for rule_path in sorted((RULES / country).glob("*/rule.json")):
            logic = json.loads(rule_path.read_text(encoding="utf-8"))["Logic"]
            for test_path in sorted((rule_path.parent / "tests").glob("*.json")):
                test = json.loads(test_path.read_text(encoding="utf-8"))
                cases.append((logic, {"payload": test["payload"], "external": test["external"]}))
    return cases


def _rates(
    passes: tuple[Callable[[], None], Callable[[], None]], evaluations: int, rounds: int
) -> tuple[float, float]:
    """Evaluations per CPU second of each pass: the best of ``rounds`` alternating timings.

    CPU time of this process (not wall time), and alternating rounds, so that other work
    sharing the machine's two cores neither counts against one path nor favours the other.
    """
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for i, run in enumerate(passes):
            start = time.process_time()
            run()
            best[i] = min(best[i], time.process_time() - start)
    return evaluations / best[0], evaluations / best[1]


def _passes(
    cases: list[Case], compiled: list[Case], repeat: int, *, cold: bool
) -> tuple[Callable[[], None], Callable[[], None]]:
    clear = parse_date_time.cache_clear

    def interpreted() -> None:
        for _ in range(repeat):
            for logic, data in cases:
                if cold:
                    clear()
                evaluate(logic, data)

    def fast() -> None:
        for _ in range(repeat):
            for run, data in compiled:
                if cold:
                    clear()
                run(data)

    return interpreted, fast


def run(quick: bool) -> BenchReport:
    if not RULES.is_dir():
        return BenchReport(
            name="certlogic",
            figures=(),
            target=f"compiled at least {TARGET:g}x faster than interpreted",
            notes=(f"business rules not found at {RULES}",),
        )
    cases = _cases()
    start = time.perf_counter()
    compiled = [(compile_expression(logic), data) for logic, data in cases]
    compile_us = (time.perf_counter() - start) / len(cases) * 1e6
    for (logic, data), (fn, _) in zip(cases, compiled, strict=True):
        if fn(data) != evaluate(logic, data):  # the two paths must agree before being timed
            raise AssertionError("compiled and interpreted CertLogic disagree")
    repeat, rounds = (1, 2) if quick else (4, 40)
    evaluations = repeat * len(cases)
    warm_i, warm_c = _rates(_passes(cases, compiled, repeat, cold=False), evaluations, rounds)
    cold_i, cold_c = _rates(_passes(cases, compiled, repeat, cold=True), evaluations, rounds)
    ratio = warm_c / warm_i
    return BenchReport(
        name="certlogic",
        figures=(
            Figure("interpreted", warm_i, "evaluations/CPU s"),
            Figure("compiled", warm_c, "evaluations/CPU s"),
            Figure("compiled / interpreted", ratio, "x"),
            Figure("interpreted, cold date memo", cold_i, "evaluations/CPU s"),
            Figure("compiled, cold date memo", cold_c, "evaluations/CPU s"),
            Figure("compiled / interpreted, cold", cold_c / cold_i, "x"),
            Figure("compilation", compile_us, "us/rule"),
        ),
        target=f"compiled at least {TARGET:g}x faster than interpreted",
        met=ratio >= TARGET,
        notes=(
            (
                f"{len(cases)} rule evaluations ({', '.join(COUNTRIES)} rules x their test"
                f" cases), {repeat} passes, best of {rounds} alternating rounds"
            ),
        ),
    )
