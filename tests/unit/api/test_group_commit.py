"""Group commit: concurrent requests share transactions, each answered after its own commit,
and one failing item fails alone."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from jointcheck.api.group_commit import GroupCommit, LoopGroupCommit


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


class LoopStore:
    """A fake asynchronous store: the batches written; a write waits until released."""

    def __init__(self, bad: frozenset[int] = frozenset()) -> None:
        self.batches: list[list[int]] = []
        self.committed: set[int] = set()
        self.bad = bad
        self.release = asyncio.Event()
        self.entered = asyncio.Event()

    async def write(self, items: Sequence[int]) -> None:
        self.entered.set()
        await self.release.wait()
        if self.bad & set(items):
            raise ValueError(f"bad item in {list(items)}")
        self.batches.append(list(items))
        self.committed.update(items)


def test_in_the_event_loop_concurrent_requests_share_a_transaction_after_their_commit() -> None:
    async def scenario() -> list[list[int]]:
        store = LoopStore()
        writer = LoopGroupCommit(store.write)
        first = asyncio.create_task(writer.store([0]))
        await store.entered.wait()
        # While the first transaction is on its way, more arrive: none returns before its own
        # commit, and the next transaction takes them all.
        rest = [asyncio.create_task(writer.store([i])) for i in range(1, 6)]
        await asyncio.sleep(0.02)
        assert not any(t.done() for t in [first, *rest])
        assert store.committed == set()
        store.release.set()
        await first
        assert store.committed >= {0}
        await asyncio.gather(*rest)
        # Later requests start a new transaction.
        await writer.store([6])
        return store.batches

    assert asyncio.run(scenario()) == [[0], [1, 2, 3, 4, 5], [6]]


def test_in_the_event_loop_a_failing_item_fails_its_own_request_only() -> None:
    async def scenario() -> tuple[list[BaseException | None], set[int]]:
        store = LoopStore(bad=frozenset({3}))
        writer = LoopGroupCommit(store.write)
        first = asyncio.create_task(writer.store([0]))
        await store.entered.wait()
        rest = [asyncio.create_task(writer.store([i])) for i in range(1, 5)]
        await asyncio.sleep(0.02)
        store.release.set()
        outcomes = await asyncio.gather(first, *rest, return_exceptions=True)
        return outcomes, store.committed

    outcomes, committed = asyncio.run(scenario())
    assert [type(o).__name__ for o in outcomes] == ["NoneType"] * 3 + ["ValueError", "NoneType"]
    assert committed == {0, 1, 2, 4}


def test_in_the_event_loop_a_cancelled_request_is_committed_all_the_same() -> None:
    async def scenario() -> set[int]:
        store = LoopStore()
        writer = LoopGroupCommit(store.write)
        task = asyncio.create_task(writer.store([1]))
        await store.entered.wait()
        task.cancel()
        store.release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        await writer.store([2])
        return store.committed

    assert asyncio.run(scenario()) == {1, 2}
