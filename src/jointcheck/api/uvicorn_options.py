"""How uvicorn runs the app: the same for ``jointcheck serve``, ``jointcheck demo up`` and the
benchmarks that serve it (``bench latency``), so that what is measured is what is served.

uvloop (libuv's event loop) and httptools (the HTTP parser of Node.js) are dependencies: they
take less CPU per request than asyncio's own loop and h11, on the scan path about a fifth of
the server's time. Where uvloop cannot be installed (it has no Windows build), asyncio's loop
serves instead.
"""

from __future__ import annotations

import gc
import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.telemetry import TelemetryConfig

from jointcheck.api.access_log import log_config

# One process by default. Several are correct (the duplicate-presentation ledger is in the
# database, each process commits its own scans, SQLite's busy timeout orders the writers), but
# on the two-core machine this was measured on, where the database and the clients share the
# cores, a second process made the p99 worse on both databases (docs/performance.md, latency):
# give ``--workers`` about the cores left to the app where the database runs elsewhere.
DEFAULT_WORKERS = 1

# FastAPI's own OpenTelemetry instruments every request once a provider is configured (and
# can configure exporters from the environment): it records exception messages and request
# details, which may carry personal data the logs never hold (house rule 4), and asking
# whether it is configured cost about 5 % of a scan's CPU. Both apps switch it off.
NO_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "auto_configure": False,
}


def uvicorn_options(*, access_log: bool = True) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` / ``uvicorn.Config``: ACCESS_LOG logs each request
    at info level, its query string through ``access_log.logged_path`` (no personal data)."""
    return {
        "access_log": access_log,
        "log_config": log_config(),
        "loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "http": "httptools",
        # Served directly, not behind a proxy whose forwarded headers it should trust.
        "proxy_headers": False,
    }


# The cyclic garbage collector's thresholds while the app serves. With CPython's defaults
# (700, 10, 10) a batch of a thousand uploaded checks, about five thousand new dicts and
# lists, set off collections that walked the server's whole long-lived heap (the trust list,
# the compiled packs, the revocation list) again and again: in-process, validating a batch
# cost 11 us per check, 4 us without them (docs/performance.md, ingest). Cycles are rare on
# these paths (what a request makes is freed by reference counting), so collecting after
# 20,000 new objects instead of 700 holds at most that many dead ones a little longer.
SERVING_GC_THRESHOLDS = (20_000, 20, 20)


@contextmanager
def serving_gc() -> Iterator[None]:
    """The collector's serving thresholds for as long as the app runs (its lifespan, in each
    worker process), the previous ones again after."""
    before = gc.get_threshold()
    gc.set_threshold(*SERVING_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
