"""The CertLogic benchmark stays runnable and reports both paths and their ratio."""

from __future__ import annotations

from jointcheck.bench.certlogic import run
from jointcheck.bench.registry import load


def test_the_benchmark_is_registered_and_reports_the_ratio():
    assert load("certlogic") is run
    report = run(quick=True)
    figures = {figure.name: figure for figure in report.figures}
    assert {"interpreted", "compiled", "compiled / interpreted"} <= figures.keys()
    ratio = figures["compiled"].value / figures["interpreted"].value
    assert abs(figures["compiled / interpreted"].value - ratio) < 1e-9
    assert report.met is (ratio >= 5)
