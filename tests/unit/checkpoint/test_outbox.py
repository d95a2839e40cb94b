from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jointcheck.checkpoint.model import Registration
from jointcheck.checkpoint.outbox import Outbox
from jointcheck.checkpoint.registration import register
from jointcheck.checkpoint.sealing import DeviceSealer
from jointcheck.checkpoint.sync import BatchAnswer, Unreachable, sync_once
from jointcheck.errors import KeyMaterialError, TrustListError

from .factories import NOW, FakeVerifier, checkpoint, health_code, verified

PERSON = Registration(
    name="王小明", id_number="11010519491231002X", phone="13812345678", purpose="探望老人"
)


class FakeServer:
    """Stores events by id once, refuses those marked bad, can be switched off."""

    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}
        self.up = True
        self.clock_ahead = timedelta(seconds=3)

    def server_time(self) -> datetime:
        if not self.up:
            raise Unreachable
        return datetime.now(UTC) + self.clock_ahead

    def post_batch(self, events: list[dict[str, Any]], skew_ms: int | None) -> BatchAnswer:
        if not self.up:
            raise Unreachable
        refused = {e["id"]: "BAD" for e in events if e.get("bad")}
        for e in events:
            if e["id"] not in refused:
                self.events.setdefault(e["id"], e)
        return BatchAnswer(tuple(e["id"] for e in events if e["id"] not in refused), refused)

    def fetch_bundle(self) -> bytes:
        return b"bundle"


def _scan_into(outbox: Outbox, n: int) -> list[str]:
    cp = checkpoint(FakeVerifier({"G": verified(health_code())}))
    ids = []
    for i in range(n):
        record, _ = cp.scan(["G"], NOW + timedelta(minutes=10 * i))
        outbox.append([record])
        ids.append(record.id)
    return ids


def test_offline_checks_wait_and_are_uploaded_once_when_the_server_returns(tmp_path: Path) -> None:
    outbox, server = Outbox(tmp_path / "o.db"), FakeServer()
    sealer = DeviceSealer(DeviceSealer.new_key())
    ids = _scan_into(outbox, 3)
    server.up = False
    with pytest.raises(Unreachable):
        sync_once(outbox, server, sealer, lambda: datetime.now(UTC))
    assert outbox.backlog() == 3
    server.up = True
    report = sync_once(outbox, server, sealer, lambda: datetime.now(UTC))
    assert report.uploaded == 3
    assert report.backlog == 0
    assert set(server.events) == set(ids)
    assert report.skew_ms is not None
    assert 2500 < report.skew_ms < 3500
    assert outbox.last_skew_ms() == report.skew_ms


def test_outbox_survives_reopening(tmp_path: Path) -> None:
    ids = _scan_into(Outbox(tmp_path / "o.db"), 2)
    again = Outbox(tmp_path / "o.db")
    assert again.backlog() == 2
    assert again.get(ids[0]) is not None
    assert again.counts(NOW.date().isoformat()) == {"PERSUADE": 2}


def test_registration_is_sealed_in_the_outbox_and_opened_for_upload(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    outbox, server = Outbox(path), FakeServer()
    sealer = DeviceSealer(DeviceSealer.new_key())
    cp = checkpoint(FakeVerifier({"G": verified(health_code())}))
    persuaded, _ = cp.scan(["G"], NOW)
    registered, sealed, screen = register(cp, persuaded, PERSON, sealer, NOW)
    outbox.append([persuaded, registered, sealed])
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("o.db*"))
    outbox.close()
    raw += path.read_bytes()
    for value in ("王小明".encode(), b"11010519491231002X", b"13812345678"):
        assert value not in raw
    assert screen.masked_name == "王*明"
    sync_once(Outbox(path), server, sealer, lambda: datetime.now(UTC))
    uploaded = server.events[sealed.id]
    assert uploaded["name"] == "王小明"
    assert uploaded["check_id"] == registered.id
    assert "sealed" not in uploaded


def test_a_registration_does_not_open_under_another_device_key() -> None:
    sealed = DeviceSealer(DeviceSealer.new_key()).seal(PERSON)
    with pytest.raises(KeyMaterialError):
        DeviceSealer(DeviceSealer.new_key()).open(sealed)


