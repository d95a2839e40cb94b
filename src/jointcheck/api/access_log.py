"""The access log of ``jointcheck serve``: one line per request, without personal data (R6).

uvicorn logs each request's method, path with its query string, and status. The app's paths
carry ids only (``/places/17/devices``, ``/api/family/links/<uuid>``), but a path that is no
route's (a 404) is whatever was typed into the address bar, so each segment of a path is
written only when it has the shape of a route's word, a number that is no phone or document
number, or a UUID; and a query string is whatever the browser sent: ``/devices?q=`` is text typed by staff (it could be anyone's name), and
``/entrance?token=`` is a terminal's secret. So the query string is logged through an
allow-list: the values of the parameters that hold ids, numbers or switches are kept when they
have that shape; any other value is written as '-', and so is a name that is not a word.
House rule 4: logs carry reason codes and ids, never personal data.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Final
from urllib.parse import parse_qsl, quote

_DAY: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ID: Final = re.compile(r"[0-9A-Fa-f]{8}-?(?:[0-9A-Fa-f]{4}-?){3}[0-9A-Fa-f]{12}")
# Every query parameter a page or route reads, and the shape of what it holds: a value is
# written only when it has that shape. The name alone is not enough: ``?member=`` holding a
# resident ID number (typed or pasted by mistake) is personal data all the same.
KEPT: Final = {
    "lang": re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z]{2,4})?"),  # zh-CN | en
    "page": re.compile(r"[0-9]{1,6}"),  # a page number (/devices)
    "member": _ID,  # a person's id (/me/print): a UUID, no personal data
    "revoked": _ID,  # a device id (/places/{id}/devices)
    "fragment": re.compile(r"[0-9a-z]{1,5}"),  # 1: the verify form's fetch
    "enrolled": _ID,  # a device id (/places/{id}/devices, after an enrollment)
    "resident": _ID,  # a person's id (/family): never their document
    "linked": _ID,  # a family link's id (/family, after a link is made)
    "removed": _ID,  # a family link's id (/family, after its removal)
    "again": re.compile(r"[01]"),  # 1: the link was made before (/family)
    "day": _DAY,  # a calendar day (/registrations, /api/streets/{code}/registrations)
    "from": _DAY,
    "to": _DAY,
    "street": re.compile(r"[0-9]{9}"),  # a street's code (/registrations)
}
HIDDEN: Final = "-"
# A path segment as routes and static files have them: a lowercase word (``id-document``,
# ``entrance.css``), a place's or device's id, an administrative code (6, 9, 12 or 15 digits:
# street, community, grid); not 11 digits (a mobile number) or 17-18 (an ID card number).
_SEGMENT: Final = re.compile(
    r"[a-z][a-z0-9._-]{0,63}|[0-9]{1,10}|[0-9]{12}|[0-9]{15}|" + _ID.pattern
)
# A parameter's name is written when it looks like one (lowercase words): a name made of
# digits or other characters may be a phone number or a name sent as a key.
_NAME: Final = re.compile(r"[a-z][a-z_]{0,31}")


def _shown(name: str, value: str) -> str:
    shape = KEPT.get(name)
    return value if shape is not None and shape.fullmatch(value) else HIDDEN


def _logged_segments(path: str) -> str:
    return "/".join(
        part if not part or _SEGMENT.fullmatch(part) else HIDDEN for part in path.split("/")
    )


def logged_path(full_path: str) -> str:
    """FULL_PATH as the access log writes it: each path segment kept when it has a route's
    shape, the query's values only for ``KEPT``, when they have the shape the parameter
    holds."""
    raw_path, mark, query = full_path.partition("?")
    path = _logged_segments(raw_path)
    if not mark:
        return path
    items = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        shown_name = name if _NAME.fullmatch(name) else HIDDEN
        items.append(f"{shown_name}={quote(_shown(name, value), safe='-_')}")
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
