"""Storing the checks a server decided (``POST /api/checkpoint/scan``) on a connection of the
driver's own, with the shared duplicate-presentation ledger, in one transaction.

The rows and daily counts are those of ``SqlCheckpoint.add_checks`` (``check_row``, the
``check_events`` columns, one count per outcome, ``stale`` counted too, only what was really
inserted); what differs is the way: plain statements on one DBAPI connection kept by the
server process for its scans, not an ORM session and a pooled connection per transaction. On
the scan path the session's own work (begin, snapshot, commit, close, the pool's check-out,
reset and, on PostgreSQL, its liveness ping) cost more than the statements
(docs/performance.md, latency).
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import date, datetime
from typing import Any

import psycopg
from sqlalchemy import Engine

from jointcheck.checkpoint.model import CheckRecord
from jointcheck.store.checkpoint_ingest import COLUMNS, COUNT_COLUMNS, PG_TYPES, sqlite_row
from jointcheck.store.checkpoint_repository import OUTCOME_COLUMN, check_row, daily_counts
from jointcheck.store.presentations import (
    Keyed,
    Showing,
    purge_rows,
    purge_statement,
    returned_keys,
    shown_plan,
    shown_rows,
)

CHUNK = 100  # SQLite: checks per statement (25 parameters each)
_NAMES = ", ".join(COLUMNS)
_KEY = tuple(COLUMNS.index(c) for c in ("id", "street_code", "day", "place_id", "outcome", "stale"))


@functools.cache
def _insert_checks(rows: int, mark: str) -> str:
    one = "(" + ", ".join(mark for _ in COLUMNS) + ")"
    return (
        f"INSERT INTO check_events ({_NAMES}) VALUES "  # noqa: S608 - fixed names
        + ", ".join(one for _ in range(rows))
        + " ON CONFLICT DO NOTHING RETURNING id"
    )


@functools.cache
def _upsert_counts(mark: str) -> str:
    return (
        "INSERT INTO checkpoint_daily_counts (street_code, day, place_id, "  # noqa: S608
        + ", ".join(COUNT_COLUMNS)
        + ") VALUES ("
        + ", ".join(mark for _ in range(3 + len(COUNT_COLUMNS)))
        + ") ON CONFLICT (street_code, day, place_id) DO UPDATE SET "
        + ", ".join(f"{c} = checkpoint_daily_counts.{c} + excluded.{c}" for c in COUNT_COLUMNS)
    )


# psycopg caches its conversion of a statement's text only up to this many parameters.
PG_CACHED_PARAMS = 50
_PG_VALUES_ROWS = PG_CACHED_PARAMS // len(COLUMNS)


@functools.cache
def _pg_checks_and_counts(rows: int) -> str:
    """PostgreSQL: the checks and their counts in one statement (a data-modifying CTE): one
    round trip fewer per batch; the counts add exactly what the insert returned.

    ROWS: a ``VALUES`` list of that many rows; 0: one array per column (``unnest``), the same
    text for any number of rows. psycopg converts a text of at most 50 parameters once, and
    prepares a text run often enough (``prepare_threshold``); a ``VALUES`` list of three or
    more rows was parsed again every time (1.6 ms of the client's CPU for a batch of 16,
    growing with the batch, just when a queue builds up), so those go as arrays. One or two
    rows (most batches at 500 checks/s) stay a ``VALUES`` list: the arrays' adaptation costs
    more than a cached conversion of 25 or 50 parameters."""
    outcome_of = {column: outcome.value for outcome, column in OUTCOME_COLUMN.items()}
    tallies = []
    for column in COUNT_COLUMNS:
        if column == "checks":
            tallies.append("count(*)")
        elif column in outcome_of:
            tallies.append(f"count(*) FILTER (WHERE outcome = '{outcome_of[column]}')")
        elif column == "stale":
            tallies.append("count(*) FILTER (WHERE stale)")
        else:
            tallies.append("0")
    if rows:
        one = "(" + ", ".join("%s" for _ in COLUMNS) + ")"
        source = "VALUES " + ", ".join(one for _ in range(rows))
    else:
        arrays = ", ".join(f"%s::{kind}[]" for kind in PG_TYPES)
        source = f"SELECT * FROM unnest({arrays})"  # noqa: S608 - fixed types
    return (
        f"WITH new AS (INSERT INTO check_events ({_NAMES}) {source}"  # noqa: S608 - fixed names
        " ON CONFLICT DO NOTHING RETURNING street_code, day, place_id, outcome, stale) "
        "INSERT INTO checkpoint_daily_counts (street_code, day, place_id, "
        + ", ".join(COUNT_COLUMNS)
        + ") SELECT street_code, day, place_id, "
        + ", ".join(tallies)
        # In key order: two transactions adding to the same days lock rows in one order.
        + " FROM new GROUP BY street_code, day, place_id ORDER BY street_code, day, place_id"
        " ON CONFLICT (street_code, day, place_id) DO UPDATE SET "
        + ", ".join(f"{c} = checkpoint_daily_counts.{c} + excluded.{c}" for c in COUNT_COLUMNS)
    )


def pg_checks(rows: Sequence[tuple[Any, ...]]) -> tuple[str, list[Any]]:
    """The statement storing ROWS (at least one) on PostgreSQL, and its parameters."""
    if len(rows) <= _PG_VALUES_ROWS:
        return _pg_checks_and_counts(len(rows)), [v for row in rows for v in row]
    return _pg_checks_and_counts(0), [list(column) for column in zip(*rows, strict=True)]


class ScanConnection:
    """One transaction's work on the kept connection (see ``ScanStore.transaction``)."""

    def __init__(self, raw: Any, postgresql: bool) -> None:  # noqa: ANN401 - a DBAPI connection
        self._raw = raw
        self._postgresql = postgresql
        self._mark = "%s" if postgresql else "?"

    def shown(self, showings: Sequence[Showing], at: datetime) -> list[bool]:
        """Record SHOWINGS; for each, whether its code was already live at AT (the ledger)."""
        cursor = self._raw.cursor()
        try:
            return shown_rows(cursor, self._postgresql, showings, at)
        finally:
            cursor.close()

    def add_checks(self, records: Sequence[CheckRecord], now: datetime) -> None:
        """Insert RECORDS (a known id is skipped) and add what was inserted to the counts."""
        rows = [check_row(r, now) for r in records]
        if self._postgresql:
            if rows:
                cursor = self._raw.cursor()
                try:
                    cursor.execute(*pg_checks(rows))
                finally:
                    cursor.close()
            return
        params: list[list[Any]] = [sqlite_row(r) for r in rows]
        new: set[str] = set()
        cursor = self._raw.cursor()
        try:
            for start in range(0, len(rows), CHUNK):
                chunk = params[start : start + CHUNK]
                cursor.execute(
                    _insert_checks(len(chunk), self._mark), [v for row in chunk for v in row]
                )
                new.update(str(i) for (i,) in cursor.fetchall())
            counts = daily_counts(
                (street, day, int(place), outcome, bool(stale))
                for ident, street, day, place, outcome, stale in (
                    (r[i] for i in _KEY) for r in rows
                )
                if ident in new
            )
            per_key: dict[tuple[str, date, int], Counter[str]] = {}
            for (street, day, place, column), n in counts.items():
                per_key.setdefault((street, day, place), Counter())[column] += n
            sql = _upsert_counts(self._mark)
            # In key order: two transactions adding to the same days lock rows in one order.
            for (street, day, place), counted in sorted(per_key.items()):
                when: Any = day if self._postgresql else day.isoformat()
                cursor.execute(sql, [street, when, place, *(counted[c] for c in COUNT_COLUMNS)])
        finally:
            cursor.close()

    def purge(self, at: datetime, limit: int | None) -> int:
        """Delete showings expired before AT, at most LIMIT."""
        cursor = self._raw.cursor()
        try:
            return purge_rows(cursor, self._postgresql, at, limit)
        finally:
            cursor.close()

    def commit(self) -> None:
        self._raw.commit()


