"""The agent's outbox: checks, registrations and overrides waiting for the server (offline).

SQLite in WAL mode with ``synchronous=FULL``: an event is on disk before its decision is shown,
so a power cut or a SIGKILL after the screen changed cannot lose it. Every event carries the
id the device made; the server stores an id once, so an upload repeated after a crash (sent,
but not yet marked) is harmless. Registrations are kept sealed (``sealing.py``).
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jointcheck.checkpoint.model import CheckRecord, OverrideRecord, RegistrationRecord

PENDING, SENT, REFUSED = 0, 1, 2
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

    def _transaction(self) -> sqlite3.Connection:
        # ``with connection`` commits or rolls back; BEGIN IMMEDIATE takes the write lock first.
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def get(self, event_id: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT body FROM event WHERE id = ?", (event_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def pending(self, limit: int) -> list[Pending]:
        rows = self._db.execute(
            "SELECT seq, id, kind, body FROM event WHERE state = ? ORDER BY seq LIMIT ?",
            (PENDING, limit),
        ).fetchall()
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
        row = self._db.execute("SELECT count(*) FROM event WHERE state = ?", (PENDING,)).fetchone()
        return int(row[0])

    def refused(self) -> dict[str, str]:
        rows = self._db.execute("SELECT id, error FROM event WHERE state = ?", (REFUSED,))
        return {i: str(e) for i, e in rows.fetchall()}

    def counts(self, day: str) -> dict[str, int]:
        """This device's checks of DAY (``district_day``) by outcome, for the entrance page."""
        rows = self._db.execute(
            "SELECT outcome, count(*) FROM event WHERE kind = 'check' AND day = ? GROUP BY outcome",
            (day,),
        ).fetchall()
        return {str(o): int(n) for o, n in rows}

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def record_skew(self, at: datetime, skew_ms: int, round_trip_ms: int) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO skew (at, skew_ms, round_trip_ms) VALUES (?, ?, ?)",
                (at.astimezone(UTC).isoformat(), skew_ms, round_trip_ms),
            )

    def last_skew_ms(self) -> int | None:
        row = self._db.execute("SELECT skew_ms FROM skew ORDER BY rowid DESC LIMIT 1").fetchone()
        return int(row[0]) if row else None
