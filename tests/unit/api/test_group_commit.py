"""Group commit: concurrent requests share transactions, each answered after its own commit,
and one failing item fails alone."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from jointcheck.api.group_commit import GroupCommit


class Store:
    """A fake store: the batches written; the first write blocks until released."""

    def __init__(self, bad: frozenset[int] = frozenset()) -> None:
        self.batches: list[list[int]] = []
        self.committed: set[int] = set()
        self.bad = bad
        self.release = threading.Event()
        self.entered = threading.Event()

    def write(self, items: Sequence[int]) -> None:
        self.entered.set()
        self.release.wait(5)
        if self.bad & set(items):
            raise ValueError(f"bad item in {list(items)}")
        self.batches.append(list(items))
        self.committed.update(items)


def test_concurrent_requests_share_a_transaction_and_return_after_their_commit() -> None:
    store = Store()
    writer = GroupCommit(store.write)

    async def scenario() -> None:
        first = asyncio.create_task(writer.store([0]))
        await asyncio.to_thread(store.entered.wait, 5)
        # While the first commit runs, more arrive: none returns before it is committed.
        rest = [asyncio.create_task(writer.store([i])) for i in range(1, 6)]
        await asyncio.sleep(0.05)
        assert not any(t.done() for t in [first, *rest])
        store.release.set()
        await asyncio.gather(first, *rest)

    asyncio.run(scenario())
    writer.close()
    assert store.batches == [[0], [1, 2, 3, 4, 5]]


def test_a_failing_item_fails_its_own_request_only() -> None:
    store = Store(bad=frozenset({3}))
    store.release.set()
    hold = threading.Lock()

    def slow_write(items: Sequence[int]) -> None:
        with hold:
            store.write(items)

    writer = GroupCommit(slow_write)

    async def scenario() -> list[BaseException | None]:
        hold.acquire()
        tasks = [asyncio.create_task(writer.store([i])) for i in range(5)]
        await asyncio.sleep(0.05)
        hold.release()
        return await asyncio.gather(*tasks, return_exceptions=True)

    outcomes = asyncio.run(scenario())
    writer.close()
    assert [type(o).__name__ for o in outcomes] == ["NoneType"] * 3 + ["ValueError", "NoneType"]
    assert store.committed == {0, 1, 2, 4}


def test_blocking_callers_and_close() -> None:
    store = Store()
    store.release.set()
    writer = GroupCommit(store.write)
    writer.store_blocking([7])
    assert store.committed == {7}
    writer.close()
    with pytest.raises(RuntimeError):
        writer.store_blocking([8])
    assert 8 not in store.committed


def test_a_cancelled_request_is_committed_all_the_same() -> None:
    store = Store()
    writer = GroupCommit(store.write)

    async def scenario() -> None:
        task = asyncio.create_task(writer.store([1]))
        await asyncio.to_thread(store.entered.wait, 5)
        task.cancel()
        store.release.set()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    writer.close()
    assert store.committed == {1}
