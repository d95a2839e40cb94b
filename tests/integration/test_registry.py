"""Registry services on a real database: the tree, places, persons, health records, and the
scope rule (R6): another street's data never comes back."""

from __future__ import annotations

from datetime import date

import pytest

from jointcheck.credentials.model import CodeColour
from jointcheck.errors import InputError
from jointcheck.registry.health import NewContraindication, NewDose
from jointcheck.registry.model import AdminLevel, AdminUnit, ContraindicationLevel
from jointcheck.registry.persons import Enrollment
from jointcheck.registry.places import NewPlace
from jointcheck.security.idcard import make_resident_id
from jointcheck.security.roles import AccessDenied, Role


def enrollment(grid: str, *, name: str = "张小三", sequence: int = 123, **extra) -> Enrollment:
    number = make_resident_id("370704", date(1990, 5, 6), sequence)
    return Enrollment(
        grid_code=grid,
        document_type="resident_id_card",
        document_number=number,
        name=name,
        phone="13812345678",
        address="东苑社区3号楼2单元101室",
        **extra,
    )


@pytest.fixture
def staff(principal, tree):
    """One principal of each tree role, street and community staff in street 1."""
    return {
        "district": principal(Role.DISTRICT_ADMIN),
        "health": principal(Role.HEALTH_AUTHORITY),
        "street_1": principal(Role.STREET_STAFF, tree.street_1),
        "street_2": principal(Role.STREET_STAFF, tree.street_2),
        "grid_1": principal(Role.COMMUNITY_ADMIN, tree.community_1),
    }


@pytest.fixture
def two_people(registry, staff, tree):
    """A person in each street, enrolled by the health authority."""
    one = registry.persons.enroll(staff["health"], enrollment(tree.grid_1, sequence=123))
    two = registry.persons.enroll(
        staff["health"], enrollment(tree.grid_2, name="李四", sequence=456)
    )
    assert one.person is not None
    assert two.person is not None
    return one.person, two.person


def audit_rows(registry, scope="370704"):
    with registry.uow() as uow:
        return uow.audit.list(scope_code=scope, limit=1000)


def test_the_tree_refuses_units_that_do_not_fit(registry, staff, tree):
    admin = staff["district"]
    registry.tree.create(
        admin, AdminUnit("370704001002", AdminLevel.VILLAGE, "王村", "Wang", tree.street_1)
    )
    bad = [
        (
            AdminUnit("37070400100", AdminLevel.COMMUNITY, "x", "x", tree.street_1),
            "TREE_CODE_LENGTH",
        ),
        (
            AdminUnit("370704002009", AdminLevel.COMMUNITY, "x", "x", tree.street_1),
            "TREE_CODE_PREFIX",
        ),
        (
            AdminUnit("370704001001009", AdminLevel.GRID, "x", "x", tree.street_1),
            "TREE_PARENT_LEVEL",
        ),
        (
            AdminUnit("370704009001", AdminLevel.COMMUNITY, "x", "x", "370704009"),
            "TREE_PARENT_MISSING",
        ),
        (AdminUnit(tree.street_1, AdminLevel.STREET, "x", "x", tree.district), "TREE_CODE_EXISTS"),
    ]
    for unit, code in bad:
        with pytest.raises(InputError) as caught:
            registry.tree.create(admin, unit)
        assert caught.value.code == code
    with pytest.raises(AccessDenied):
        registry.tree.create(
            staff["street_1"],
            AdminUnit("370704001003", AdminLevel.COMMUNITY, "x", "x", tree.street_1),
        )


def test_street_staff_see_their_own_subtree_only(registry, staff, tree):
    codes = {u.code for u in registry.tree.subtree(staff["street_1"])}
    assert codes == {tree.street_1, tree.community_1, tree.grid_1}
    assert registry.tree.subtree(staff["street_1"], tree.street_2) == []
    assert registry.tree.get(staff["street_1"], tree.grid_2) is None
    assert registry.tree.children(staff["street_1"], tree.district) == []
    assert [u.code for u in registry.tree.children(staff["district"], tree.district)] == [
        tree.street_1,
        tree.street_2,
    ]


