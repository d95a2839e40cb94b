"""Least privilege by administrative level (R6): who sees which part of the tree."""

from __future__ import annotations

import uuid

import pytest

from jointcheck.security.roles import (
    PersonalDataAccess,
    PersonRef,
    PlaceRef,
    Principal,
    Role,
    can_access,
    may_change_health_code,
    personal_data_access,
)

STREET_1, STREET_2 = "370704001", "370704002"
GRID_1 = "370704001001001"
GRID_2 = "370704002001001"
PERSON_1 = PersonRef(uuid.uuid4(), GRID_1)
PERSON_2 = PersonRef(uuid.uuid4(), GRID_2)
SHOP_1 = PlaceRef(7, "370704001001")
SHOP_2 = PlaceRef(8, "370704002001")


def who(role: Role, scope: str = "370704", **kwargs) -> Principal:
    return Principal(1, role.value, role, scope, **kwargs)


def test_street_staff_see_their_street_and_nothing_of_the_next():
    staff = who(Role.STREET_STAFF, STREET_1)
    assert can_access(staff, GRID_1)
    assert can_access(staff, PERSON_1)
    assert can_access(staff, SHOP_1)
    assert not can_access(staff, GRID_2)
    assert not can_access(staff, PERSON_2)
    assert not can_access(staff, SHOP_2)
    assert not can_access(staff, "370704")  # not the district above them


def test_the_district_and_health_authority_see_the_whole_district_only():
    for role in (Role.DISTRICT_ADMIN, Role.HEALTH_AUTHORITY):
        principal = who(role)
        assert can_access(principal, PERSON_1)
        assert can_access(principal, PERSON_2)
        assert not can_access(principal, "370705001")  # the neighbouring district


def test_a_place_bound_role_sees_its_own_place_and_nothing_else():
    for role in (
        Role.PLACE_OPERATOR,
        Role.CHECKPOINT_DEVICE,
        Role.SCHOOL_ADMIN,
        Role.EMPLOYER_ADMIN,
    ):
        principal = who(role, "370704001001", place_id=SHOP_1.id)
        assert can_access(principal, SHOP_1)
        assert not can_access(principal, SHOP_2)
        assert not can_access(principal, PlaceRef(SHOP_1.id + 100, SHOP_1.admin_code))
        assert not can_access(principal, "370704001001")  # not the community's tree
        assert not can_access(principal, PERSON_1)


def test_a_resident_sees_only_themself():
    resident = who(Role.RESIDENT, GRID_1, person_id=PERSON_1.id)
    assert can_access(resident, PERSON_1)
    assert not can_access(resident, PersonRef(uuid.uuid4(), GRID_1))
    assert not can_access(resident, GRID_1)


def test_an_empty_scope_sees_nothing():
    assert not can_access(who(Role.STREET_STAFF, ""), GRID_1)


@pytest.mark.parametrize(
    ("role", "access"),
    [
        (Role.HEALTH_AUTHORITY, PersonalDataAccess.FULL),
        (Role.STREET_STAFF, PersonalDataAccess.FULL),
        (Role.COMMUNITY_ADMIN, PersonalDataAccess.FULL),
        (Role.DISTRICT_ADMIN, PersonalDataAccess.MASKED),
    ],
)
def test_which_roles_see_decrypted_personal_data(role, access):
    scope = {Role.STREET_STAFF: STREET_1, Role.COMMUNITY_ADMIN: "370704001001"}.get(role, "370704")
    principal = who(role, scope)
    assert personal_data_access(principal, PERSON_1) is access
    assert personal_data_access(principal, PERSON_2) is (
        access if role in {Role.HEALTH_AUTHORITY, Role.DISTRICT_ADMIN} else PersonalDataAccess.NONE
    )


def test_a_checkpoint_device_sees_no_personal_data_of_a_person():
    device = who(Role.CHECKPOINT_DEVICE, "370704001001", place_id=SHOP_1.id)
    assert personal_data_access(device, PERSON_1) is PersonalDataAccess.NONE


def test_only_the_health_authority_changes_a_health_code():
    assert may_change_health_code(who(Role.HEALTH_AUTHORITY))
    for role in set(Role) - {Role.HEALTH_AUTHORITY}:
        assert not may_change_health_code(who(role))
