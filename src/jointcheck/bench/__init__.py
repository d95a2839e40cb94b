"""Benchmarks: each prints its figures and, where an issue names a baseline, the baseline
measured in the same run and the ratio. ``make bench`` runs them all; ``jointcheck bench
NAME [--json]`` runs one. Timings live here, never as pass/fail thresholds in tests.

A benchmark is a function ``run(quick: bool) -> BenchReport`` registered in ``registry.py``.
``quick`` shrinks the workload for the smoke test that keeps every benchmark runnable.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    value: float
    unit: str


@dataclass(frozen=True, slots=True)
class BenchReport:
    """One benchmark's outcome. ``target`` states the goal; ``met`` whether the run met it."""

    name: str
    figures: tuple[Figure, ...]
    target: str = ""
    met: bool | None = None
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "figures": {f.name: {"value": f.value, "unit": f.unit} for f in self.figures},
            "target": self.target,
            "met": self.met,
            "notes": list(self.notes),
        }
