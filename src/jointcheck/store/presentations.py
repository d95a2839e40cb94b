"""The duplicate-presentation ledger in the database, shared by every server process.

A dynamic health code shown again at the same place while it is still valid gets the warning
DUPLICATE_PRESENTATION (``credentials.replay``). A server that runs more than one process
cannot keep that ledger in memory: the second showing may reach another process. Here each
showing is one row of ``checkpoint_presentations``, keyed by the street code, the place and a
hash of the code's credential id and nonce, with the code's expiry. One statement tells
whether the code was already live there and records it if not::

    INSERT ... ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
        WHERE checkpoint_presentations.expires_at < :at RETURNING nonce_hash

A row returned is a first showing (new, or replacing an expired row); a row not returned was
live: a duplicate. The database's key settles two processes racing on one code: one of them
inserts, the other waits for its commit and finds the row.

Expired rows are useless: ``purge_expired`` deletes them (a bounded number at a time on the
scan path, all of them in the daily purge).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from jointcheck.store.models import CODE, Base
from jointcheck.store.types import UtcDateTime

TABLE = "checkpoint_presentations"
HASH_BYTES = 16
CHUNK = 200  # rows per statement (SQLite allows 32,766 parameters; 4 per row)
PURGE_LIMIT = 2_000  # expired rows deleted at most by one purge on the scan path


class PresentationRow(Base):
    """A dynamic health code shown at a place, remembered until the code expires."""

    __tablename__ = TABLE
    __table_args__ = (Index(None, "expires_at"),)

    street_code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    place_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nonce_hash: Mapped[bytes] = mapped_column(LargeBinary(HASH_BYTES), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


@dataclass(frozen=True, slots=True)
class Showing:
    """One showing of a dynamic health code: where, which code (its ledger key), until when."""

    street_code: str
    place_id: int
    key: str
    until: datetime


def nonce_hash(key: str) -> bytes:
    """The stored form of a ledger key (credential id and nonce): a hash, 16 bytes."""
    return hashlib.sha256(key.encode("utf-8")).digest()[:HASH_BYTES]


def _sqlite_instant(at: datetime) -> str:
    # The text form UtcDateTime stores on SQLite (naive UTC), so that text order is time order.
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


@functools.cache
def _statement(rows: int, mark: str) -> str:
    values = ", ".join(f"({mark}, {mark}, {mark}, {mark})" for _ in range(rows))
    return (
        f"INSERT INTO {TABLE} (street_code, place_id, nonce_hash, expires_at) "  # noqa: S608
        f"VALUES {values} ON CONFLICT (street_code, place_id, nonce_hash) DO UPDATE SET "
        f"expires_at = excluded.expires_at WHERE {TABLE}.expires_at < {mark} "
        "RETURNING street_code, place_id, nonce_hash"
    )


# PostgreSQL, more rows than a VALUES list whose conversion psycopg caches (50 parameters):
# one array per column, the same text for any number of rows (see checkpoint_scans).
# WITH ORDINALITY and ORDER BY keep the rows in the key order they were given in.
_PG_VALUES_ROWS = (50 - 1) // 4
_PG_STATEMENT = (
    f"INSERT INTO {TABLE} (street_code, place_id, nonce_hash, expires_at) "  # noqa: S608
    "SELECT s, p, h, e FROM unnest(%s::text[], %s::int4[], %s::bytea[], %s::timestamptz[]) "
    "WITH ORDINALITY AS u(s, p, h, e, n) ORDER BY n "
    "ON CONFLICT (street_code, place_id, nonce_hash) DO UPDATE SET "
    f"expires_at = excluded.expires_at WHERE {TABLE}.expires_at < %s "
    "RETURNING street_code, place_id, nonce_hash"
)

Keyed = tuple[str, int, bytes]


@dataclass(frozen=True, slots=True)
class ShownPlan:
    """The statements that record a batch of showings, and how to read their answers."""

    keyed: list[Keyed]
    first: dict[Keyed, int]
    statements: list[tuple[str, list[Any]]]

    def answer(self, new: set[Keyed]) -> list[bool]:
        """For each showing, whether it was already live (NEW: the keys the statements
        returned, i.e. recorded now; the same code twice in a batch: the second is live)."""
        return [self.first[key] != i or key not in new for i, key in enumerate(self.keyed)]


def shown_plan(postgresql: bool, shown: Sequence[Showing], at: datetime) -> ShownPlan:
    """The statements recording SHOWN at AT (see ``shown_rows``)."""
    keyed = [(s.street_code, s.place_id, nonce_hash(s.key)) for s in shown]
    first: dict[Keyed, int] = {}
    for i, key in enumerate(keyed):
        first.setdefault(key, i)
    mark = "%s" if postgresql else "?"

    def instant(value: datetime) -> Any:  # noqa: ANN401 - a driver's parameter
        return value if postgresql else _sqlite_instant(value)

    statements: list[tuple[str, list[Any]]] = []
    # In key order: two transactions recording overlapping batches lock rows in one order.
    unique = sorted(first.items())
    if postgresql and len(unique) > _PG_VALUES_ROWS:
        columns: list[list[Any]] = [[], [], [], []]
        for (street, place, hashed), i in unique:
            columns[0].append(street)
            columns[1].append(place)
            columns[2].append(hashed)
            columns[3].append(shown[i].until)
        statements.append((_PG_STATEMENT, [*columns, at]))
        return ShownPlan(keyed, first, statements)
    for start in range(0, len(unique), CHUNK):
        part = unique[start : start + CHUNK]
        params: list[Any] = []
        for key, i in part:
            params.extend((*key, instant(shown[i].until)))
        params.append(instant(at))
        statements.append((_statement(len(part), mark), params))
    return ShownPlan(keyed, first, statements)


def returned_keys(found: Sequence[Sequence[Any]]) -> set[Keyed]:
    return {(s, int(p), bytes(h)) for s, p, h in found}


def shown_rows(
    cursor: Any,  # noqa: ANN401 - a DBAPI cursor
    postgresql: bool,
    shown: Sequence[Showing],
    at: datetime,
) -> list[bool]:
    """Record SHOWN (in the cursor's transaction); for each, whether it was already live at AT
    (shown before and not expired). The same code twice in SHOWN: the second is a duplicate."""
    plan = shown_plan(postgresql, shown, at)
    new: set[Keyed] = set()
    for sql, params in plan.statements:
        cursor.execute(sql, params)
        new |= returned_keys(cursor.fetchall())
    return plan.answer(new)


def purge_statement(postgresql: bool, at: datetime, limit: int | None) -> tuple[str, list[Any]]:
    """The statement deleting the rows expired before AT (at most LIMIT of them)."""
    mark = "%s" if postgresql else "?"
    when = at if postgresql else _sqlite_instant(at)
    if limit is None:
        sql = f"DELETE FROM {TABLE} WHERE expires_at < {mark}"  # noqa: S608 - fixed names
        return sql, [when]
    sql = (
        f"DELETE FROM {TABLE} WHERE (street_code, place_id, nonce_hash) IN "  # noqa: S608
        f"(SELECT street_code, place_id, nonce_hash FROM {TABLE} "
        f"WHERE expires_at < {mark} LIMIT {mark})"
    )
    return sql, [when, limit]


def purge_rows(
    cursor: Any,  # noqa: ANN401 - a DBAPI cursor
    postgresql: bool,
    at: datetime,
    limit: int | None = None,
) -> int:
    """Delete the rows expired before AT (at most LIMIT of them); how many."""
    cursor.execute(*purge_statement(postgresql, at, limit))
    return int(cursor.rowcount)


def _on_session(session: Session) -> tuple[Any, bool]:
    connection = session.connection()
    return connection.connection.driver_connection, connection.dialect.name == "postgresql"


def record_shown(session: Session, shown: Sequence[Showing], at: datetime) -> list[bool]:
    """``shown_rows`` in the session's transaction."""
    raw, postgresql = _on_session(session)
    cursor = raw.cursor()
    try:
        return shown_rows(cursor, postgresql, shown, at)
    finally:
        cursor.close()


def purge_expired(session: Session, at: datetime, limit: int | None = None) -> int:
    """``purge_rows`` in the session's transaction."""
    raw, postgresql = _on_session(session)
    cursor = raw.cursor()
    try:
        return purge_rows(cursor, postgresql, at, limit)
    finally:
        cursor.close()


class SharedLedger:
    """The ``LedgerPort`` of one place over the database: each ``seen`` is its own short
    transaction. The scan path does not use it: it records a batch's showings in the
    transaction that stores the checks (``record_shown``)."""

    def __init__(self, transaction: Callable[[], Any], street_code: str, place_id: int) -> None:
        self._transaction = transaction  # a unit of work: ``with`` it, ``.session``, ``.commit()``
        self._street = street_code
        self._place = place_id

    def seen(self, key: str, at: datetime, until: datetime) -> bool:
        """Record KEY as presented at AT until UNTIL; True if it was already live."""
        with self._transaction() as uow:
            (known,) = record_shown(
                uow.session, [Showing(self._street, self._place, key, until)], at
            )
            uow.commit()
        return known
