"""The verify benchmark stays runnable, verifies what it times, and reports its ratio."""

from __future__ import annotations

from jointcheck.bench.registry import load
from jointcheck.bench.verify import QUICK_CODES, TARGET, run


def test_the_benchmark_is_registered_and_reports_the_ratio() -> None:
    assert load("verify") is run
    report = run(quick=True)  # raises if any benchmarked code fails to verify
    figures = {figure.name: figure.value for figure in report.figures}
    assert figures["codes"] == QUICK_CODES + figures["dcc-testdata codes"]
    assert figures["dcc-testdata codes"] > 0
    ratio = figures["ratio"]
    assert abs(ratio - figures["full pipeline"] / figures["bare cryptography"]) < 1e-9
    assert report.met is (ratio >= TARGET)
    floor = figures["signature step alone"] / figures["bare cryptography"]
    assert abs(figures["signature step alone ratio"] - floor) < 1e-9
    for alg in ("ES256", "PS256"):
        assert figures[f"{alg} full pipeline"] > 0
        assert figures[f"{alg} signature step alone ratio"] > 0
