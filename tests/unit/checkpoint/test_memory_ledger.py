"""The agent's own ledger (``MemoryLedger``) keeps a bounded size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jointcheck.checkpoint.ports import MemoryLedger

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_a_code_shown_again_while_live_is_known() -> None:
    ledger = MemoryLedger()
    until = NOW + timedelta(minutes=5)
    assert not ledger.seen("gate\x1fcode\x1fnonce", NOW, until)
    assert ledger.seen("gate\x1fcode\x1fnonce", NOW + timedelta(minutes=1), until)
    # Once expired it is forgotten: shown again, it is new.
    assert not ledger.seen("gate\x1fcode\x1fnonce", NOW + timedelta(minutes=6), until)


def test_live_codes_beyond_the_bound_forget_the_one_expiring_first() -> None:
    ledger = MemoryLedger(max_entries=100)
    # A day of scans, every code still live: without a bound this would hold them all.
    for i in range(5_000):
        ledger.seen(f"k{i}", NOW, NOW + timedelta(hours=1, seconds=i))
    assert len(ledger) == 100
    # The newest stay known; the oldest (expiring first) were forgotten.
    assert ledger.seen("k4999", NOW, NOW + timedelta(hours=1, seconds=4999))
    assert not ledger.seen("k0", NOW, NOW + timedelta(hours=1))


def test_a_ledger_holds_at_least_one_entry() -> None:
    with pytest.raises(ValueError, match="at least one"):
        MemoryLedger(max_entries=0)