def test_places_take_only_the_packs_categories_and_stay_in_their_street(registry, staff, tree):
    shop = registry.places.create(
        staff["street_1"],
        NewPlace(
            tree.community_1, "malls_and_supermarkets", "东苑超市", "东苑路1号", ("正门", "东门")
        ),
    )
    assert [e.name for e in shop.entrances] == ["正门", "东门"]
    with pytest.raises(InputError) as caught:
        registry.places.create(staff["street_1"], NewPlace(tree.community_1, "casino", "赌场", ""))
    assert caught.value.code == "PLACE_CATEGORY_UNKNOWN"
    with pytest.raises(AccessDenied):
        registry.places.create(staff["street_2"], NewPlace(tree.community_1, "hotels", "宾馆", ""))
    with pytest.raises(InputError) as caught:
        registry.places.create(staff["street_1"], NewPlace(tree.grid_1, "hotels", "宾馆", ""))
    assert caught.value.code == "PLACE_COMMUNITY"
    assert registry.places.get(staff["street_2"], shop.id) is None
    assert registry.places.list(staff["street_2"]) == []
    assert [p.id for p in registry.places.list(staff["street_1"])] == [shop.id]


def test_a_place_operator_sees_their_place_and_no_other(registry, staff, tree, principal):
    mine = registry.places.create(
        staff["district"], NewPlace(tree.community_1, "hotels", "东苑宾馆", "")
    )
    other = registry.places.create(
        staff["district"], NewPlace(tree.community_1, "pharmacies", "东苑大药房", "")
    )
    operator = principal(Role.PLACE_OPERATOR, tree.community_1, place_id=mine.id)
    assert registry.places.get(operator, mine.id) == mine
    assert registry.places.get(operator, other.id) is None
    assert registry.places.list(operator) == [mine]
    assert registry.tree.subtree(operator) == []


def test_an_id_number_with_a_wrong_check_digit_is_refused_and_nothing_is_stored(
    registry, staff, tree
):
    form = enrollment(tree.grid_1)
    wrong = form.document_number[:17] + ("1" if form.document_number[17] != "1" else "2")
    result = registry.persons.enroll(
        staff["health"], Enrollment(tree.grid_1, "resident_id_card", wrong, "张小三")
    )
    assert result.reason == "ID_CHECK_DIGIT"
    assert result.person is None
    assert registry.persons.count(staff["health"]) == 0


def test_enrolment_reads_birth_and_sex_from_the_id_and_masks_the_answer(registry, staff, tree):
    result = registry.persons.enroll(staff["grid_1"], enrollment(tree.grid_1))
    assert result.reason == "OK"
    person = result.person
    assert person.masked_name == "张*三"
    assert person.masked_phone == "138****5678"
    assert person.masked_number.startswith("3707")
    assert "*" in person.masked_number
    assert person.birth_year == 1990
    details = registry.persons.read_details(staff["health"], person.id, reason="verify enrolment")
    assert details.birth_date == date(1990, 5, 6)
    assert details.sex == "male"
    again = registry.persons.enroll(staff["grid_1"], enrollment(tree.grid_1))
    assert again.reason == "PERSON_EXISTS"


def test_a_person_is_found_by_id_number_through_the_lookup_hash(registry, staff, tree, two_people):
    one, _ = two_people
    number = enrollment(tree.grid_1).document_number
    found = registry.persons.find(
        staff["street_1"], "resident_id_card", number.lower(), reason="check"
    )
    assert found is not None
    assert found.id == one.id
    # The same number asked by the other street's staff: nothing comes back.
    assert (
        registry.persons.find(staff["street_2"], "resident_id_card", number, reason="check") is None
    )


def test_decrypted_reads_are_audited_with_who_what_when_why(registry, staff, two_people):
    one, _ = two_people
    before = len(audit_rows(registry))
    details = registry.persons.read_details(staff["street_1"], one.id, reason="follow-up call (R7)")
    assert details.name == "张小三"
    assert details.phone == "13812345678"
    rows = audit_rows(registry)
    assert len(rows) == before + 1
    entry = rows[0]
    assert entry.action == "personal_data.read"
    assert entry.actor_username == staff["street_1"].username
    assert entry.subject_id == str(one.id)
    assert entry.reason == "follow-up call (R7)"
    assert entry.at.tzinfo is not None
    assert "张小三" not in entry.detail
    assert "13812345678" not in entry.detail


