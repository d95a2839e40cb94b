"""The demo district a newcomer gets (issue 4, `make run`): what it holds, and that seeding
twice adds nothing."""

from __future__ import annotations

from collections import Counter

import pytest
from argon2 import PasswordHasher

from jointcheck.registry.categories import pack_categories
from jointcheck.registry.demo import build_demo
from jointcheck.registry.model import AdminLevel
from jointcheck.registry.seeding import DemoSeeder
from jointcheck.security.idcard import check_resident_id
from jointcheck.security.roles import Role


@pytest.fixture(scope="module")
def small_demo():
    return build_demo(residents=300, places=40)


# argon2 at its lowest cost: the demo's production hashing is slow by design, and sign-in
# reads the parameters from each stored hash.
cheap_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash


def seeder(registry):
    return DemoSeeder(registry.uow, registry.cipher, password_hasher=cheap_hash)


def counts(registry, district_code="370704"):
    with registry.uow() as uow:
        return (
            len(uow.units.subtree(district_code)),
            uow.places.count(scope_code=district_code),
            uow.persons.count(scope_code=district_code),
            len(uow.accounts.usernames()),
        )


def test_the_demo_is_the_same_on_every_build():
    one, two = build_demo(residents=50, places=20), build_demo(residents=50, places=20)
    assert one == two


def test_the_full_demo_has_the_size_the_issue_asks_for():
    demo = build_demo()
    levels = Counter(u.level for u in demo.units)
    assert levels[AdminLevel.STREET] >= 6
    assert levels[AdminLevel.COMMUNITY] + levels[AdminLevel.VILLAGE] >= 12
    assert levels[AdminLevel.GRID] >= 36
    assert len(demo.places) == 200
    assert {p.category for p in demo.places} == pack_categories()
    assert len(demo.persons) == 5000
    assert len({p.form.document_number for p in demo.persons}) == 5000
    today = build_demo.__globals__["CAMPAIGN_DAY"]
    assert all(check_resident_id(p.form.document_number, today).ok for p in demo.persons)
    doses = Counter(min(len(p.doses), 2) for p in demo.persons)
    assert doses[0] > 0
    assert doses[1] > 0
    assert doses[2] > len(demo.persons) / 2  # most are complete
    colours = Counter(p.colour.value for p in demo.persons)
    assert colours["green"] > 0.9 * len(demo.persons)
    assert colours["yellow"] > 0
    assert colours["red"] > 0
    assert 0 < sum(1 for p in demo.persons if p.contraindication) < 100
    assert {a.role for a in demo.accounts} == set(Role)


def test_children_under_twelve_have_no_dose_in_the_2021_demo():
    demo = build_demo()
    for person in demo.persons:
        born = check_resident_id(
            person.form.document_number, build_demo.__globals__["CAMPAIGN_DAY"]
        ).birth_date
        if (build_demo.__globals__["CAMPAIGN_DAY"] - born).days < 11 * 365:
            assert person.doses == ()


def test_seeding_twice_adds_nothing(registry, small_demo):
    first = seeder(registry).seed(small_demo)
    assert first.persons == 300
    assert first.places == 40
    after_first = counts(registry)
    second = seeder(registry).seed(small_demo)
    assert not second.added_anything
    assert counts(registry) == after_first
    assert after_first[2] == 300


def test_every_demo_account_signs_in_with_its_printed_password(registry, small_demo):
    seeder(registry).seed(small_demo)
    for account in small_demo.accounts:
        principal = registry.accounts.authenticate(account.username, account.password)
        assert principal is not None, account.username
        assert principal.role is account.role
        if account.place is not None:
            place = registry.places.get(principal, principal.place_id)
            assert place is not None
            assert place.name == account.place[1]


def test_the_demo_operator_is_the_responsible_account_of_their_place(registry, small_demo):
    seeder(registry).seed(small_demo)
    operator = next(a for a in small_demo.accounts if a.role is Role.PLACE_OPERATOR)
    with registry.uow() as uow:
        account = uow.accounts.get_by_username(operator.username)
        place = uow.places.get(account.place_id)
    assert place.responsible_account_id == account.id


def test_seeded_people_are_readable_by_the_health_authority_and_found_by_id(registry, small_demo):
    seeder(registry).seed(small_demo)
    health = registry.accounts.authenticate("health", "demo-health-2021")
    someone = small_demo.persons[7]
    found = registry.persons.find(
        health, "resident_id_card", someone.form.document_number, reason="demo check"
    )
    assert found is not None
    assert found.id == someone.id
    details = registry.persons.read_details(health, someone.id, reason="demo check")
    assert details.name == someone.form.name
    record = registry.persons.health(health, someone.id)
    assert record.code.colour is someone.colour
    assert len(record.vaccinations) == len(someone.doses)


def test_the_demo_resident_reads_their_own_record_only(registry, small_demo):
    seeder(registry).seed(small_demo)
    resident = registry.accounts.authenticate("resident", "demo-resident-2021")
    own = small_demo.persons[0]
    assert registry.persons.read_details(resident, own.id, reason="my record").name == own.form.name
    assert registry.persons.read_details(resident, small_demo.persons[1].id, reason="x") is None
