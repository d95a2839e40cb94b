"""The CLI's tests: a deployment's ``var`` folder, its settings in the environment (as an
operator's shell has them), a migrated database on SQLite and, when
JOINTCHECK_TEST_DATABASE_URL is set, on PostgreSQL (a schema of its own, dropped after)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from jointcheck.store.engine import normalise_url

PG_URL_ENV = "JOINTCHECK_TEST_DATABASE_URL"


def _require_postgres() -> str:
    base = os.environ.get(PG_URL_ENV, "")
    if not base:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"required in CI: {PG_URL_ENV}")
        pytest.skip(f"set {PG_URL_ENV} to a PostgreSQL URL (see README)")
    return base


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """'' for the SQLite file under var/ (the default), or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield ""
        return
    base = _require_postgres()
    schema = f"jc_cli_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(base))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{normalise_url(base)}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
