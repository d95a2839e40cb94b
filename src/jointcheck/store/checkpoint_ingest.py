"""Bulk insert of check events, idempotent by id, at the speed of the database's bulk path.

The rows go into a temporary table first (``COPY`` on PostgreSQL, ``executemany`` on SQLite),
then one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING`` moves them into
``check_events``: the database itself says which ids were new, so the daily counts add exactly
those, even when the same batch arrives twice at once. ORM-level inserts cost ~20 times more
per row (``jointcheck bench ingest``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date
from typing import Any

from sqlalchemy.orm import Session

from jointcheck.store.checkpoint_models import CheckEventRow

COLUMNS = tuple(c.name for c in CheckEventRow.__table__.columns)
LOAD_TABLE = "check_events_load"
_NAMES = ", ".join(COLUMNS)
_RETURNING = "RETURNING id, street_code, day, place_id, outcome, stale"
# A scan at the server stores one check (a family a few): a plain INSERT beats the load table.
FEW = 10

Inserted = tuple[str, str, date, int, str, bool]


_INSTANTS = tuple(COLUMNS.index(c) for c in ("at", "received_at"))
_DAY = COLUMNS.index("day")


def sqlite_row(row: tuple[Any, ...]) -> list[Any]:
    # The text forms SQLAlchemy's SQLite types read back (UtcDateTime stores naive UTC);
    # booleans are stored as integers by the driver itself.
    out = list(row)
    for i in _INSTANTS:
        out[i] = out[i].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    out[_DAY] = out[_DAY].isoformat()
    return out


def _sqlite_few(raw: Any, rows: Sequence[tuple[Any, ...]]) -> list[Inserted]:  # noqa: ANN401
    marks = ", ".join("?" for _ in COLUMNS)
    sql = (
        f"INSERT INTO check_events ({_NAMES}) VALUES ({marks}) "  # noqa: S608 - fixed names
        f"ON CONFLICT DO NOTHING {_RETURNING}"
    )
    found = []
    cursor = raw.cursor()
    try:
        for row in rows:
            cursor.execute(sql, sqlite_row(row))
            found.extend(cursor.fetchall())
    finally:
        cursor.close()
    return [(i, s, date.fromisoformat(d), int(p), o, bool(st)) for i, s, d, p, o, st in found]


def _sqlite(raw: Any, rows: Sequence[tuple[Any, ...]]) -> list[Inserted]:  # noqa: ANN401
    if len(rows) <= FEW:
        return _sqlite_few(raw, rows)
    cursor = raw.cursor()
    try:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {LOAD_TABLE} AS "  # noqa: S608 - fixed names
            "SELECT * FROM check_events WHERE 0"
        )
        marks = ", ".join("?" for _ in COLUMNS)
        cursor.executemany(
            f"INSERT INTO {LOAD_TABLE} ({_NAMES}) VALUES ({marks})",  # noqa: S608 - fixed names
            [sqlite_row(row) for row in rows],
        )
        cursor.execute(
            f"INSERT INTO check_events ({_NAMES}) SELECT {_NAMES} FROM {LOAD_TABLE} "  # noqa: S608
            f"WHERE true ON CONFLICT DO NOTHING {_RETURNING}"
        )
        found = cursor.fetchall()
        cursor.execute(f"DELETE FROM {LOAD_TABLE}")  # noqa: S608 - fixed name
    finally:
        cursor.close()
    return [(i, s, date.fromisoformat(d), int(p), o, bool(st)) for i, s, d, p, o, st in found]


def _postgresql_few(raw: Any, rows: Sequence[tuple[Any, ...]]) -> list[Inserted]:  # noqa: ANN401
    marks = ", ".join("%s" for _ in COLUMNS)
    sql = (
        f"INSERT INTO check_events ({_NAMES}) VALUES ({marks}) "  # noqa: S608 - fixed names
        f"ON CONFLICT DO NOTHING {_RETURNING}"
    )
    found = []
    with raw.cursor() as cursor:
        for row in rows:
            cursor.execute(sql, row)
            found.extend(cursor.fetchall())
    return [(i, s, d, int(p), o, bool(st)) for i, s, d, p, o, st in found]


def _postgresql(raw: Any, rows: Sequence[tuple[Any, ...]]) -> list[Inserted]:  # noqa: ANN401
    if len(rows) <= FEW:
        return _postgresql_few(raw, rows)
    with raw.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {LOAD_TABLE} "
            "(LIKE check_events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        with cursor.copy(f"COPY {LOAD_TABLE} ({_NAMES}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO check_events ({_NAMES}) SELECT {_NAMES} FROM {LOAD_TABLE} "  # noqa: S608
            f"ON CONFLICT DO NOTHING {_RETURNING}"
        )
        found = cursor.fetchall()
        # ON COMMIT DELETE ROWS empties it at commit; a second batch in the same
        # transaction must not see this one's rows again.
        cursor.execute(f"DELETE FROM {LOAD_TABLE}")  # noqa: S608 - fixed name
    return [(i, s, d, int(p), o, bool(st)) for i, s, d, p, o, st in found]


def insert_checks(session: Session, rows: Sequence[tuple[Any, ...]]) -> list[Inserted]:
    """Insert ROWS (in ``COLUMNS`` order) skipping known ids; what was really inserted."""
    if not rows:
        return []
    connection = session.connection()
    raw = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        return _postgresql(raw, rows)
    return _sqlite(raw, rows)
