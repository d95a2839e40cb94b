"""The same health code shown twice at one place: a DUPLICATE_PRESENTATION warning."""

from __future__ import annotations

from datetime import timedelta

import district as d

from jointcheck.credentials.native import verify_contraindication, verify_health_code
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.replay import PresentationLedger


def _scan(ledger: PresentationLedger, text: str, place: str, after: timedelta = timedelta(0)):
    at = d.NOW + after
    return ledger.check(verify_health_code(text, d.context(at=at)), place, at)


def test_same_code_twice_at_one_place_is_flagged_but_still_valid() -> None:
    ledger = PresentationLedger()
    text = d.health_code()
    first = _scan(ledger, text, "gate-1")
    second = _scan(ledger, text, "gate-1", timedelta(seconds=40))
    assert first.valid
    assert first.warnings == ()
    assert second.valid  # a warning, not a refusal
    assert second.warnings == (Reason.DUPLICATE_PRESENTATION,)


def test_a_refreshed_code_or_another_place_is_not_a_duplicate() -> None:
    ledger = PresentationLedger()
    _scan(ledger, d.health_code(credential_id=b"person-1"), "gate-1")
    refreshed = _scan(ledger, d.health_code(credential_id=b"person-1"), "gate-1")
    assert refreshed.warnings == ()
    text = d.health_code()
    _scan(ledger, text, "gate-1")
    assert _scan(ledger, text, "gate-2").warnings == ()


def test_entries_expire_with_the_code() -> None:
    ledger = PresentationLedger()
    text = d.health_code()
    _scan(ledger, text, "gate-1")
    # Past its validity the code is refused anyway; the ledger has forgotten it.
    late = _scan(ledger, text, "gate-1", timedelta(minutes=10))
    assert late.reason is Reason.EXPIRED
    _scan(
        ledger,
        d.health_code(issued_at=d.NOW + timedelta(minutes=10)),
        "gate-1",
        timedelta(minutes=10),
    )
    assert len(ledger) == 1


def test_ledger_is_bounded() -> None:
    ledger = PresentationLedger(max_entries=3)
    for i in range(10):
        assert not ledger.seen(f"k{i}", d.NOW, d.NOW + timedelta(seconds=i + 1))
    assert len(ledger) == 3
    # The newest entries stay: the last three are still known.
    assert ledger.seen("k9", d.NOW, d.NOW + timedelta(seconds=10))


def test_only_valid_health_codes_are_recorded() -> None:
    ledger = PresentationLedger()
    refused = verify_health_code(d.health_code(d.STRANGER_SEED), d.context())
    ledger.check(refused, "gate-1", d.NOW)
    ledger.check(refused, "gate-1", d.NOW)
    cert = verify_contraindication(d.contraindication(), d.context())
    assert ledger.check(cert, "gate-1", d.NOW).warnings == ()
    assert ledger.check(cert, "gate-1", d.NOW).warnings == ()
    assert len(ledger) == 0
