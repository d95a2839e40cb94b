"""What a device's batch may store (R6: a terminal records in its own name only): checks and
overrides of its place in its own name, and registrations and overrides that follow a check of
the same device at its place. The others are refused by id with their code.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from jointcheck.checkpoint.model import CheckRecord, OverrideRecord, RegistrationIn
from jointcheck.checkpoint.reasons import BatchRefusal
from jointcheck.store.checkpoint_ingest import COLUMNS
from jointcheck.store.checkpoint_models import district_day
from jointcheck.store.checkpoint_repository import Device, SqlCheckpoint

Event = TypeVar("Event", CheckRecord, OverrideRecord)


def in_own_name(device: Device, events: Sequence[Event], refused: dict[str, str]) -> list[Event]:
    """The EVENTS (checks or overrides) of DEVICE's place and in its own name; the others
    refused as PLACE_MISMATCH or DEVICE_MISMATCH."""
    place, street = str(device.place_id), device.street_code
    kept = []
    for event in events:
        if event.place_id != place or event.street_code != street:
            refused[event.id] = BatchRefusal.PLACE_MISMATCH.value
        # R6: a terminal records in its own name only, not as another of its place.
        elif event.device_id != device.id:
            refused[event.id] = BatchRefusal.DEVICE_MISMATCH.value
        else:
            kept.append(event)
    return kept


_STREET, _ID, _PLACE, _DEVICE = (
    COLUMNS.index(c) for c in ("street_code", "id", "place_id", "device_id")
)


def rows_in_own_name(
    device: Device, rows: Sequence[tuple[Any, ...]], refused: dict[str, str]
) -> list[tuple[Any, ...]]:
    """``in_own_name`` for checks as rows of ``check_events`` (``check_row``,
    ``check_in_row``)."""
    kept = []
    for row in rows:
        if row[_PLACE] != device.place_id or row[_STREET] != device.street_code:
            refused[row[_ID]] = BatchRefusal.PLACE_MISMATCH.value
        elif row[_DEVICE] != device.id:
            refused[row[_ID]] = BatchRefusal.DEVICE_MISMATCH.value
        else:
            kept.append(row)
    return kept


def row_ids(rows: Sequence[tuple[Any, ...]]) -> list[str]:
    return [row[_ID] for row in rows]


def of_own_checks(
    repo: SqlCheckpoint,
    device: Device,
    check_ids: Collection[str],
    registrations: Sequence[RegistrationIn],
    overrides: Sequence[OverrideRecord],
    refused: dict[str, str],
) -> tuple[list[RegistrationIn], list[OverrideRecord]]:
    """The registrations and overrides that name a check of DEVICE at its place, in this
    batch or stored; the others refused as CHECK_MISMATCH.

    A registration or an override follows its check at the same terminal within moments, so
    the check is looked for on the district day of the event and the day before.
    """
    own = set(check_ids)
    named = {r.check_id: r.at for r in registrations} | {o.check_id: o.at for o in overrides}
    wanted = {i: at for i, at in named.items() if i not in own}
    if wanted:
        days = {
            district_day(at) - timedelta(days=back) for at in wanted.values() for back in (0, 1)
        }
        own |= repo.own_checks(device, wanted.keys(), days)

    def named_own(event_id: str, check_id: str) -> bool:
        if check_id in own:
            return True
        refused[event_id] = BatchRefusal.CHECK_MISMATCH.value
        return False

    return (
        [r for r in registrations if named_own(r.id, r.check_id)],
        [o for o in overrides if named_own(o.id, o.check_id)],
    )
