"""Group commit: one writer thread stores what concurrent requests hand it, many at a time.

Each scan the server decides must be stored before it is answered (a check that was answered
is durable). Committing each one in its own transaction costs a round trip, a commit (an
fsync on PostgreSQL) and a thread hop per request, and on SQLite the writers queue for its
one write lock anyway. Here the requests hand their records to one writer thread; it takes
everything that is waiting, writes it in one transaction and commits, then answers every
request of the batch (one wake-up per event loop, not one per request). If the batch fails,
its items are written again one by one, so that one bad item fails alone.

``LoopGroupCommit`` does the same inside one event loop with an asynchronous write (psycopg's
``AsyncConnection`` on PostgreSQL): no thread, no hand-over; while one transaction is on its
way, the requests that arrive wait, and the next transaction takes them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
MAX_BATCH = 512


@dataclass(slots=True)
class _Waiter(Generic[T]):
    """A request of an event loop waiting for its items to be committed."""

    items: Sequence[T]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]
    error: BaseException | None = None


@dataclass(slots=True)
class _ThreadWaiter(Generic[T]):
    """The same for a caller outside any event loop."""

    items: Sequence[T]
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


def _settle(waiters: list[_Waiter[T]]) -> None:
    """Answer waiters of one event loop (runs in that loop)."""
    for w in waiters:
        if w.future.done():
            continue  # the request went away (cancelled): its records are stored all the same
        if w.error is not None:
            w.future.set_exception(w.error)
        else:
            w.future.set_result(None)


class GroupCommit(Generic[T]):
    """Batches of items written by WRITE (one transaction per call) on a writer thread."""

    def __init__(self, write: Callable[[Sequence[T]], None], name: str = "group-commit") -> None:
        self._write = write
        self._name = name
        self._queue: queue.SimpleQueue[_Waiter[T] | _ThreadWaiter[T] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()
        self._closed = False

    def _enqueue(self, waiter: _Waiter[T] | _ThreadWaiter[T]) -> None:
        with self._start:
            if self._closed:
                raise RuntimeError("the writer is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._queue.put(waiter)

    async def store(self, items: Sequence[T]) -> None:
        """Return once ITEMS are committed (raise what writing them raised)."""
        loop = asyncio.get_running_loop()
        waiter = _Waiter(items, loop, loop.create_future())
        self._enqueue(waiter)
        # A cancelled request does not cancel the write: its items are committed regardless.
        await asyncio.shield(waiter.future)

    def store_blocking(self, items: Sequence[T]) -> None:
        """The same from a thread outside any event loop."""
        waiter: _ThreadWaiter[T] = _ThreadWaiter(items)
        self._enqueue(waiter)
        waiter.done.wait()
        if waiter.error is not None:
            raise waiter.error

    def close(self) -> None:
        """Write what is queued, then stop the writer thread."""
        with self._start:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join()

    # The writer thread -----------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch: list[_Waiter[T] | _ThreadWaiter[T]] = [first]
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Waiter[T] | _ThreadWaiter[T]]) -> None:
        try:
            self._write([item for w in batch for item in w.items])
        except Exception as exc:  # noqa: BLE001 - handed to the waiting requests
            if len(batch) == 1:
                batch[0].error = exc
            else:
                for w in batch:
                    try:
                        self._write(w.items)
                    except Exception as alone:  # noqa: BLE001 - handed to the waiting request
                        w.error = alone
        by_loop: dict[asyncio.AbstractEventLoop, list[_Waiter[T]]] = {}
        for w in batch:
            if isinstance(w, _ThreadWaiter):
                w.done.set()
            else:
                by_loop.setdefault(w.loop, []).append(w)
        for loop, waiters in by_loop.items():
            # A loop that has closed has nobody waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, waiters)


class LoopGroupCommit(Generic[T]):
    """Batches of items written by the coroutine WRITE (one transaction per call), one batch at
    a time, in the event loop the first request came from (``loop``)."""

    def __init__(self, write: Callable[[Sequence[T]], Awaitable[None]]) -> None:
        self._write = write
        self.loop = asyncio.get_running_loop()
        self._waiting: list[tuple[Sequence[T], asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None

    async def store(self, items: Sequence[T]) -> None:
        """Return once ITEMS are committed (raise what writing them raised). Only from
        ``loop``."""
        future: asyncio.Future[None] = self.loop.create_future()
        self._waiting.append((items, future))
        if self._task is None:
            self._task = self.loop.create_task(self._run())
        # A cancelled request does not cancel the write: its items are committed regardless.
        await asyncio.shield(future)

    async def _run(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                await self._commit(batch)
        finally:
            self._task = None

    async def _commit(self, batch: list[tuple[Sequence[T], asyncio.Future[None]]]) -> None:
        errors: list[BaseException | None] = [None] * len(batch)
        try:
            await self._write([item for items, _ in batch for item in items])
        except Exception as exc:  # noqa: BLE001 - handed to the waiting requests
            if len(batch) == 1:
                errors[0] = exc
            else:
                for n, (items, _) in enumerate(batch):
                    try:
                        await self._write(items)
                    except Exception as alone:  # noqa: BLE001 - handed to the waiting request
                        errors[n] = alone
        for (_, future), error in zip(batch, errors, strict=True):
            if future.done():
                continue  # the request went away (cancelled): its records are stored all the same
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(None)
