"""Shared test configuration: paths to the public vectors and the skip-or-fail rule.

On a newcomer's machine a test that needs PostgreSQL or Chromium skips with a message saying
what to install; under ``CI=true`` the same condition is a failure (a skip there hides a gap).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
VECTORS = TESTS / "vectors"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, what_to_install: str) -> None:
    """Skip (locally) or fail (in CI) when a test's external requirement is missing."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"required in CI: {what_to_install}")
    pytest.skip(what_to_install)


@pytest.fixture(scope="session")
def vectors() -> Path:
    return VECTORS
