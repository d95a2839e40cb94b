"""The access log of ``jointcheck serve``: one line per request, without personal data (R6).

uvicorn logs each request's method, path with its query string, and status. Paths carry ids
only (``/places/17/devices``, ``/api/family/links/<uuid>``), but a query string is whatever
the browser sent: ``/devices?q=`` is text typed by staff (it could be anyone's name), and
``/entrance?token=`` is a terminal's secret. So the query string is logged through an
allow-list: the parameters that hold ids, numbers or switches are kept; any other keeps its
name and loses its value. House rule 4: logs carry reason codes and ids, never personal data.
"""

from __future__ import annotations

import logging
from typing import Any, Final
from urllib.parse import parse_qsl, quote

# Every query parameter a page or route reads, and what it holds.
KEPT: Final = frozenset(
    {
        "lang",  # zh-CN | en
        "page",  # a page number (/devices)
        "member",  # a person's id (/me/print): a UUID, no personal data
        "revoked",  # a device id (/places/{id}/devices)
        "fragment",  # 1: the verify form's fetch
        "enrolled",  # a device id (/places/{id}/devices, after an enrollment)
    }
)
HIDDEN: Final = "-"
_MAX_KEPT = 64  # an id or a number; anything longer is not what these parameters hold


def logged_path(full_path: str) -> str:
    """FULL_PATH as the access log writes it: the query's values kept only for ``KEPT``."""
    path, mark, query = full_path.partition("?")
    if not mark:
        return path
    items = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        shown = value if name in KEPT and len(value) <= _MAX_KEPT else HIDDEN
        items.append(f"{quote(name[:_MAX_KEPT], safe='')}={quote(shown, safe='-')}")
    return f"{path}?{'&'.join(items)}"


class QueryRedaction(logging.Filter):
    """A filter on ``uvicorn.access`` that rewrites the path argument of each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn's access record: (client address, method, full path, HTTP version, status).
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):  # noqa: PLR2004
            record.args = (*args[:2], logged_path(args[2]), *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with the filter on its access handler (passed to
    each worker process, so every process logs the same way)."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = {
        **LOGGING_CONFIG,
        "filters": {"query_redaction": {"()": f"{__name__}.QueryRedaction"}},
        "handlers": {name: dict(h) for name, h in LOGGING_CONFIG["handlers"].items()},
    }
    config["handlers"]["access"]["filters"] = ["query_redaction"]
    return config
