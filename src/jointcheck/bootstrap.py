"""Composition root: wires settings, the database and the services for the edges.

Only the edges (``cli``, ``api``, ``web``) import this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sqlalchemy import Engine

from jointcheck.config import Settings, load_settings
from jointcheck.registry.categories import DEFAULT_CATEGORIES
from jointcheck.registry.health import HealthRecordService
from jointcheck.registry.persons import PersonService
from jointcheck.registry.places import PlaceService
from jointcheck.registry.tree import TreeService
from jointcheck.security.accounts import AccountService
from jointcheck.security.audit import Auditor
from jointcheck.security.pii import FieldCipher
from jointcheck.store.engine import make_engine, make_session_factory
from jointcheck.store.uow import SqlUnitOfWork


@dataclass(frozen=True, slots=True)
class Registry:
    """The store and the registry and security services of one deployment (issue 4)."""

    settings: Settings
    engine: Engine
    uow: Callable[[], SqlUnitOfWork]
    cipher: FieldCipher
    auditor: Auditor
    accounts: AccountService
    tree: TreeService
    places: PlaceService
    persons: PersonService
    health: HealthRecordService

    def close(self) -> None:
        self.engine.dispose()


def build_registry(settings: Settings | None = None, *, engine: Engine | None = None) -> Registry:
    """Wire the registry from settings; refuses missing or placeholder keys (R6)."""
    settings = settings or load_settings()
    cipher = FieldCipher.from_settings(settings)
    engine = engine or make_engine(settings.effective_database_url)
    uow = partial(SqlUnitOfWork, make_session_factory(engine))
    auditor = Auditor()
    return Registry(
        settings=settings,
        engine=engine,
        uow=uow,
        cipher=cipher,
        auditor=auditor,
        accounts=AccountService(uow, auditor),
        tree=TreeService(uow),
        places=PlaceService(uow, DEFAULT_CATEGORIES),
        persons=PersonService(uow, cipher, auditor),
        health=HealthRecordService(uow, auditor),
    )
