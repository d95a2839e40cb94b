"""Places: venues and residential quarters under a community, with their entrances (R1)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from jointcheck.errors import InputError
from jointcheck.registry.model import COMMUNITY_CODE_LENGTH, AdminLevel, Entrance, Place
from jointcheck.registry.ports import RegistryUnitOfWork
from jointcheck.security.roles import (
    PLACE_ROLES,
    TREE_ROLES,
    AccessDenied,
    PlaceRef,
    Principal,
    can_access,
    may_manage_places,
)

MAX_NAME = 200
MAX_ADDRESS = 300
MAX_ENTRANCES = 50


@dataclass(frozen=True, slots=True)
class NewPlace:
    community_code: str
    category: str
    name: str
    address: str
    entrances: tuple[str, ...] = ("main",)
    responsible_account_id: int | None = None


def check_new_place(form: NewPlace, categories: frozenset[str]) -> None:
    if form.category not in categories:
        raise InputError(f"unknown venue category {form.category!r}", code="PLACE_CATEGORY_UNKNOWN")
    if not form.name.strip() or len(form.name) > MAX_NAME:
        raise InputError("a place needs a name of at most 200 characters", code="PLACE_NAME")
    if len(form.address) > MAX_ADDRESS:
        raise InputError("address longer than 300 characters", code="PLACE_ADDRESS")
    names = [e.strip() for e in form.entrances]
    if not names or len(names) > MAX_ENTRANCES or any(not n for n in names):
        raise InputError("a place needs 1 to 50 named entrances", code="PLACE_ENTRANCES")
    if len(set(names)) != len(names):
        raise InputError("entrance names repeat", code="PLACE_ENTRANCES")


class PlaceService:
    def __init__(self, uow: Callable[[], RegistryUnitOfWork], categories: frozenset[str]) -> None:
        self._uow = uow
        self.categories = categories

    def create(self, principal: Principal, form: NewPlace) -> Place:
        """Staff of the tree create places inside their scope; the category must be the pack's."""
        if not may_manage_places(principal) or not can_access(principal, form.community_code):
            raise AccessDenied("places are created by district, street or community staff")
        check_new_place(form, self.categories)
        with self._uow() as uow:
            community = uow.units.get(form.community_code)
            if community is None or len(community.code) != COMMUNITY_CODE_LENGTH:
                raise InputError(
                    "a place sits under a community or village", code="PLACE_COMMUNITY"
                )
            if community.level not in {AdminLevel.COMMUNITY, AdminLevel.VILLAGE}:
                raise InputError(
                    "a place sits under a community or village", code="PLACE_COMMUNITY"
                )
            if (form.community_code, form.name.strip()) in uow.places.existing_names(
                scope_code=form.community_code
            ):
                raise InputError("a place of this name exists there", code="PLACE_EXISTS")
            place = Place(
                id=None,
                admin_code=form.community_code,
                category=form.category,
                name=form.name.strip(),
                address=form.address.strip(),
                entrances=tuple(Entrance(name=n.strip()) for n in form.entrances),
                responsible_account_id=form.responsible_account_id,
            )
            place_id = uow.places.add(place)
            uow.commit()
            stored = uow.places.get(place_id)
        if stored is None:  # pragma: no cover - just written in this transaction
            raise InputError("place vanished", code="PLACE_MISSING")
        return stored

    def assign_responsible(self, principal: Principal, place_id: int, account_id: int) -> Place:
        """Name the operator or manager who answers for the place (R1): an account bound to it."""
        place = self.get(principal, place_id)
        if place is None or not may_manage_places(principal):
            raise AccessDenied("places are managed by district, street or community staff")
        with self._uow() as uow:
            account = uow.accounts.get(account_id)
            if account is None or account.role not in PLACE_ROLES or account.place_id != place_id:
                raise InputError(
                    "the responsible account must belong to this place", code="PLACE_RESPONSIBLE"
                )
            uow.places.set_responsible(place_id, account_id)
            uow.commit()
        return replace(place, responsible_account_id=account_id)

    def get(self, principal: Principal, place_id: int) -> Place | None:
        """The place, or None when it does not exist or the principal may not see it."""
        with self._uow() as uow:
            place = uow.places.get(place_id)
        if place is None or place.id is None:
            return None
        return place if can_access(principal, PlaceRef(place.id, place.admin_code)) else None

    def list(
        self,
        principal: Principal,
        *,
        admin_code: str | None = None,
        category: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[Place]:
        """Places in the principal's scope (a place-bound role sees its own place only)."""
        if principal.role in PLACE_ROLES:
            own = self.get(principal, principal.place_id) if principal.place_id else None
            return [own] if own is not None and category in {None, own.category} else []
        if principal.role not in TREE_ROLES:
            return []
        scope = admin_code or principal.scope_code
        if not can_access(principal, scope):
            return []
        with self._uow() as uow:
            return uow.places.list(scope_code=scope, category=category, limit=limit, offset=offset)