def test_a_read_without_a_reason_is_refused_and_leaves_nothing(registry, staff, two_people):
    one, _ = two_people
    before = len(audit_rows(registry))
    with pytest.raises(InputError) as caught:
        registry.persons.read_details(staff["health"], one.id, reason="  ")
    assert caught.value.code == "AUDIT_REASON_REQUIRED"
    assert len(audit_rows(registry)) == before


def test_masked_only_roles_cannot_decrypt_and_other_streets_get_nothing(
    registry, staff, two_people
):
    one, two = two_people
    with pytest.raises(AccessDenied):
        registry.persons.read_details(staff["district"], one.id, reason="curiosity")
    assert registry.persons.read_details(staff["street_1"], two.id, reason="x") is None
    assert registry.persons.summary(staff["street_1"], two.id, reason="x") is None
    assert registry.persons.health(staff["street_1"], two.id) is None
    listed = registry.persons.list(staff["street_1"], reason="worklist")
    assert [p.id for p in listed] == [one.id]
    assert (
        registry.persons.list(
            staff["street_1"], admin_code=staff["street_2"].scope_code, reason="x"
        )
        == []
    )
    assert registry.persons.count(staff["street_2"]) == 1


def test_a_resident_reads_their_own_record_and_no_one_elses(registry, principal, tree, two_people):
    one, two = two_people
    resident = principal(Role.RESIDENT, tree.grid_1, person_id=one.id)
    assert registry.persons.read_details(resident, one.id, reason="my record").name == "张小三"
    assert registry.persons.read_details(resident, two.id, reason="my neighbour") is None


def test_only_the_health_authority_changes_a_code_and_each_change_is_audited(
    registry, staff, two_people
):
    one, _ = two_people
    for who in ("district", "street_1", "grid_1"):
        with pytest.raises(AccessDenied):
            registry.health.change_code(staff[who], one.id, CodeColour.RED, reason="x")
    status = registry.health.change_code(
        staff["health"], one.id, CodeColour.YELLOW, reason="中风险地区来坊"
    )
    assert status.colour is CodeColour.YELLOW
    registry.health.change_code(staff["health"], one.id, CodeColour.GREEN, reason="核酸阴性")
    health = registry.persons.health(staff["street_1"], one.id)
    assert health.code.colour is CodeColour.GREEN
    assert health.code.changed_by == staff["health"].account_id
    changes = [r for r in audit_rows(registry) if r.action == "health_code.change"]
    assert [(r.reason, r.detail) for r in reversed(changes)] == [
        ("中风险地区来坊", '{"from": null, "to": "yellow", "until": null}'),
        ("核酸阴性", '{"from": "yellow", "to": "green", "until": null}'),
    ]


def test_vaccinations_and_contraindications_are_recorded_and_checked(registry, staff, two_people):
    one, two = two_people
    health = staff["health"]
    registry.health.record_dose(
        health, one.id, NewDose(1, 2, "CoronaVac", date(2021, 4, 1), "坊子区人民医院")
    )
    registry.health.record_dose(
        health, one.id, NewDose(2, 2, "CoronaVac", date(2021, 5, 1), "坊子区人民医院")
    )
    with pytest.raises(InputError) as caught:
        registry.health.record_dose(
            health, one.id, NewDose(2, 2, "CoronaVac", date(2021, 5, 2), "x")
        )
    assert caught.value.code == "VACCINE_DOSE_EXISTS"
    with pytest.raises(InputError) as caught:
        registry.health.record_dose(
            health, one.id, NewDose(3, 3, "Snake-Oil", date(2021, 6, 1), "x")
        )
    assert caught.value.code == "VACCINE_PRODUCT"
    with pytest.raises(InputError) as caught:
        registry.health.add_contraindication(
            health,
            two.id,
            NewContraindication(
                "severe_allergy", ContraindicationLevel.PERMANENT, "诊所", 1, date(2021, 5, 1)
            ),
        )
    assert caught.value.code == "CONTRAINDICATION_INSTITUTION"
    registry.health.add_contraindication(
        health,
        two.id,
        NewContraindication(
            "severe_allergy", ContraindicationLevel.PERMANENT, "潍坊市人民医院", 3, date(2021, 5, 1)
        ),
    )
    mine = registry.persons.health(health, one.id)
    assert [(v.dose_number, v.series_doses, v.product) for v in mine.vaccinations] == [
        (1, 2, "CoronaVac"),
        (2, 2, "CoronaVac"),
    ]
    theirs = registry.persons.health(health, two.id)
    assert [c.category for c in theirs.contraindications] == ["severe_allergy"]
    with pytest.raises(AccessDenied):
        registry.health.record_dose(
            staff["street_1"], one.id, NewDose(3, 3, "CoronaVac", date(2021, 9, 1), "x")
        )


