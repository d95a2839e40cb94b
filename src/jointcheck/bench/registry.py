"""The benchmarks ``jointcheck bench`` knows, by name -> ``module:function``.

Modules are imported only when their benchmark runs, so one benchmark's dependencies never
slow another's start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from jointcheck.bench import BenchReport

BENCHMARKS: dict[str, str] = {
    # name: "module:function"; each function is run(quick: bool) -> BenchReport
    "certlogic": "jointcheck.bench.certlogic:run",
    "decision": "jointcheck.bench.policy:run",
    "verify": "jointcheck.bench.verify:run",
    "verifier-memory": "jointcheck.bench.trust_memory:run",
    "revocation": "jointcheck.bench.trust_memory:run_revocation",
    "ingest": "jointcheck.bench.ingest:run",
    "latency": "jointcheck.bench.latency:run",
}


def load(name: str) -> Callable[[bool], BenchReport]:
    module_name, _, func = BENCHMARKS[name].partition(":")
    fn: Callable[[bool], BenchReport] = getattr(importlib.import_module(module_name), func)
    return fn
