"""A small in-process cache whose entries expire a fixed number of seconds after they were
stored; for what every request reads and what changes rarely (a device by its token, a
device's station)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
DEFAULT_MAX_ENTRIES = 10_000


class TtlCache(Generic[K, V]):
    """Entries live SECONDS; past MAX_ENTRIES the cache starts again empty (a bound on memory,
    not an eviction policy: what it holds is cheap to read again)."""

    def __init__(
        self,
        seconds: float,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seconds = seconds
        self._max = max_entries
        self._clock = clock
        self._entries: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()
        self._generation = 0  # advanced by every drop: a read begun before it is not stored

    def get(self, key: K) -> V | None:
        found = self._entries.get(key)
        if found is None or self._clock() - found[0] >= self._seconds:
            return None
        return found[1]

    def mark(self) -> tuple[float, int]:
        """Taken before reading a value from its source, and handed to ``put``."""
        with self._lock:
            return self._clock(), self._generation

    def put(self, key: K, value: V, mark: tuple[float, int]) -> None:
        """Store VALUE read after MARK; not if a ``drop`` came in between (the value may be
        one the drop meant to forget). Its age counts from the mark."""
        since, generation = mark
        with self._lock:
            if generation != self._generation:
                return
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[key] = (since, value)

    def drop(self, matches: Callable[[V], bool]) -> None:
        """Forget every entry whose value MATCHES, and any value being read meanwhile."""
        with self._lock:
            self._generation += 1
            for key in [k for k, (_, v) in self._entries.items() if matches(v)]:
                del self._entries[key]
