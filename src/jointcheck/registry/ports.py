"""What the registry services need from storage, as protocols the store implements."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol
from uuid import UUID

from jointcheck.registry.model import (
    AdminUnit,
    ContraindicationRecord,
    HealthCodeStatus,
    Place,
    SealedPerson,
    VaccinationRecord,
)
from jointcheck.security.ports import SecurityUnitOfWork


class AdminUnitRepository(Protocol):
    def get(self, code: str) -> AdminUnit | None: ...

    def add_many(self, units: Iterable[AdminUnit]) -> None: ...

    def children(self, code: str) -> Sequence[AdminUnit]: ...

    def subtree(self, code: str) -> Sequence[AdminUnit]: ...

    def existing(self, codes: Iterable[str]) -> set[str]: ...


class PlaceRepository(Protocol):
    def get(self, place_id: int) -> Place | None: ...

    def add(self, place: Place) -> int: ...

    def add_many(self, places: Iterable[Place]) -> None: ...

    def list(
        self, *, scope_code: str, category: str | None = None, limit: int = 100, offset: int = 0
    ) -> Sequence[Place]: ...

    def count(self, *, scope_code: str) -> int: ...

    def existing_names(self, *, scope_code: str) -> set[tuple[str, str]]: ...


class PersonRepository(Protocol):
    def get(self, person_id: UUID) -> SealedPerson | None: ...

    def find_by_lookup(self, id_lookup: bytes) -> SealedPerson | None: ...

    def add_many(self, persons: Iterable[SealedPerson]) -> None: ...

    def list(
        self, *, scope_code: str, limit: int = 100, offset: int = 0
    ) -> Sequence[SealedPerson]: ...

    def count(self, *, scope_code: str) -> int: ...

    def existing_lookups(self, lookups: Iterable[bytes]) -> set[bytes]: ...

    def vaccinations(self, person_id: UUID) -> Sequence[VaccinationRecord]: ...

    def add_vaccinations(self, records: Iterable[VaccinationRecord]) -> None: ...

    def contraindications(self, person_id: UUID) -> Sequence[ContraindicationRecord]: ...

    def add_contraindications(self, records: Iterable[ContraindicationRecord]) -> None: ...

    def health_code(self, person_id: UUID) -> HealthCodeStatus | None: ...

    def set_health_codes(self, statuses: Iterable[HealthCodeStatus]) -> None: ...


class RegistryUnitOfWork(SecurityUnitOfWork, Protocol):
    units: AdminUnitRepository
    places: PlaceRepository
    persons: PersonRepository
