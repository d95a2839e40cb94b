from __future__ import annotations

from jointcheck.api.ttl_cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_counted_from_the_read() -> None:
    clock = Clock()
    cache: TtlCache[str, int] = TtlCache(2.0, clock=clock)
    mark = cache.mark()
    clock.now += 1.5  # the read took this long
    cache.put("a", 1, mark)
    assert cache.get("a") == 1
    clock.now += 0.5
    assert cache.get("a") is None


def test_a_drop_forgets_matching_entries_and_a_read_begun_before_it() -> None:
    clock = Clock()
    cache: TtlCache[str, str] = TtlCache(60.0, clock=clock)
    cache.put("t1", "device-1", cache.mark())
    cache.put("t2", "device-2", cache.mark())
    begun = cache.mark()  # a read of device-1 from the store, before its revocation
    cache.drop(lambda d: d == "device-1")
    cache.put("t1", "device-1", begun)  # the read finishes: it must not bring it back
    assert cache.get("t1") is None
    assert cache.get("t2") == "device-2"
    cache.put("t1", "device-1", cache.mark())
    assert cache.get("t1") == "device-1"


def test_the_cache_is_bounded() -> None:
    cache: TtlCache[int, int] = TtlCache(60.0, max_entries=3)
    for i in range(10):
        cache.put(i, i, cache.mark())
    assert sum(cache.get(i) is not None for i in range(10)) <= 3
    assert cache.get(9) == 9
