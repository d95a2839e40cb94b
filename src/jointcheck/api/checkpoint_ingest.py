"""The checkpoint server's ingest side (issue 4): a device's batch stored in one transaction,
the device's last seen time, the retention purge once a district day (R6), and the day's
counts.

``CheckpointServer`` inherits these; they use its registry, clock and locks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from jointcheck.api.checkpoint_batch import in_own_name, of_own_checks, row_ids, rows_in_own_name
from jointcheck.bootstrap import Registry
from jointcheck.checkpoint.model import CheckRecord, OverrideRecord, RegistrationIn
from jointcheck.store.checkpoint_models import district_day
from jointcheck.store.checkpoint_repository import (
    Device,
    SqlCheckpoint,
    check_in_row,
    check_row,
)
from jointcheck.store.presentations import purge_expired

# A device's last seen time is written at most this often per process, and its skew when it
# changes (docs/checkpoint.md).
SEEN_EVERY = timedelta(seconds=5)
DEFAULT_RETENTION_DAYS = 28


@dataclass(frozen=True, slots=True)
class IngestResult:
    accepted: list[str]
    refused: dict[str, str]


class Ingest:
    """Store a device's batch, purge what is past its retention, count the day."""

    __slots__ = ()
    registry: Registry
    clock: Callable[[], datetime]
    _sqlite_writes: threading.Lock
    # What this process last wrote of each device's last seen time and skew (see _touch).
    _seen: dict[str, tuple[datetime, int | None]]

    def ingest(
        self,
        device: Device,
        checks: Sequence[CheckRecord | Mapping[str, Any]],
        registrations: Sequence[RegistrationIn],
        overrides: Sequence[OverrideRecord],
        refused: dict[str, str],
        skew_ms: int | None = None,
        *,
        touch: bool = True,
    ) -> IngestResult:
        """Store a device's batch in one transaction; events of another place are refused.

        CHECKS are the records of the checks the server decided, or an agent's batch's checks
        as the API validated them (``checkpoint_schemas.CheckIn``), made rows directly.
        TOUCH records that the device was seen (and its clock skew): at each sync of an
        agent, not at each scan the server decides for a device it serves.
        """
        refused = dict(refused)
        now = self.clock()
        rows = [
            check_row(c, now) if isinstance(c, CheckRecord) else check_in_row(c, now)
            for c in checks
        ]
        rows = rows_in_own_name(device, rows, refused)
        check_ids = row_ids(rows)
        overrides = in_own_name(device, overrides, refused)
        with self._writer(), self.registry.uow() as uow:
            repo = SqlCheckpoint(uow.session)
            if registrations or overrides:
                registrations, overrides = of_own_checks(
                    repo, device, check_ids, registrations, overrides, refused
                )
            repo.add_check_rows(rows)
            repo.add_overrides(overrides, now)
            if registrations:
                repo.add_registrations(
                    registrations,
                    street_code=device.street_code,
                    place_id=device.place_id,
                    cipher=self.registry.cipher,
                    retention_days=self._retention(repo),
                    now=now,
                )
            touched = touch and self._touch(device.id, now, skew_ms)
            if touched:
                repo.seen(device.id, now, skew_ms)
            uow.commit()
        if touched:
            self._seen[device.id] = (now, skew_ms)
        self._purge_once_a_day(now)
        accepted = check_ids + [o.id for o in overrides]
        accepted += [r.id for r in registrations]
        return IngestResult(accepted, refused)

    def _touch(self, device_id: str, now: datetime, skew_ms: int | None) -> bool:
        """Whether to write that DEVICE_ID was seen: not when this process wrote it less than
        SEEN_EVERY ago with the same skew (an agent back online sends its backlog batch after
        batch; a row UPDATE per batch cost a tenth of an empty batch's work)."""
        last = self._seen.get(device_id)
        if last is None or (skew_ms is not None and skew_ms != last[1]):
            return True
        return not timedelta(0) <= now - last[0] < SEEN_EVERY

    def _writer(self) -> AbstractContextManager[object]:
        # SQLite has one writer; threads that meet its lock wait in its busy handler, which
        # sleeps in steps of up to 100 ms. Queueing them on a lock here instead keeps a
        # scan's latency at its own cost. PostgreSQL writes concurrently.
        if self.registry.engine.dialect.name == "sqlite":
            return self._sqlite_writes
        return nullcontext()

    @staticmethod
    def _retention(repo: SqlCheckpoint) -> int:
        row = repo.latest_bundle()
        return row.retention_days if row is not None else DEFAULT_RETENTION_DAYS

    def _purge_once_a_day(self, now: datetime) -> None:
        raise NotImplementedError  # the server's: its scans purge the same way

    def purge(self) -> int:
        """Delete registrations past their retention days; the counts keep the numbers."""
        with self.registry.uow() as uow:
            gone = SqlCheckpoint(uow.session).purge_registrations(district_day(self.clock()))
            purge_expired(uow.session, self.clock())  # showings of expired health codes
            uow.commit()
        return gone

    def counts(self, place_id: int, day: date | None = None) -> dict[str, int]:
        with self.registry.uow() as uow:
            return SqlCheckpoint(uow.session).day_counts(
                place_id, day or district_day(self.clock())
            )
