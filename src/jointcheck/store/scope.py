"""Subtree filters on administrative codes, as index range scans."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute

from jointcheck.store.models import CODE


def in_scope(column: InstrumentedAttribute[str], scope_code: str) -> ColumnElement[bool]:
    """``column`` lies in the subtree of ``scope_code``.

    Codes are digits and nest by prefix, so the subtree is the range
    [scope, scope padded with 9s]: a B-tree range scan on the index the key leads with, in any
    collation, where ``LIKE 'scope%'`` would need a C collation on PostgreSQL.
    """
    if not scope_code.isdigit():
        # An empty or malformed scope matches nothing rather than everything (R6).
        return column.is_(None) & column.isnot(None)
    return column.between(scope_code, scope_code.ljust(CODE, "9"))
