"""Integration fixtures: a migrated, empty database per test, on SQLite and on PostgreSQL.

``database_url`` is parametrised [sqlite, postgres]. SQLite: a copy of a database migrated
once per session, in the test's own directory. PostgreSQL (when JOINTCHECK_TEST_DATABASE_URL
is set): a schema of its own per test session (dropped at the end, so parallel runs do not
meet), migrated with the shipped Alembic revisions, every table truncated before each test.
"""

from __future__ import annotations

import base64
import importlib.util
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from urllib.parse import quote

import pytest
from checkpoint_factories import District, make_district
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text

from jointcheck.api.app import create_app
from jointcheck.bootstrap import Registry, build_registry
from jointcheck.config import Settings
from jointcheck.registry.model import AdminLevel, AdminUnit
from jointcheck.security.roles import Principal, Role
from jointcheck.store.engine import normalise_url
from jointcheck.store.migrate import upgrade


def _load_root_conftest() -> ModuleType:
    # tests/ is not a package and both conftest files are named "conftest": load the root one
    # under a name of its own to reuse its skip-or-fail rule.
    path = Path(__file__).resolve().parents[1] / "conftest.py"
    spec = importlib.util.spec_from_file_location("jointcheck_tests_root_conftest", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


require = _load_root_conftest().require

PG_URL_ENV = "JOINTCHECK_TEST_DATABASE_URL"
PG_HINT = "set JOINTCHECK_TEST_DATABASE_URL to a PostgreSQL URL (see README)"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "jointcheck.db"
    upgrade(f"sqlite:///{path}")
    # Fold the WAL into the main file so that a copy of the file is the whole database.
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    """A URL of the test PostgreSQL whose search path is a fresh schema (PREFIX_pid_random),
    dropped afterwards; not migrated. Skipped locally without JOINTCHECK_TEST_DATABASE_URL, a
    failure in CI."""
    base = os.environ.get(PG_URL_ENV, "")
    require(bool(base), PG_HINT)
    schema = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
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


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_schema("jc_test") as url:
        upgrade(url)
        yield url


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    try:
        tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
        if tables:
            with engine.begin() as connection:
                names = ", ".join(f'"{t}"' for t in tables)
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database for this test."""
    if request.param == "sqlite":
        path = tmp_path / "jointcheck.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    _truncate_all(url)
    return url


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode("ascii")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        var_dir=tmp_path / "var",
        database_url=database_url,
        pii_key=new_key(),
        lookup_key=new_key(),
        session_secret=new_key(),
    )


@pytest.fixture
def registry(settings: Settings) -> Iterator[Registry]:
    built = build_registry(settings)
    yield built
    built.close()


# The small tree most tests stand on: district 370704, two streets, a community and a grid
# in each.
DISTRICT = "370704"
STREET_1, STREET_2 = "370704001", "370704002"
COMMUNITY_1, COMMUNITY_2 = "370704001001", "370704002001"
GRID_1, GRID_2 = "370704001001001", "370704002001001"


def small_tree() -> list[AdminUnit]:
    return [
        AdminUnit(DISTRICT, AdminLevel.DISTRICT, "坊子区", "Fangzi"),
        AdminUnit(STREET_1, AdminLevel.STREET, "坊安街道", "Fang'an", DISTRICT),
        AdminUnit(STREET_2, AdminLevel.STREET, "凤凰街道", "Fenghuang", DISTRICT),
        AdminUnit(COMMUNITY_1, AdminLevel.COMMUNITY, "东苑社区", "Dongyuan", STREET_1),
        AdminUnit(COMMUNITY_2, AdminLevel.COMMUNITY, "西苑社区", "Xiyuan", STREET_2),
        AdminUnit(GRID_1, AdminLevel.GRID, "第1网格", "Grid 1", COMMUNITY_1),
        AdminUnit(GRID_2, AdminLevel.GRID, "第1网格", "Grid 1", COMMUNITY_2),
    ]


@dataclass(frozen=True)
class SmallTree:
    district: str = DISTRICT
    street_1: str = STREET_1
    street_2: str = STREET_2
    community_1: str = COMMUNITY_1
    community_2: str = COMMUNITY_2
    grid_1: str = GRID_1
    grid_2: str = GRID_2


@pytest.fixture
def tree(registry: Registry) -> SmallTree:
    """The small tree, stored: district 370704, two streets, a community and grid in each."""
    with registry.uow() as uow:
        uow.units.add_many(small_tree())
        uow.commit()
    return SmallTree()


PrincipalFactory = Callable[..., Principal]


@pytest.fixture
def principal(registry: Registry, tree: SmallTree) -> PrincipalFactory:
    """Make a principal backed by a stored account (audit rows and FKs need a real id)."""
    from jointcheck.security.ports import AccountRecord

    def make(
        role: Role,
        scope_code: str = DISTRICT,
        *,
        place_id: int | None = None,
        person_id: uuid.UUID | None = None,
    ) -> Principal:
        username = f"{role.value}-{uuid.uuid4().hex[:6]}"
        record = AccountRecord(
            id=None,
            username=username,
            password_hash="not-a-login",
            role=role,
            scope_code=scope_code,
            place_id=place_id,
            person_id=person_id,
        )
        with registry.uow() as uow:
            account_id = uow.accounts.add(record)
            uow.commit()
        return Principal(account_id, username, role, scope_code, place_id, person_id)

    return make


@pytest.fixture
def district(settings: Settings, registry: Registry, tree: SmallTree) -> District:
    """The checkpoint tests' district (checkpoint_factories): places, keys, trust and a server."""
    return make_district(settings, registry)


@pytest.fixture
def client(district: District) -> Iterator[TestClient]:
    """The app over DISTRICT, its lifespan running (so its database pool is closed after)."""
    with TestClient(create_app(district.settings, clock=district.now)) as c:
        yield c
