"""Scans decided at the server (issue 4): the decision in the event loop, the ledger and the
checks in one transaction.

A scan is verified and decided where it arrives (CPU only, well under a millisecond per
code). What the duplicate-presentation ledger says only adds a warning, never changes the
decision, so it is asked where the check is stored: the showings of every scan in a batch
are recorded (``store.presentations``: one statement, shared by every server process through
the database), the records and screens made with its answer, and the checks inserted, all in
one transaction, on a connection the process keeps for its scans (``store.checkpoint_scans``:
plain statements, no ORM session). A paper health code's current colour does change the
decision: it is read in a thread before deciding, never in the event loop.

Storing: on PostgreSQL the checks of concurrent scans are committed together in the event
loop, on an asynchronous connection the process keeps (``LoopGroupCommit``, psycopg's
``AsyncConnection``): no hand-over to a thread and back, and no second thread competing with
the event loop for the process's core and the GIL. (A scan stored from outside an event loop,
or from another loop than the first, goes to one writer thread, ``GroupCommit``.) On SQLite, whose commit is neither a round trip nor an fsync
(WAL, ``synchronous=NORMAL``), a scan is committed in the event loop when the process's
SQLite write lock is free, and by the writer thread, which waits for it, when an ingest holds
it. Another process's writer is waited for by SQLite's busy timeout (in the event loop, when
the scan is committed there: with several processes on SQLite, a scan can wait for another
process's ingest). A scan is answered only after its commit.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime

from starlette.concurrency import run_in_threadpool

from jointcheck.api.group_commit import GroupCommit, LoopGroupCommit
from jointcheck.bootstrap import Registry
from jointcheck.checkpoint.model import CheckRecord, ScreenResult, Station
from jointcheck.checkpoint.runtime import Runtime, checkpoint_for
from jointcheck.checkpoint.scan import MAX_FAMILY, Checkpoint, Decided
from jointcheck.credentials.model import CodeColour, Verification
from jointcheck.errors import InputError
from jointcheck.store.checkpoint_scans import AsyncScanStore, ScanStore
from jointcheck.store.presentations import PURGE_LIMIT, SharedLedger, Showing

Colours = Callable[[str], CodeColour | None]
Screened = tuple[CheckRecord, ScreenResult]
# Expired showings are deleted at most this often per process, PURGE_LIMIT at a time.
PURGE_EVERY_SECONDS = 1.0


@dataclass(slots=True)
class Pending:
    """One person's scan decided, waiting for the ledger and its commit."""

    checkpoint: Checkpoint
    decided: Decided
    street_code: str
    place_id: int
    done: Screened | None = None


def ledger_for(registry: Registry, station: Station) -> SharedLedger:
    """The place's ledger over the database (for a caller outside the scan path)."""
    return SharedLedger(registry.uow, station.street_code, int(station.place_id))


