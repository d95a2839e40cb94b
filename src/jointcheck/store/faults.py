"""Database errors translated into the fault tree at the store's boundary (errors.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError

from jointcheck.errors import StoreError


@contextmanager
def translated() -> Iterator[None]:
    """A constraint violation becomes StoreError STORE_CONFLICT; other refusals STORE_ERROR."""
    try:
        yield
    except IntegrityError as exc:
        raise StoreError("the change conflicts with stored data", code="STORE_CONFLICT") from exc
    except DBAPIError as exc:
        raise StoreError("the database refused the operation") from exc
