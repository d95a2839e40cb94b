"""While the app serves, the cyclic collector runs less often (a batch upload set off
collections of the whole long-lived heap); the previous thresholds come back afterwards."""

from __future__ import annotations

import gc

import pytest

from jointcheck.api.uvicorn_options import SERVING_GC_THRESHOLDS, serving_gc

CPYTHON_DEFAULTS = (700, 10, 10)


def test_thresholds_while_serving_and_restored_after() -> None:
    # From the interpreter's defaults (an app served earlier in this process, whose lifespan
    # did not end, may have left others).
    saved = gc.get_threshold()
    gc.set_threshold(*CPYTHON_DEFAULTS)
    try:
        with serving_gc():
            assert gc.get_threshold() == SERVING_GC_THRESHOLDS
        assert gc.get_threshold() == CPYTHON_DEFAULTS
    finally:
        gc.set_threshold(*saved)


def _serve_until_it_fails() -> None:
    with serving_gc():
        raise RuntimeError("the server stopped")


def test_restored_after_a_failure_too() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError):
        _serve_until_it_fails()
    assert gc.get_threshold() == before