class ServerScans:
    """The scan path of one server process over one database."""

    def __init__(
        self,
        registry: Registry,
        clock: Callable[[], datetime],
        sqlite_writes: threading.Lock,
        after_store: Callable[[datetime], None],
    ) -> None:
        self._registry = registry
        self._clock = clock
        self._sqlite = registry.engine.dialect.name == "sqlite"
        self._sqlite_writes = sqlite_writes
        self._after_store = after_store
        self._writer: GroupCommit[Pending] | None = None
        self._start = threading.Lock()
        self._next_purge = 0.0
        self._store = ScanStore(registry.engine)
        self._async_store = None if self._sqlite else AsyncScanStore(registry.engine)
        self._loop_writer: LoopGroupCommit[Pending] | None = None

    # Deciding --------------------------------------------------------------------------------
    def _verified(
        self, runtime: Runtime, station: Station, people: Sequence[Sequence[str]], at: datetime
    ) -> tuple[Checkpoint, list[tuple[Verification, ...]], str | None]:
        checkpoint = checkpoint_for(runtime, station, ledger_for(self._registry, station))
        if not people:
            raise InputError("no family member was presented", code="NO_CODE")
        if len(people) > MAX_FAMILY:
            raise InputError(f"at most {MAX_FAMILY} people at once", code="TOO_MANY_PEOPLE")
        group = checkpoint.make_id() if len(people) > 1 else None  # R14: one group, one helper
        return checkpoint, [checkpoint.verified(codes, at) for codes in people], group

    @staticmethod
    def _pending(
        checkpoint: Checkpoint,
        station: Station,
        verified: list[tuple[Verification, ...]],
        at: datetime,
        group: str | None,
        colours: Colours | None,
    ) -> list[Pending]:
        place = int(station.place_id)
        return [
            Pending(
                checkpoint, checkpoint.decided(v, at, group, colours), station.street_code, place
            )
            for v in verified
        ]

    @staticmethod
    def _subjects(verified: list[tuple[Verification, ...]]) -> set[str]:
        return {s for v in verified for s in Checkpoint.paper_subjects(v)}

    def scan(
        self,
        runtime: Runtime,
        station: Station,
        people: Sequence[Sequence[str]],
        colour: Colours,
    ) -> list[Screened]:
        """Decide and store, blocking (outside the event loop)."""
        at = self._clock()
        checkpoint, verified, group = self._verified(runtime, station, people, at)
        colours = _looked_up(self._subjects(verified), colour)
        pending = self._pending(checkpoint, station, verified, at, group, colours)
        if self._sqlite:
            self._write(pending)
        else:
            self._group_commit().store_blocking(pending)
        return _done(pending)

    async def scan_async(
        self,
        runtime: Runtime,
        station: Station,
        people: Sequence[Sequence[str]],
        colour: Colours,
    ) -> list[Screened]:
        """Decide in the event loop and store; a paper code's colour is read in a thread."""
        at = self._clock()
        checkpoint, verified, group = self._verified(runtime, station, people, at)
        subjects = self._subjects(verified)
        colours = await run_in_threadpool(_looked_up, subjects, colour) if subjects else None
        pending = self._pending(checkpoint, station, verified, at, group, colours)
        if self._sqlite and self._sqlite_writes.acquire(blocking=False):
            # With the process's SQLite write lock free, the commit costs less in the event
            # loop than the hand-over to a thread and back; when an ingest holds it, the
            # writer thread waits.
            try:
                self._write(pending, locked=True)
            finally:
                self._sqlite_writes.release()
        elif self._sqlite:
            await self._group_commit().store(pending)
        else:
            await self._postgresql_writer().store(pending)
        return _done(pending)

    # Storing ---------------------------------------------------------------------------------
    def _group_commit(self) -> GroupCommit[Pending]:
        writer = self._writer
        if writer is None:
            with self._start:
                if self._writer is None:
                    self._writer = GroupCommit(self._write, name="checkpoint-scans")
                writer = self._writer
        return writer

    def _lock(self, locked: bool) -> AbstractContextManager[object]:
        return self._sqlite_writes if self._sqlite and not locked else nullcontext()

    def _postgresql_writer(self) -> LoopGroupCommit[Pending] | GroupCommit[Pending]:
        """The event loop's group commit; the writer thread's for any other loop."""
        if self._loop_writer is None:
            self._loop_writer = LoopGroupCommit(self._write_async)
        if self._loop_writer.loop is asyncio.get_running_loop():
            return self._loop_writer
        return self._group_commit()

    def _write(self, pending: Sequence[Pending], *, locked: bool = False) -> None:
        """Ask the ledger for PENDING's showings, make their records and screens, store the
        checks; one transaction. LOCKED: the caller holds the process's SQLite write lock."""
        now = self._clock()
        with self._lock(locked), self._store.transaction() as db:
            showings = _showings(pending)
            _recorded(pending, showings, db.shown([s for _, _, s in showings], _latest(pending)))
            db.add_checks([_done_one(p)[0] for p in pending], now)
            db.commit()
            if self._purge_due():
                # Its own short transaction: a scan's commit does not wait for it.
                db.purge(now, PURGE_LIMIT)
                db.commit()
        self._after_store(now)

    async def _write_async(self, pending: Sequence[Pending]) -> None:
        """The same on PostgreSQL's asynchronous connection, in the event loop."""
        if self._async_store is None:
            raise RuntimeError("no asynchronous connection on SQLite")
        now = self._clock()
        async with self._async_store.transaction() as db:
            showings = _showings(pending)
            known = await db.shown([s for _, _, s in showings], _latest(pending))
            _recorded(pending, showings, known)
            await db.add_checks([_done_one(p)[0] for p in pending], now)
            await db.commit()
            if self._purge_due():
                await db.purge(now, PURGE_LIMIT)
                await db.commit()
        self._after_store(now)

    def _purge_due(self) -> bool:
        if time.monotonic() < self._next_purge:
            return False
        self._next_purge = time.monotonic() + PURGE_EVERY_SECONDS
        return True

    def close(self) -> None:
        """Commit the scans still queued, stop the writer thread, give the connection back."""
        if self._writer is not None:
            self._writer.close()
        self._store.close()
        if self._async_store is not None:
            self._async_store.close()


Shown = tuple[int, int, Showing]  # (scan in the batch, code in the scan, the showing)


def _showings(pending: Sequence[Pending]) -> list[Shown]:
    return [
        (n, index, Showing(p.street_code, p.place_id, shown.key, shown.until))
        for n, p in enumerate(pending)
        for index, shown in p.decided.shown
    ]


def _latest(pending: Sequence[Pending]) -> datetime:
    return max(p.decided.at for p in pending)


def _recorded(pending: Sequence[Pending], showings: list[Shown], known: list[bool]) -> None:
    """Make each scan's record and screen with what the ledger said of its codes."""
    duplicates: dict[int, list[int]] = {}
    for (n, index, _), seen in zip(showings, known, strict=True):
        if seen:
            duplicates.setdefault(n, []).append(index)
    for n, p in enumerate(pending):
        p.done = p.checkpoint.recorded(p.decided, duplicates.get(n, ()))


def _looked_up(subjects: set[str], colour: Colours) -> Colours:
    found = {s: colour(s) for s in subjects}
    return found.get


def _done_one(p: Pending) -> Screened:
    if p.done is None:
        raise RuntimeError("a scan was answered before it was stored")
    return p.done


def _done(pending: Sequence[Pending]) -> list[Screened]:
    return [_done_one(p) for p in pending]
