"""Bulk insert of check events, idempotent by id, at the speed of the database's bulk path.

PostgreSQL: a batch an agent uploads is new, but for the batches it sends again after a lost
answer. So the rows are first ``COPY``-ed straight into ``check_events`` under a savepoint: the
bulk path itself, and every row inserted. Only when the key refuses one (a re-sent event) does
the savepoint roll back, and the batch go the careful way: ``COPY`` into a temporary table,
then one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING`` that says which ids were
new, so that the daily counts add exactly those, even when the same batch arrives twice at
once (the second ``COPY`` waits on the key for the first transaction, then fails over).
The careful way costs PostgreSQL about twice the CPU of the direct ``COPY``
(``jointcheck bench ingest``, docs/performance.md).

SQLite: ``executemany`` into a temporary table, then the same ``INSERT ... SELECT``. ORM-level
inserts cost ~20 times more per row.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date
from typing import Any

import psycopg
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Integer,
    SmallInteger,
    String,
    TypeDecorator,
    bindparam,
    text,
)
from sqlalchemy.orm import Session

from jointcheck.store.checkpoint_models import CheckEventRow

COLUMNS = tuple(c.name for c in CheckEventRow.__table__.columns)


def _pg_type(column: Any) -> str:  # noqa: ANN401 - a Column of the mapped table
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl
    for cls, name in _PG_TYPES:
        if isinstance(kind, cls):
            return name
    raise TypeError(f"no binary COPY type for check_events.{column.name}: {kind!r}")


_PG_TYPES = (
    (SmallInteger, "int2"),
    (Integer, "int4"),
    (Boolean, "bool"),
    (DateTime, "timestamptz"),
    (Date, "date"),
    (String, "text"),
)
# Binary COPY: the values go as the database stores them (a timestamp is 8 bytes, not text
# to parse); half the client's CPU per row and less of the server's than text COPY.
PG_TYPES = tuple(_pg_type(c) for c in CheckEventRow.__table__.columns)


def copy_rows(cursor: Any, table: str, rows: Iterable[tuple[Any, ...]]) -> None:  # noqa: ANN401
    """Binary ``COPY`` of ROWS (in ``COLUMNS`` order) into TABLE, on a psycopg cursor."""
    with cursor.copy(f"COPY {table} ({_NAMES}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(PG_TYPES)
        for row in rows:
            copy.write_row(row)


LOAD_TABLE = "check_events_load"
_NAMES = ", ".join(COLUMNS)
_MARKS = ", ".join("?" for _ in COLUMNS)
_RETURNING = "RETURNING id, street_code, day, place_id, outcome, stale"
# A scan at the server stores one check (a family a few): a plain INSERT beats the load table.
FEW = 10

Inserted = tuple[str, str, date, int, str, bool]


_INSTANTS = tuple(COLUMNS.index(c) for c in ("at", "received_at"))
_DAY = COLUMNS.index("day")
_ID, _STREET, _PLACE = (COLUMNS.index(c) for c in ("id", "street_code", "place_id"))
_OUTCOME, _STALE = (COLUMNS.index(c) for c in ("outcome", "stale"))
_SAVEPOINT = "check_events_copy"


def sqlite_row(row: tuple[Any, ...]) -> list[Any]:
    # The text forms SQLAlchemy's SQLite types read back (UtcDateTime stores naive UTC);
    # booleans are stored as integers by the driver itself.
    out = list(row)
    for i in _INSTANTS:
        out[i] = out[i].astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
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


def _sqlite_loaded(cursor: Any, values: list[list[Any]]) -> list[Inserted]:  # noqa: ANN401
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {LOAD_TABLE} AS "  # noqa: S608 - fixed names
        "SELECT * FROM check_events WHERE 0"
    )
    cursor.executemany(
        f"INSERT INTO {LOAD_TABLE} ({_NAMES}) VALUES ({_MARKS})",  # noqa: S608 - fixed names
        values,
    )
    cursor.execute(
        f"INSERT INTO check_events ({_NAMES}) SELECT {_NAMES} FROM {LOAD_TABLE} "  # noqa: S608
        f"WHERE true ON CONFLICT DO NOTHING {_RETURNING}"
    )
    found = cursor.fetchall()
    cursor.execute(f"DELETE FROM {LOAD_TABLE}")  # noqa: S608 - fixed name
    return [(i, s, date.fromisoformat(d), int(p), o, bool(st)) for i, s, d, p, o, st in found]


def _sqlite(raw: Any, rows: Sequence[tuple[Any, ...]]) -> list[Inserted]:  # noqa: ANN401
    if len(rows) <= FEW:
        return _sqlite_few(raw, rows)
    values = [sqlite_row(row) for row in rows]
    cursor = raw.cursor()
    try:
        if not raw.in_transaction:
            # The driver begins a transaction only before a data statement; the savepoint
            # must nest in the unit of work's transaction, not stand for it.
            cursor.execute("BEGIN")
        cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
        try:
            cursor.executemany(
                f"INSERT INTO check_events ({_NAMES}) VALUES ({_MARKS})",  # noqa: S608
                values,
            )
        except sqlite3.IntegrityError:
            # A re-sent event (or one id twice in the batch): the careful way.
            cursor.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
            return _sqlite_loaded(cursor, values)
        cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
    finally:
        cursor.close()
    return [_inserted(row) for row in rows]


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


def _postgresql_loaded(cursor: Any, rows: Sequence[tuple[Any, ...]]) -> list[Inserted]:  # noqa: ANN401
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {LOAD_TABLE} "
        "(LIKE check_events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    copy_rows(cursor, LOAD_TABLE, rows)
    cursor.execute(
        f"INSERT INTO check_events ({_NAMES}) SELECT {_NAMES} FROM {LOAD_TABLE} "  # noqa: S608
        f"ON CONFLICT DO NOTHING {_RETURNING}"
    )
    found = cursor.fetchall()
    # ON COMMIT DELETE ROWS empties it at commit; a second batch in the same
    # transaction must not see this one's rows again.
    cursor.execute(f"DELETE FROM {LOAD_TABLE}")  # noqa: S608 - fixed name
    return [(i, s, d, int(p), o, bool(st)) for i, s, d, p, o, st in found]


def _postgresql(raw: Any, rows: Sequence[tuple[Any, ...]]) -> list[Inserted]:  # noqa: ANN401
    if len(rows) <= FEW:
        return _postgresql_few(raw, rows)
    with raw.cursor() as cursor:
        cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
        try:
            copy_rows(cursor, "check_events", rows)
        except psycopg.errors.UniqueViolation:
            # A re-sent event (or a batch in the same transaction naming one id twice).
            cursor.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
            return _postgresql_loaded(cursor, rows)
        cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
    return [_inserted(row) for row in rows]


def _inserted(row: tuple[Any, ...]) -> Inserted:
    return (
        row[_ID], row[_STREET], row[_DAY], int(row[_PLACE]), row[_OUTCOME], bool(row[_STALE])
    )  # fmt: skip


def insert_checks(session: Session, rows: Sequence[tuple[Any, ...]]) -> list[Inserted]:
    """Insert ROWS (in ``COLUMNS`` order) skipping known ids; what was really inserted."""
    if not rows:
        return []
    connection = session.connection()
    raw = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        return _postgresql(raw, rows)
    return _sqlite(raw, rows)


COUNT_COLUMNS = (
    "checks", "admitted", "registered", "persuaded", "denied", "overrides", "registrations", "stale"
)  # fmt: skip
# Add to the daily counts (a plain statement: it is on every ingest's path, and the ORM's
# bulk insert costs more than the rest of a single scan's storing).
_COUNTS_UPSERT = text(
    "INSERT INTO checkpoint_daily_counts (street_code, day, place_id, "  # noqa: S608 - fixed names
    + ", ".join(COUNT_COLUMNS)
    + ") VALUES (:street_code, :day, :place_id, "
    + ", ".join(f":{c}" for c in COUNT_COLUMNS)
    + ") ON CONFLICT (street_code, day, place_id) DO UPDATE SET "
    + ", ".join(f"{c} = checkpoint_daily_counts.{c} + excluded.{c}" for c in COUNT_COLUMNS)
).bindparams(bindparam("day", type_=Date))


def add_counts(session: Session, counts: Counter[tuple[str, date, int, str]]) -> None:
    """Add COUNTS ((street, day, place, column) -> n) to the daily counts: one upsert per
    street, day and place."""
    per_key: dict[tuple[str, date, int], dict[str, int]] = {}
    for (street, day, place, column), n in counts.items():
        per_key.setdefault((street, day, place), dict.fromkeys(COUNT_COLUMNS, 0))[column] += n
    if not per_key:
        return
    rows = [
        {"street_code": s, "day": d, "place_id": p, **values}
        for (s, d, p), values in sorted(per_key.items())
    ]
    session.execute(_COUNTS_UPSERT, rows)
