"""The store on SQLite and PostgreSQL: migrations, engine settings, keys, time zones."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from jointcheck.errors import StoreError
from jointcheck.registry.model import SealedPerson
from jointcheck.store.engine import make_engine
from jointcheck.store.migrate import current_revisions, head_revisions, is_current


def _sealed(grid: str, lookup: bytes) -> SealedPerson:
    return SealedPerson(
        id=uuid.uuid4(),
        admin_code=grid,
        document_type="passport",
        id_lookup=lookup,
        birth_year=1990,
        document_number=b"\x01sealed",
        name=b"\x01sealed",
        phone=None,
        address=None,
        birth_date=None,
        sex=None,
    )


def test_migrations_reach_the_newest_revision_from_0001_base(database_url):
    assert is_current(database_url)
    engine = make_engine(database_url)
    try:
        assert set(current_revisions(engine)) == set(head_revisions())
    finally:
        engine.dispose()


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(sqlite_template, tmp_path):
    database_url = f"sqlite:///{tmp_path / 'copy.db'}"
    (tmp_path / "copy.db").write_bytes(sqlite_template.read_bytes())
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
    finally:
        engine.dispose()


def test_a_person_in_a_grid_that_does_not_exist_is_refused(registry, tree):
    with registry.uow() as uow, pytest.raises(StoreError) as caught:
        uow.persons.add_many([_sealed("370704009009009", b"x" * 32)])
    assert caught.value.code == "STORE_CONFLICT"


def test_leaving_a_unit_of_work_without_commit_writes_nothing(registry, tree):
    with registry.uow() as uow:
        uow.persons.add_many([_sealed(tree.grid_1, b"y" * 32)])
    with registry.uow() as uow:
        assert uow.persons.count(scope_code="370704") == 0


def test_subtree_queries_stop_at_the_street_boundary(registry, tree):
    with registry.uow() as uow:
        uow.persons.add_many([_sealed(tree.grid_1, b"a" * 32), _sealed(tree.grid_1, b"b" * 32)])
        uow.commit()
        assert uow.persons.count(scope_code=tree.street_1) == 2
        assert uow.persons.count(scope_code=tree.street_2) == 0
        assert uow.persons.count(scope_code="") == 0  # no scope sees nothing, not everything
        assert [u.code for u in uow.units.subtree(tree.street_2)] == [
            tree.street_2,
            "370704002001",
            "370704002001001",
        ]


def test_instants_come_back_as_the_same_utc_instant(registry, tree):
    from jointcheck.credentials.model import CodeColour
    from jointcheck.registry.model import HealthCodeStatus

    shanghai = timezone(timedelta(hours=8))
    since = datetime(2021, 9, 6, 10, 0, tzinfo=shanghai)
    person = _sealed(tree.grid_1, b"c" * 32)
    with registry.uow() as uow:
        uow.persons.add_many([person])
        uow.persons.set_health_codes(
            [HealthCodeStatus(person.id, tree.grid_1, CodeColour.YELLOW, "test", since)]
        )
        uow.commit()
    with registry.uow() as uow:
        stored = uow.persons.health_code(person.id)
    assert stored is not None
    assert stored.since == since
    assert stored.since.tzinfo is not None
    assert stored.since.utcoffset() == timedelta(0)
    assert stored.since == datetime(2021, 9, 6, 2, 0, tzinfo=UTC)


def test_a_naive_datetime_is_refused(registry, tree):
    from jointcheck.credentials.model import CodeColour
    from jointcheck.registry.model import HealthCodeStatus

    person = _sealed(tree.grid_1, b"d" * 32)
    with registry.uow() as uow:
        uow.persons.add_many([person])
        naive = datetime(2021, 9, 6, 10, 0)  # noqa: DTZ001 - the fault under test
        with pytest.raises(Exception, match="naive datetime"):
            uow.persons.set_health_codes(
                [HealthCodeStatus(person.id, tree.grid_1, CodeColour.GREEN, "t", naive)]
            )


def test_a_new_sqlite_database_and_its_wal_are_readable_by_the_owner_only(tmp_path):
    import stat

    url = f"sqlite:///{tmp_path / 'var' / 'new.db'}"
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
        for name in ("new.db", "new.db-wal"):
            assert stat.S_IMODE((tmp_path / "var" / name).stat().st_mode) == 0o600, name
    finally:
        engine.dispose()
