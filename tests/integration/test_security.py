"""Accounts on a real database: argon2 sign-in, creation within the creator's scope, audit."""

from __future__ import annotations

import pytest

from jointcheck.errors import InputError
from jointcheck.security.accounts import NewAccount
from jointcheck.security.roles import AccessDenied, Role


def test_an_account_signs_in_with_its_password_only(registry, principal, tree):
    admin = principal(Role.DISTRICT_ADMIN)
    made = registry.accounts.create(
        admin,
        NewAccount("wang.street1", "a long enough password", Role.STREET_STAFF, tree.street_1),
    )
    signed_in = registry.accounts.authenticate("wang.street1", "a long enough password")
    assert signed_in == made
    assert signed_in.role is Role.STREET_STAFF
    assert signed_in.scope_code == tree.street_1
    assert registry.accounts.authenticate("wang.street1", "a long enough passworD") is None
    assert registry.accounts.authenticate("nobody", "a long enough password") is None
    assert registry.accounts.principal(made.account_id) == made


def test_the_password_is_stored_as_an_argon2_hash(registry, principal):
    admin = principal(Role.DISTRICT_ADMIN)
    registry.accounts.create(
        admin, NewAccount("li.health", "another long password", Role.HEALTH_AUTHORITY, "370704")
    )
    with registry.uow() as uow:
        stored = uow.accounts.get_by_username("li.health")
    assert stored.password_hash.startswith("$argon2id$")
    assert "another long password" not in stored.password_hash


def test_only_the_district_admin_creates_accounts_and_scopes_must_fit_roles(
    registry, principal, tree
):
    street = principal(Role.STREET_STAFF, tree.street_1)
    with pytest.raises(AccessDenied):
        registry.accounts.create(
            street, NewAccount("x.y", "long password here", Role.STREET_STAFF, tree.street_1)
        )
    admin = principal(Role.DISTRICT_ADMIN)
    wrong = [
        (
            NewAccount("a.b", "long password here", Role.STREET_STAFF, tree.community_1),
            "ACCOUNT_SCOPE",
        ),
        (NewAccount("a.b", "short", Role.STREET_STAFF, tree.street_1), "ACCOUNT_PASSWORD_SHORT"),
        (
            NewAccount("a b", "long password here", Role.STREET_STAFF, tree.street_1),
            "ACCOUNT_USERNAME",
        ),
        (
            NewAccount("a.b", "long password here", Role.PLACE_OPERATOR, tree.community_1),
            "ACCOUNT_PLACE",
        ),
        (NewAccount("a.b", "long password here", Role.RESIDENT, tree.grid_1), "ACCOUNT_PERSON"),
    ]
    for form, code in wrong:
        with pytest.raises(InputError) as caught:
            registry.accounts.create(admin, form)
        assert caught.value.code == code
    registry.accounts.create(
        admin, NewAccount("a.b", "long password here", Role.STREET_STAFF, tree.street_1)
    )
    with pytest.raises(InputError) as caught:
        registry.accounts.create(
            admin, NewAccount("a.b", "long password here", Role.STREET_STAFF, tree.street_2)
        )
    assert caught.value.code == "ACCOUNT_USERNAME_TAKEN"


def test_an_account_creation_is_audited_without_the_password(registry, principal, tree):
    admin = principal(Role.DISTRICT_ADMIN)
    registry.accounts.create(
        admin, NewAccount("grid.admin", "grid password 123", Role.COMMUNITY_ADMIN, tree.community_1)
    )
    with registry.uow() as uow:
        rows = uow.audit.list(scope_code=tree.community_1)
    assert [r.action for r in rows] == ["account.create"]
    assert rows[0].actor_username == admin.username
    assert "grid password" not in rows[0].detail


def test_the_audit_trail_is_read_within_scope(registry, principal, tree):
    admin = principal(Role.DISTRICT_ADMIN)
    registry.accounts.create(
        admin, NewAccount("s1.staff", "long password one", Role.STREET_STAFF, tree.street_1)
    )
    registry.accounts.create(
        admin, NewAccount("s2.staff", "long password two", Role.STREET_STAFF, tree.street_2)
    )
    street_1 = registry.accounts.authenticate("s1.staff", "long password one")
    assert [e.subject_id for e in registry.audit.entries(street_1)] == [str(street_1.account_id)]
    assert registry.audit.entries(street_1, admin_code=tree.street_2) == []
    assert len(registry.audit.entries(admin)) == 2
    operator = principal(Role.PLACE_OPERATOR, tree.community_1, place_id=None)
    assert registry.audit.entries(operator) == []


def test_only_the_district_admin_lists_accounts(registry, principal, tree):
    admin = principal(Role.DISTRICT_ADMIN)
    street = principal(Role.STREET_STAFF, tree.street_1)
    assert {p.username for p in registry.accounts.list(admin)} >= {admin.username, street.username}
    assert registry.accounts.list(street) == []
