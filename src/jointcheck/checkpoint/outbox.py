"""The agent's outbox: checks, registrations and overrides waiting for the server (offline).

SQLite in WAL mode with ``synchronous=FULL``: an event is on disk before its decision is shown,
so a power cut or a SIGKILL after the screen changed cannot lose it. One connection serves the
agent's threads (the scans, the sync loop, the entrance page's polls): a transaction belongs to
the connection, not to a thread, so each statement and each transaction holds the outbox's
lock; without it one thread's BEGIN failed inside another's transaction ("cannot start a
transaction within a transaction"), or its commit took the other's half-written rows along. Every event carries the
id the device made; the server stores an id once, so an upload repeated after a crash (sent,
but not yet marked) is harmless. Registrations are kept sealed (``sealing.py``).
"""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jointcheck.checkpoint.model import CheckRecord, OverrideRecord, RegistrationRecord

PENDING, SENT, REFUSED = 0, 1, 2
STATE_NAMES = {PENDING: "pending", SENT: "sent", REFUSED: "refused"}
# The day of the entrance's counts is the district's calendar day (R5: a street's day).
DISTRICT_TZ = ZoneInfo("Asia/Shanghai")

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS event (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        day TEXT NOT NULL,
        outcome TEXT,
        body TEXT NOT NULL,
        state INTEGER NOT NULL DEFAULT 0,
        error TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS event_state ON event (state, seq)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS skew (
        at TEXT NOT NULL, skew_ms INTEGER NOT NULL, round_trip_ms INTEGER NOT NULL
    )""",
    # Bundles (or root keys) the agent refused, one row per spell: kept after it ends.
    """CREATE TABLE IF NOT EXISTS refusal (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        code TEXT NOT NULL,
        detail TEXT NOT NULL,
        first_at TEXT NOT NULL,
        last_at TEXT NOT NULL,
        times INTEGER NOT NULL DEFAULT 1,
        ended_at TEXT
    )""",
    # The district root keys the agent followed (``rotation``): one row per link, kept.
    """CREATE TABLE IF NOT EXISTS rotation (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        previous TEXT NOT NULL,
        next TEXT NOT NULL,
        since TEXT NOT NULL,
        announced INTEGER NOT NULL DEFAULT 0
    )""",
)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A spell during which the server offered what the agent refused (same code and detail)."""

    code: str
    detail: str
    first_at: datetime
    last_at: datetime
    times: int
    ended_at: datetime | None


_REFUSAL = "code, detail, first_at, last_at, times, ended_at"


def _refusal(row: tuple[Any, ...]) -> Refusal:
    code, detail, first, last, times, ended = row
    return Refusal(
        code=str(code),
        detail=str(detail),
        first_at=datetime.fromisoformat(first),
        last_at=datetime.fromisoformat(last),
        times=int(times),
        ended_at=datetime.fromisoformat(ended) if ended else None,
    )


@dataclass(frozen=True, slots=True)
class RefusedEvent:
    """An event the server refused, as staff and the district office may see it: its id,
    kind, code and time, never its body (a registration's is personal data, R6)."""

    id: str
    kind: str
    code: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Rotation:
    """The agent re-pinned from the PREVIOUS root key to the NEXT (fingerprints) AT its time;
    the district's endorsement dates the hand-over SINCE."""

    seq: int
    at: datetime
    previous: str
    next: str
    since: datetime


def _rotation(row: tuple[Any, ...]) -> Rotation:
    seq, at, previous, following, since = row
    return Rotation(
        seq, datetime.fromisoformat(at), previous, following, datetime.fromisoformat(since)
    )


@dataclass(frozen=True, slots=True)
class Pending:
    seq: int
    id: str
    kind: str
    body: dict[str, Any]


def registration_body(record: RegistrationRecord) -> dict[str, Any]:
    return {
        "kind": "registration",
        "id": record.id,
        "check_id": record.check_id,
        "place_id": record.place_id,
        "street_code": record.street_code,
        "at": record.at.astimezone(UTC).isoformat(),
        "sealed": base64.b64encode(record.sealed).decode("ascii"),
    }


def district_day(at: datetime) -> str:
    return at.astimezone(DISTRICT_TZ).date().isoformat()


class Outbox:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=5000")
        for statement in _SCHEMA:
            self._db.execute(statement)

    def close(self) -> None:
        self._db.close()

    def append(self, records: Iterable[CheckRecord | RegistrationRecord | OverrideRecord]) -> None:
        """Store RECORDS in one transaction: all of them are durable, or none."""
        rows = []
        for record in records:
            body = (
                registration_body(record)
                if isinstance(record, RegistrationRecord)
                else record.as_dict()
            )
            outcome = body.get("outcome")
            day = district_day(record.at)
            rows.append((record.id, body["kind"], day, outcome, json.dumps(body)))
        with self._transaction():
            self._db.executemany(
                "INSERT INTO event (id, kind, day, outcome, body) VALUES (?, ?, ?, ?, ?)", rows
            )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the database's write lock first; ``with connection`` commits or
        # rolls back. The outbox's lock keeps the other threads out until then.
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            with self._db:
                yield self._db

    def _rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A read, never inside another thread's transaction (whose rows are not final)."""
        with self._lock:
            return self._db.execute(sql, parameters).fetchall()

    def _row(self, sql: str, parameters: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        rows = self._rows(sql, parameters)
        return rows[0] if rows else None

    def get(self, event_id: str) -> dict[str, Any] | None:
        row = self._row("SELECT body FROM event WHERE id = ?", (event_id,))
        return json.loads(row[0]) if row else None

    def pending(self, limit: int) -> list[Pending]:
        rows = self._rows(
            "SELECT seq, id, kind, body FROM event WHERE state = ? ORDER BY seq LIMIT ?",
            (PENDING, limit),
        )
        return [Pending(seq, i, kind, json.loads(body)) for seq, i, kind, body in rows]

    def mark(self, sent: Sequence[str], refused: dict[str, str]) -> None:
        with self._transaction():
            self._db.executemany(
                "UPDATE event SET state = ? WHERE id = ?", [(SENT, i) for i in sent]
            )
            self._db.executemany(
                "UPDATE event SET state = ?, error = ? WHERE id = ?",
                [(REFUSED, code, i) for i, code in refused.items()],
            )

    def backlog(self) -> int:
        (row,) = self._rows("SELECT count(*) FROM event WHERE state = ?", (PENDING,))
        return int(row[0])

    def refused(self) -> dict[str, str]:
        rows = self._rows("SELECT id, error FROM event WHERE state = ?", (REFUSED,))
        return {i: str(e) for i, e in rows}

    def states(self) -> dict[str, int]:
        """How many events wait, went to the server, and were refused by it."""
        rows = self._rows("SELECT state, count(*) FROM event GROUP BY state")
        found = {int(state): int(n) for state, n in rows}
        return {name: found.get(state, 0) for state, name in STATE_NAMES.items()}

    def refused_by_code(self) -> dict[str, int]:
        """The refused events' count by the server's code, for the entrance page."""
        rows = self._rows(
            "SELECT error, count(*) FROM event WHERE state = ? GROUP BY error ORDER BY error",
            (REFUSED,),
        )
        return {str(code): int(n) for code, n in rows}

    def refused_events(self) -> list[RefusedEvent]:
        """The events the server refused, oldest first (``json_extract``: only the time is
        read out of the body, so nothing personal leaves the table)."""
        rows = self._rows(
            "SELECT id, kind, error, json_extract(body, '$.at') FROM event "
            "WHERE state = ? ORDER BY seq",
            (REFUSED,),
        )
        return [
            RefusedEvent(str(i), str(kind), str(code), datetime.fromisoformat(str(at)))
            for i, kind, code, at in rows
        ]

    def counts(self, day: str) -> dict[str, int]:
        """This device's checks of DAY (``district_day``) by outcome, for the entrance page."""
        rows = self._rows(
            "SELECT outcome, count(*) FROM event WHERE kind = 'check' AND day = ? GROUP BY outcome",
            (day,),
        )
        return {str(o): int(n) for o, n in rows}

    def overrides(self, day: str) -> int:
        """This device's overrides of DAY, counted as the server counts them (issue 4)."""
        row = self._row("SELECT count(*) FROM event WHERE kind = 'override' AND day = ?", (day,))
        return int(row[0]) if row else 0

    def get_meta(self, key: str) -> str | None:
        row = self._row("SELECT value FROM meta WHERE key = ?", (key,))
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.set_metas({key: value})

    def set_metas(self, values: dict[str, str]) -> None:
        """Store VALUES in one transaction (the station and the pinned key go together)."""
        with self._transaction():
            self._db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                list(values.items()),
            )

    def record_refusal(self, at: datetime, code: str, detail: str) -> None:
        """Record a refusal: the open spell with the same code and detail counts it again."""
        stamp = at.astimezone(UTC).isoformat()
        with self._transaction():
            row = self._db.execute(
                "SELECT seq, code, detail FROM refusal WHERE ended_at IS NULL "
                "ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            if row is not None and (row[1], row[2]) == (code, detail):
                self._db.execute(
                    "UPDATE refusal SET last_at = ?, times = times + 1 WHERE seq = ?",
                    (stamp, row[0]),
                )
                return
            self._db.execute("UPDATE refusal SET ended_at = ? WHERE ended_at IS NULL", (stamp,))
            self._db.execute(
                "INSERT INTO refusal (code, detail, first_at, last_at) VALUES (?, ?, ?, ?)",
                (code, detail, stamp, stamp),
            )

    def end_refusal(self, at: datetime) -> None:
        """The server offered a good bundle again: the open spell, if any, ends."""
        with self._transaction():
            self._db.execute(
                "UPDATE refusal SET ended_at = ? WHERE ended_at IS NULL",
                (at.astimezone(UTC).isoformat(),),
            )

    def refusals(self) -> list[Refusal]:
        """Every refusal spell, oldest first; the last is open when ``ended_at`` is None."""
        rows = self._rows(f"SELECT {_REFUSAL} FROM refusal ORDER BY seq")  # noqa: S608 - a constant column list
        return [_refusal(row) for row in rows]

    def open_refusal(self) -> Refusal | None:
        row = self._row(
            f"SELECT {_REFUSAL} FROM refusal WHERE ended_at IS NULL ORDER BY seq DESC LIMIT 1"  # noqa: S608 - a constant column list
        )
        return _refusal(row) if row else None

    def record_rotation(
        self, at: datetime, links: Sequence[tuple[str, str, datetime]], metas: dict[str, str]
    ) -> None:
        """Re-pin: METAS (the new root key, the bundle it signed) and the LINKS followed
        (previous, next, since) in one transaction, so a crash leaves the old pin working."""
        stamp = at.astimezone(UTC).isoformat()
        rows = [(stamp, p, n, since.astimezone(UTC).isoformat()) for p, n, since in links]
        with self._transaction():
            self._db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                list(metas.items()),
            )
            self._db.executemany(
                "INSERT INTO rotation (at, previous, next, since) VALUES (?, ?, ?, ?)", rows
            )

    def rotations(self, *, unannounced: bool = False) -> list[Rotation]:
        """The root keys followed, oldest first (only those not yet shown, if UNANNOUNCED)."""
        where = "WHERE announced = 0 " if unannounced else ""
        rows = self._rows(
            f"SELECT seq, at, previous, next, since FROM rotation {where}ORDER BY seq"  # noqa: S608 - a constant clause
        )
        return [_rotation(row) for row in rows]

    def take_rotations(self) -> list[Rotation]:
        """The rotations not shown yet, marked shown in the same transaction: of two entrance
        pages polling at once, one says it (the entrance page says it once)."""
        with self._transaction():
            rows = self._db.execute(
                "SELECT seq, at, previous, next, since FROM rotation WHERE announced = 0 "
                "ORDER BY seq"
            ).fetchall()
            self._db.execute("UPDATE rotation SET announced = 1 WHERE announced = 0")
        return [_rotation(row) for row in rows]

    def announce_rotations(self, up_to: int) -> None:
        """The entrance page said so: rotations up to seq UP_TO are not shown again."""
        with self._transaction():
            self._db.execute("UPDATE rotation SET announced = 1 WHERE seq <= ?", (up_to,))

    def record_skew(self, at: datetime, skew_ms: int, round_trip_ms: int) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO skew (at, skew_ms, round_trip_ms) VALUES (?, ?, ?)",
                (at.astimezone(UTC).isoformat(), skew_ms, round_trip_ms),
            )

    def last_skew_ms(self) -> int | None:
        row = self._row("SELECT skew_ms FROM skew ORDER BY rowid DESC LIMIT 1")
        return int(row[0]) if row else None
