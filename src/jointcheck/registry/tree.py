"""The administrative tree: district -> streets and towns -> communities and villages -> grids."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from jointcheck.errors import InputError
from jointcheck.registry.model import CODE_LENGTH, PARENT_LEVELS, AdminLevel, AdminUnit
from jointcheck.registry.ports import RegistryUnitOfWork
from jointcheck.security.roles import TREE_ROLES, AccessDenied, Principal, may_manage_tree, within

MAX_NAME = 100


def check_unit(unit: AdminUnit, parent: AdminUnit | None) -> None:
    """Refuse a unit whose code, level or parent does not fit the tree."""
    if len(unit.code) != CODE_LENGTH[unit.level] or not unit.code.isdigit():
        raise InputError(
            f"a {unit.level} code has {CODE_LENGTH[unit.level]} digits", code="TREE_CODE_LENGTH"
        )
    if not unit.name_zh.strip() or len(unit.name_zh) > MAX_NAME or len(unit.name_en) > MAX_NAME:
        raise InputError("a unit needs a name of at most 100 characters", code="TREE_NAME")
    if unit.level is AdminLevel.DISTRICT:
        if unit.parent_code is not None:
            raise InputError("a district has no parent", code="TREE_PARENT_LEVEL")
        return
    if parent is None:
        raise InputError(f"parent {unit.parent_code} does not exist", code="TREE_PARENT_MISSING")
    if parent.level not in PARENT_LEVELS[unit.level]:
        raise InputError(
            f"a {unit.level} cannot sit under a {parent.level}", code="TREE_PARENT_LEVEL"
        )
    if not unit.code.startswith(parent.code):
        raise InputError("a unit's code extends its parent's code", code="TREE_CODE_PREFIX")


class TreeService:
    def __init__(self, uow: Callable[[], RegistryUnitOfWork]) -> None:
        self._uow = uow

    def create(self, principal: Principal, unit: AdminUnit) -> AdminUnit:
        """The district administrator adds a unit inside their district."""
        if not may_manage_tree(principal) or not within(unit.code, principal.scope_code):
            raise AccessDenied("only the district administrator changes the tree")
        with self._uow() as uow:
            if uow.units.get(unit.code) is not None:
                raise InputError(f"unit {unit.code} exists", code="TREE_CODE_EXISTS")
            parent = uow.units.get(unit.parent_code) if unit.parent_code else None
            check_unit(unit, parent)
            uow.units.add_many([unit])
            uow.commit()
        return unit

    def get(self, principal: Principal, code: str) -> AdminUnit | None:
        """The unit, or None when it does not exist or lies outside the principal's scope."""
        if principal.role not in TREE_ROLES or not within(code, principal.scope_code):
            return None
        with self._uow() as uow:
            return uow.units.get(code)

    def children(self, principal: Principal, code: str) -> Sequence[AdminUnit]:
        if principal.role not in TREE_ROLES or not within(code, principal.scope_code):
            return []
        with self._uow() as uow:
            return uow.units.children(code)

    def subtree(self, principal: Principal, code: str | None = None) -> Sequence[AdminUnit]:
        """Every unit under ``code`` (the principal's own scope by default), the root included."""
        root = code or principal.scope_code
        if principal.role not in TREE_ROLES or not within(root, principal.scope_code):
            return []
        with self._uow() as uow:
            return uow.units.subtree(root)
