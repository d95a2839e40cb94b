"""The upload splits a batch the server finds too large, keeps the order the events were made
in, and sets aside only an event too large alone (issue 4: an agent never stuck)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from jointcheck.checkpoint.outbox import Outbox
from jointcheck.checkpoint.sealing import DeviceSealer
from jointcheck.checkpoint.sync import TOO_LARGE, BatchAnswer, TooLarge, upload

from .factories import NOW, FakeVerifier, checkpoint, health_code, verified


class SizedServer:
    """Takes a batch of at most LIMIT units (an event 1, one marked huge 100), else TooLarge;
    stores each id once and keeps the order it stored them in."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.stored: list[str] = []
        self.posts: list[int] = []

    def post_batch(self, events: list[dict[str, Any]], skew_ms: int | None) -> BatchAnswer:
        self.posts.append(len(events))
        if sum(100 if e.get("huge") else 1 for e in events) > self.limit:
            raise TooLarge
        for e in events:
            if e["id"] not in self.stored:
                self.stored.append(e["id"])
        return BatchAnswer(tuple(e["id"] for e in events))


def _checks(outbox: Outbox, n: int) -> list[str]:
    cp = checkpoint(FakeVerifier({"G": verified(health_code())}))
    ids = []
    for i in range(n):
        record, _ = cp.scan(["G"], NOW + timedelta(minutes=i))
        outbox.append([record])
        ids.append(record.id)
    return ids


def test_a_batch_too_large_is_split_in_order_and_stored_once(tmp_path: Path) -> None:
    outbox, server = Outbox(tmp_path / "o.db"), SizedServer(limit=4)
    ids = _checks(outbox, 13)
    assert upload(outbox, server, DeviceSealer(DeviceSealer.new_key())) == (13, 0)
    assert server.stored == ids
    assert server.posts[0] == 13
    assert max(server.posts[1:]) <= 13 // 2 + 1
    assert outbox.backlog() == 0
    assert outbox.refused() == {}


def test_only_the_event_too_large_alone_is_refused(tmp_path: Path) -> None:
    outbox, server = Outbox(tmp_path / "o.db"), SizedServer(limit=4)
    ids = _checks(outbox, 9)
    huge = ids[5]
    outbox._db.execute("UPDATE event SET body = json_set(body, '$.huge', 1) WHERE id = ?", (huge,))
    assert upload(outbox, server, DeviceSealer(DeviceSealer.new_key())) == (8, 1)
    assert server.stored == [i for i in ids if i != huge]
    assert outbox.refused() == {huge: TOO_LARGE}
    assert outbox.backlog() == 0
    server.posts.clear()
    assert upload(outbox, server, DeviceSealer(DeviceSealer.new_key())) == (0, 0)
    assert server.posts == [0]  # nothing pending: the empty batch only