def test_the_id_document_path_gives_a_device_health_but_no_identity(
    registry, principal, tree, two_people
):
    _, two = two_people
    device = principal(Role.CHECKPOINT_DEVICE, tree.community_1, place_id=None)
    number = make_resident_id("370704", date(1990, 5, 6), 456)
    health = registry.persons.health_by_document(device, "resident_id_card", number)
    assert health is not None
    assert health.person_id == two.id
    assert not hasattr(health, "name")
    assert (
        registry.persons.health_by_document(device, "resident_id_card", "11010519491231002X")
        is None
    )


def test_a_person_who_moves_grid_keeps_their_records_and_changes_street(
    registry, staff, tree, two_people
):
    one, _ = two_people
    health = staff["health"]
    registry.health.record_dose(
        health, one.id, NewDose(1, 1, "Convidecia", date(2021, 4, 1), "坊子区人民医院")
    )
    registry.health.change_code(health, one.id, CodeColour.GREEN, reason="正常")
    assert not registry.persons.move(staff["street_2"], one.id, tree.grid_2, reason="moved house")
    assert registry.persons.move(health, one.id, tree.grid_2, reason="moved house")
    moved = registry.persons.health(health, one.id)
    assert moved.admin_code == tree.grid_2
    assert [v.admin_code for v in moved.vaccinations] == [tree.grid_2]
    assert moved.code.admin_code == tree.grid_2
    # Now street 2's business, and no longer street 1's; the sealed fields still open.
    assert registry.persons.health(staff["street_1"], one.id) is None
    assert (
        registry.persons.read_details(staff["street_2"], one.id, reason="new resident").name
        == "张小三"
    )


def test_a_visitor_with_a_passport_is_enrolled_and_found_by_it(registry, staff, tree):
    form = Enrollment(
        grid_code=tree.grid_1,
        document_type="passport",
        document_number="e1234567",
        name="SMITH JOHN",
        birth_date=date(1980, 2, 3),
        sex="male",
    )
    result = registry.persons.enroll(staff["health"], form)
    assert result.reason == "OK"
    assert result.person.masked_name == "S**** J***"
    found = registry.persons.find(staff["street_1"], "passport", "E1234567", reason="visitor check")
    assert found.id == result.person.id
    assert (
        registry.persons.find(staff["street_1"], "resident_id_card", "E1234567", reason="x") is None
    )
    details = registry.persons.read_details(staff["health"], found.id, reason="visitor check")
    assert (details.document_number, details.birth_date) == ("E1234567", date(1980, 2, 3))
    bad = registry.persons.enroll(
        staff["health"], Enrollment(tree.grid_1, "hk_macao_permit", "Z999", "陈大文")
    )
    assert bad.reason == "ID_DOCUMENT_FORMAT"


def test_the_operator_of_a_place_is_named_responsible_for_it(registry, staff, tree, principal):
    shop = registry.places.create(
        staff["street_1"], NewPlace(tree.community_1, "markets", "东苑农贸市场", "")
    )
    other = registry.places.create(
        staff["street_1"], NewPlace(tree.community_1, "catering", "东苑饭店", "")
    )
    operator = principal(Role.PLACE_OPERATOR, tree.community_1, place_id=shop.id)
    with pytest.raises(InputError) as caught:
        registry.places.assign_responsible(staff["street_1"], other.id, operator.account_id)
    assert caught.value.code == "PLACE_RESPONSIBLE"
    with pytest.raises(AccessDenied):
        registry.places.assign_responsible(staff["street_2"], shop.id, operator.account_id)
    registry.places.assign_responsible(staff["street_1"], shop.id, operator.account_id)
    assert registry.places.get(operator, shop.id).responsible_account_id == operator.account_id
