"""The daily counts of checks are the same whichever path stores them (the sessions' bulk path,
``SqlCheckpoint.add_checks``, and the scan path's kept connection, ``ScanStore``), on SQLite and
on PostgreSQL: one count per outcome, ``stale`` counted too, a re-sent check counted once."""

from __future__ import annotations

from datetime import datetime, timedelta

from checkpoint_factories import COMMUNITY, NOW, OTHER_COMMUNITY, District
from sqlalchemy import delete, select

from jointcheck.checkpoint.model import CheckRecord, Outcome
from jointcheck.policy import EvidenceSummary
from jointcheck.store.checkpoint_models import CheckEventRow, DailyCountRow
from jointcheck.store.checkpoint_repository import SqlCheckpoint
from jointcheck.store.checkpoint_scans import ScanStore

OUTCOMES = (Outcome.ADMIT, Outcome.ADMIT, Outcome.PERSUADE, Outcome.DENY, Outcome.ADMIT_REGISTERED)


def _records(d: District, first: int, count: int) -> list[CheckRecord]:
    out = []
    for i in range(first, first + count):
        home = i % 3 == 0
        out.append(
            CheckRecord(
                id=f"chk-{i:06d}",
                device_id="dev-1",
                place_id=str(d.other_place_id if home else d.place_id),
                entrance_id="gate" if home else "north",
                street_code=OTHER_COMMUNITY if home else COMMUNITY,
                # Two district days (the district's midnight is 16:00 UTC).
                at=NOW + timedelta(hours=i % 2 * 24),
                outcome=OUTCOMES[i % len(OUTCOMES)],
                reasons=(),
                summary=EvidenceSummary(),
                subject_hash=None,
                bundle_version=1,
                stale=i % 4 == 0,
            )
        )
    return out


def _counts(d: District) -> dict[tuple[str, str, int], tuple[int, ...]]:
    with d.registry.uow() as uow:
        rows = uow.session.execute(select(DailyCountRow)).scalars().all()
        return {
            (r.street_code, str(r.day), r.place_id): (
                r.checks,
                r.admitted,
                r.registered,
                r.persuaded,
                r.denied,
                r.stale,
            )
            for r in rows
        }


def _clear(d: District) -> None:
    with d.registry.uow() as uow:
        uow.session.execute(delete(CheckEventRow))
        uow.session.execute(delete(DailyCountRow))
        uow.commit()


def _store_in_bulk(d: District, batches: list[list[CheckRecord]], now: datetime) -> None:
    """Each batch as an upload stores it: the repository, one transaction each."""
    for batch in batches:
        with d.registry.uow() as uow:
            SqlCheckpoint(uow.session).add_checks(batch, now)
            uow.commit()


def _store_as_scans(d: District, batches: list[list[CheckRecord]], now: datetime) -> None:
    """Each batch as the server's scans store it: the scan store's kept connection."""
    store = ScanStore(d.registry.engine)
    try:
        for batch in batches:
            with store.transaction() as db:
                db.add_checks(batch, now)
                db.commit()
    finally:
        store.close()


def test_the_bulk_path_and_the_scan_path_count_the_same(district: District) -> None:
    d = district
    now = NOW + timedelta(days=2)
    # Two batches overlapping by ten checks: the re-sent ones are stored and counted once.
    batches = [_records(d, 0, 60), _records(d, 50, 60)]
    _store_in_bulk(d, batches, now)
    bulk = _counts(d)
    _clear(d)
    _store_as_scans(d, batches, now)
    scan = _counts(d)
    assert scan == bulk
    # And both are right: 110 distinct checks, by hand.
    expected: dict[tuple[str, str, int], list[int]] = {}
    for r in _records(d, 0, 110):
        key = (r.street_code, str((r.at + timedelta(hours=8)).date()), int(r.place_id))
        tally = expected.setdefault(key, [0] * 6)
        tally[0] += 1
        column = {
            Outcome.ADMIT: 1, Outcome.ADMIT_REGISTERED: 2, Outcome.PERSUADE: 3, Outcome.DENY: 4
        }[r.outcome]  # fmt: skip
        tally[column] += 1
        tally[5] += int(r.stale)
    assert scan == {k: tuple(v) for k, v in expected.items()}
    assert sum(v[0] for v in scan.values()) == 110


def test_batches_of_every_size_are_stored_and_counted_alike(district: District) -> None:
    """One or two checks go as a list of rows, more (on PostgreSQL) as one array per column:
    the same rows and counts as the bulk path, a re-sent check stored and counted once."""
    d = district
    now = NOW + timedelta(days=2)
    batches = [_records(d, 0, 1), _records(d, 0, 2), _records(d, 1, 3), _records(d, 3, 30)]
    _store_in_bulk(d, batches, now)
    bulk = _counts(d)
    with d.registry.uow() as uow:
        bulk_rows = sorted(tuple(r) for r in uow.session.execute(select(CheckEventRow.__table__)))
    _clear(d)
    _store_as_scans(d, batches, now)
    assert _counts(d) == bulk
    assert sum(v[0] for v in bulk.values()) == 33
    with d.registry.uow() as uow:
        rows = sorted(tuple(r) for r in uow.session.execute(select(CheckEventRow.__table__)))
    assert rows == bulk_rows