def test_a_refused_event_is_kept_with_its_code_and_not_sent_again(tmp_path: Path) -> None:
    outbox, server = Outbox(tmp_path / "o.db"), FakeServer()
    sealer = DeviceSealer(DeviceSealer.new_key())
    ids = _scan_into(outbox, 2)
    outbox._db.execute("UPDATE event SET body = json_set(body, '$.bad', 1) WHERE id = ?", (ids[0],))
    report = sync_once(outbox, server, sealer, lambda: datetime.now(UTC))
    assert (report.uploaded, report.refused) == (1, 1)
    assert outbox.refused() == {ids[0]: "BAD"}
    assert sync_once(outbox, server, sealer, lambda: datetime.now(UTC)).uploaded == 0


def test_a_refused_bundle_ends_the_round_before_anything_is_uploaded(tmp_path: Path) -> None:
    outbox, server = Outbox(tmp_path / "o.db"), FakeServer()
    sealer = DeviceSealer(DeviceSealer.new_key())
    _scan_into(outbox, 2)
    seen: list[bytes] = []

    def refuse(document: bytes) -> None:
        seen.append(document)
        raise TrustListError("not the pinned key", code="BUNDLE_UNTRUSTED")

    with pytest.raises(TrustListError):
        sync_once(outbox, server, sealer, lambda: datetime.now(UTC), refuse)
    assert seen == [b"bundle"]
    assert (server.events, outbox.backlog()) == ({}, 2)
    assert sync_once(outbox, server, sealer, lambda: datetime.now(UTC), seen.append).uploaded == 2


def test_a_refusal_spell_counts_repeats_and_ends_when_a_good_bundle_comes(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db")
    for minutes in (0, 5):
        outbox.record_refusal(NOW + timedelta(minutes=minutes), "BUNDLE_UNTRUSTED", "key ab")
    spell = outbox.open_refusal()
    assert spell is not None
    assert (spell.times, spell.first_at, spell.last_at) == (2, NOW, NOW + timedelta(minutes=5))
    outbox.record_refusal(NOW + timedelta(minutes=6), "BUNDLE_FORGED", "bad signature")
    outbox.end_refusal(NOW + timedelta(minutes=7))
    assert outbox.open_refusal() is None
    kept = Outbox(tmp_path / "o.db").refusals()
    assert [(r.code, r.ended_at) for r in kept] == [
        ("BUNDLE_UNTRUSTED", NOW + timedelta(minutes=6)),
        ("BUNDLE_FORGED", NOW + timedelta(minutes=7)),
    ]


def test_refused_events_are_listed_by_id_kind_code_and_time(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db")
    first, second, third = _scan_into(outbox, 3)
    assert outbox.states() == {"pending": 3, "sent": 0, "refused": 0}
    outbox.mark([first], {second: "DEVICE_MISMATCH", third: "BODY_TOO_LARGE"})
    assert outbox.states() == {"pending": 0, "sent": 1, "refused": 2}
    assert outbox.refused_by_code() == {"BODY_TOO_LARGE": 1, "DEVICE_MISMATCH": 1}
    listed = outbox.refused_events()
    assert [(e.id, e.kind, e.code) for e in listed] == [
        (second, "check", "DEVICE_MISMATCH"),
        (third, "check", "BODY_TOO_LARGE"),
    ]
    assert listed[0].at == NOW + timedelta(minutes=10)


def test_the_scans_and_the_sync_loop_write_at_once_without_losing_a_record(
    tmp_path: Path,
) -> None:
    # The agent's threads share the outbox: scans append while the sync loop marks what it
    # sent and records its clock, and the entrance page polls. Each must get its transaction.
    outbox = Outbox(tmp_path / "o.db")
    cp = checkpoint(FakeVerifier({"G": verified(health_code())}))
    records = [cp.scan(["G"], NOW + timedelta(seconds=i))[0] for i in range(300)]
    failures: list[BaseException] = []

    def scans() -> None:
        for record in records:
            outbox.append([record])

    def sync_loop() -> None:
        for i in range(300):
            outbox.record_skew(NOW, i, 1)
            outbox.mark([p.id for p in outbox.pending(50)], {})

    def page() -> None:
        for _ in range(300):
            outbox.counts(NOW.date().isoformat())
            outbox.announce_rotations(0)

    def guarded(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                failures.append(exc)

        return run

    threads = [threading.Thread(target=guarded(w)) for w in (scans, sync_loop, page)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    outbox.mark([p.id for p in outbox.pending(1000)], {})
    assert outbox.states() == {"pending": 0, "sent": len(records), "refused": 0}
    assert outbox.last_skew_ms() == 299
