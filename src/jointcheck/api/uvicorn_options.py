"""How uvicorn runs the app: the same for ``jointcheck serve``, ``jointcheck demo up`` and the
benchmarks that serve it (``bench latency``), so that what is measured is what is served.

uvloop (libuv's event loop) and httptools (the HTTP parser of Node.js) are dependencies: they
take less CPU per request than asyncio's own loop and h11, on the scan path about a fifth of
the server's time. Where uvloop cannot be installed (it has no Windows build), asyncio's loop
serves instead.
"""

from __future__ import annotations

import importlib.util
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