class ScanStore:
    """The connection a server process keeps for storing its scans, one transaction at a time
    (a lock; on SQLite the callers hold the process's write lock already). A transaction that
    fails is rolled back; if the connection itself is broken, the next one opens another."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgresql = engine.dialect.name == "postgresql"
        self._lock = threading.Lock()
        self._proxy: Any = None  # the pool's connection, checked out for good

    @contextmanager
    def transaction(self) -> Iterator[ScanConnection]:
        """A transaction on the kept connection: commit inside; rolled back if left by an error."""
        with self._lock:
            if self._proxy is None:
                self._proxy = self._engine.raw_connection()
            raw = self._proxy.driver_connection
            try:
                yield ScanConnection(raw, self._postgresql)
            except BaseException:
                try:
                    raw.rollback()
                except Exception:  # noqa: BLE001 - the connection is gone: open another next time
                    self._discard()
                raise

    def _discard(self) -> None:
        proxy, self._proxy = self._proxy, None
        if proxy is not None:
            proxy.invalidate()

    def close(self) -> None:
        with self._lock:
            proxy, self._proxy = self._proxy, None
        if proxy is not None:
            proxy.close()


class AsyncScanConnection:
    """One transaction's work on the kept asynchronous connection (PostgreSQL): the same
    statements as ``ScanConnection``'s, awaited in the event loop, in pipeline mode: a statement
    whose answer is not read is sent with the next one that is, or with the commit."""

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._conn = conn

    async def shown(self, showings: Sequence[Showing], at: datetime) -> list[bool]:
        plan = shown_plan(True, showings, at)
        new: set[Keyed] = set()
        async with self._conn.cursor() as cursor:
            for sql, params in plan.statements:
                await cursor.execute(sql, params)
                new |= returned_keys(await cursor.fetchall())
        return plan.answer(new)

    async def add_checks(self, records: Sequence[CheckRecord], now: datetime) -> None:
        rows = [check_row(r, now) for r in records]
        if rows:
            async with self._conn.cursor() as cursor:
                await cursor.execute(*pg_checks(rows))

    async def purge(self, at: datetime, limit: int | None) -> None:
        """Delete showings expired before AT, at most LIMIT (sent with the next commit)."""
        async with self._conn.cursor() as cursor:
            await cursor.execute(*purge_statement(True, at, limit))

    async def commit(self) -> None:
        await self._conn.commit()


class AsyncScanStore:
    """PostgreSQL: the asynchronous connection a server process keeps in its event loop for
    storing its scans, one transaction at a time (the caller runs one at a time: a group
    commit). No thread hand-over: the loop waits on the socket. A transaction that fails is
    rolled back; if the connection itself is broken, the next one opens another."""

    def __init__(self, engine: Engine) -> None:
        url = engine.url.set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._conn: psycopg.AsyncConnection[Any] | None = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncScanConnection]:
        conn = self._conn
        if conn is None or conn.closed:
            conn = self._conn = await psycopg.AsyncConnection.connect(self._conninfo)
        try:
            # Pipeline mode: BEGIN goes with the ledger's statement (its answer is the first
            # wait), the checks with COMMIT (the second): two round trips a batch, not four.
            async with conn.pipeline():
                yield AsyncScanConnection(conn)
        except BaseException:
            try:
                await conn.rollback()
            except Exception:  # noqa: BLE001 - the connection is gone: open another next time
                self._conn = None
                conn.pgconn.finish()
            raise

    def close(self) -> None:
        """Close the connection (from outside its event loop, or after it stopped)."""
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            conn.pgconn.finish()
