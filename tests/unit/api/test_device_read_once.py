"""A terminal's device is read from the store once when its cache entry expires, however many
of its scans arrive meanwhile; each gets the same answer, or the same failure."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, cast

import pytest

from jointcheck.api.checkpoint_deps import _read_once
from jointcheck.api.checkpoint_service import CheckpointServer


class SlowStore:
    """Stands in for the server: each read of a device takes a while and is counted."""

    def __init__(self, answer: object, fail: bool = False) -> None:
        self.answer = answer
        self.fail = fail
        self.reads = 0
        self._lock = threading.Lock()

    def device_for_token(self, token: str) -> object:
        with self._lock:
            self.reads += 1
        time.sleep(0.05)
        if self.fail:
            raise RuntimeError("the store is down")
        return self.answer if token == "good" else None


def _server(store: SlowStore) -> CheckpointServer:
    return cast("CheckpointServer", store)


def test_concurrent_scans_share_one_read() -> None:
    store = SlowStore(answer="device-1")

    async def scenario() -> list[Any]:
        return await asyncio.gather(*(_read_once(_server(store), "good") for _ in range(20)))

    assert asyncio.run(scenario()) == ["device-1"] * 20
    assert store.reads == 1


def test_an_unknown_token_is_unknown_to_every_waiting_scan() -> None:
    store = SlowStore(answer="device-1")

    async def scenario() -> list[Any]:
        return await asyncio.gather(*(_read_once(_server(store), "lost") for _ in range(5)))

    assert asyncio.run(scenario()) == [None] * 5
    assert store.reads == 1


def test_a_failed_read_fails_every_waiting_scan_and_is_not_kept() -> None:
    store = SlowStore(answer="device-1", fail=True)

    async def scenario() -> list[Any]:
        return await asyncio.gather(
            *(_read_once(_server(store), "good") for _ in range(3)), return_exceptions=True
        )

    outcomes = asyncio.run(scenario())
    assert all(isinstance(o, RuntimeError) for o in outcomes)
    store.fail = False
    assert asyncio.run(_read_once(_server(store), "good")) == "device-1"
    assert store.reads == 2


def test_a_scan_that_goes_away_does_not_cancel_the_others_read() -> None:
    store = SlowStore(answer="device-1")

    async def scenario() -> Any:
        first = asyncio.create_task(_read_once(_server(store), "good"))
        second = asyncio.create_task(_read_once(_server(store), "good"))
        await asyncio.sleep(0.01)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        return await second

    assert asyncio.run(scenario()) == "device-1"
    assert store.reads == 1
