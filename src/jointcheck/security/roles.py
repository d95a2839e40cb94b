"""Roles, principals and least privilege by administrative level (R6).

Administrative codes nest by prefix (GB/T 2260 extended): district ``370704`` (6 digits),
street or town (9), community or village (12), grid (15). A principal whose scope is a code
sees that code's subtree and nothing else: a street's staff see only their street, a grid
administrator only their community. Roles bound to one place (operator, checkpoint device,
school and employer administrators) see only that place; a resident sees only themself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from uuid import UUID

from jointcheck.errors import InputError


class AccessDenied(InputError):  # noqa: N818 - a refusal, named as users see it
    """The principal may not do this, or not here; the edges answer 403 with this code."""

    code = "ACCESS_DENIED"


class Role(StrEnum):
    DISTRICT_ADMIN = "district_admin"
    HEALTH_AUTHORITY = "health_authority"
    STREET_STAFF = "street_staff"
    COMMUNITY_ADMIN = "community_admin"  # grid administrator (网格员) of a community
    PLACE_OPERATOR = "place_operator"
    CHECKPOINT_DEVICE = "checkpoint_device"
    SCHOOL_ADMIN = "school_admin"
    EMPLOYER_ADMIN = "employer_admin"
    RESIDENT = "resident"


# Who may enroll and revoke a place's entrance terminals (issue 4), within their scope.
ENROLLERS: Final = (
    Role.DISTRICT_ADMIN,
    Role.STREET_STAFF,
    Role.COMMUNITY_ADMIN,
    Role.PLACE_OPERATOR,
)

# Who reads a street's list of registrations (R3, R5), within their scope: the street's staff,
# and the district office (its administrator and the health authority). The list is masked.
REGISTRATION_READERS: Final = frozenset(
    {Role.DISTRICT_ADMIN, Role.HEALTH_AUTHORITY, Role.STREET_STAFF}
)


class PersonalDataAccess(StrEnum):
    """How much of a person's personal data a role may see."""

    NONE = "none"
    MASKED = "masked"  # 张*三, 3707**********1234, 138****5678 (house rule 4)
    FULL = "full"  # decrypted, each read audited with a reason


# Roles scoped to a subtree of the administrative tree.
TREE_ROLES = frozenset(
    {Role.DISTRICT_ADMIN, Role.HEALTH_AUTHORITY, Role.STREET_STAFF, Role.COMMUNITY_ADMIN}
)
# Roles bound to exactly one place.
PLACE_ROLES = frozenset(
    {Role.PLACE_OPERATOR, Role.CHECKPOINT_DEVICE, Role.SCHOOL_ADMIN, Role.EMPLOYER_ADMIN}
)

# Who may see decrypted personal data: the health authority (codes, vaccination records),
# street staff (daily registrations, R5) and grid administrators (follow-up by phone, R7).
# The district administrator manages the tree and accounts and sees masked data only.
PERSONAL_DATA = {
    Role.DISTRICT_ADMIN: PersonalDataAccess.MASKED,
    Role.HEALTH_AUTHORITY: PersonalDataAccess.FULL,
    Role.STREET_STAFF: PersonalDataAccess.FULL,
    Role.COMMUNITY_ADMIN: PersonalDataAccess.FULL,
    Role.PLACE_OPERATOR: PersonalDataAccess.MASKED,
    Role.CHECKPOINT_DEVICE: PersonalDataAccess.NONE,
    Role.SCHOOL_ADMIN: PersonalDataAccess.MASKED,
    Role.EMPLOYER_ADMIN: PersonalDataAccess.MASKED,
    Role.RESIDENT: PersonalDataAccess.FULL,  # their own record only
}

DISTRICT_CODE_LENGTH: Final = 6
# The length of the scope code each tree role holds.
SCOPE_LENGTHS = {
    Role.DISTRICT_ADMIN: (DISTRICT_CODE_LENGTH,),
    Role.HEALTH_AUTHORITY: (DISTRICT_CODE_LENGTH,),
    Role.STREET_STAFF: (9,),
    Role.COMMUNITY_ADMIN: (12, 15),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: an account's role and scope, as the edges pass it to the services."""

    account_id: int
    username: str
    role: Role
    scope_code: str
    place_id: int | None = None
    person_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class PlaceRef:
    id: int
    admin_code: str


@dataclass(frozen=True, slots=True)
class PersonRef:
    id: UUID
    admin_code: str


Target = str | PlaceRef | PersonRef


def within(code: str, scope: str) -> bool:
    """Whether ``code`` lies in the subtree rooted at ``scope`` (codes nest by prefix)."""
    return bool(scope) and code.startswith(scope)


def district_of(code: str) -> str:
    """The district an administrative code lies in (its first six digits)."""
    return code[:DISTRICT_CODE_LENGTH]


def can_access(principal: Principal, target: Target) -> bool:
    """Least privilege (R6): may ``principal`` see ``target`` (an admin code, place or person)?"""
    role = principal.role
    if role in TREE_ROLES:
        code = target if isinstance(target, str) else target.admin_code
        return within(code, principal.scope_code)
    if role in PLACE_ROLES:
        return isinstance(target, PlaceRef) and target.id == principal.place_id
    # A resident: themself only.
    return isinstance(target, PersonRef) and target.id == principal.person_id


def personal_data_access(principal: Principal, target: PersonRef) -> PersonalDataAccess:
    """What a principal may see of one person's data: nothing outside their scope."""
    if not can_access(principal, target):
        return PersonalDataAccess.NONE
    return PERSONAL_DATA[principal.role]


def may_change_health_code(principal: Principal) -> bool:
    """Only the health authority changes a health-code colour (issue 4)."""
    return principal.role is Role.HEALTH_AUTHORITY


def may_manage_tree(principal: Principal) -> bool:
    return principal.role is Role.DISTRICT_ADMIN


def may_manage_places(principal: Principal) -> bool:
    return principal.role in {Role.DISTRICT_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_ADMIN}


def may_enroll_persons(principal: Principal) -> bool:
    return principal.role in {Role.HEALTH_AUTHORITY, Role.STREET_STAFF, Role.COMMUNITY_ADMIN}


def may_record_vaccination(principal: Principal) -> bool:
    return principal.role is Role.HEALTH_AUTHORITY
