"""Family members without phones (R14, issue 4 "Holder page"): the grid administrator links an
elderly relative or a child to a resident; the resident sees them masked on the holder page
and prints each one's paper code (health code and vaccination certificate); a person not
linked to the resident is refused with FAMILY_NOT_LINKED; every read is audited (R6)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from jointcheck.api.app import create_app
from jointcheck.api.trust import ServerTrust, TrustPaths
from jointcheck.bootstrap import DistrictKeyFiles, ensure_district_keys
from jointcheck.credentials.model import CodeColour, CredentialType, HealthCode
from jointcheck.registry.demo import build_demo
from jointcheck.registry.family import LIST_REASON, PRINT_REASON, PersonDocument, seal_relation
from jointcheck.registry.health import NewDose
from jointcheck.registry.model import SealedFamilyLink
from jointcheck.registry.persons import Enrollment
from jointcheck.registry.seeding import DemoSeeder
from jointcheck.security.idcard import make_resident_id
from jointcheck.security.roles import AccessDenied, Role
from jointcheck.store.migrate import upgrade
from jointcheck.store.models import FamilyLinkRow
from jointcheck.web.holder import HolderCodes
from web_factories import DISTRICT, NOW, add_account, add_resident, sign_in

GRID = "370704001001001"
OTHER_GRID = "370704002001001"
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Person:
    id: UUID
    id_number: str
    name: str


@pytest.fixture
def keys(settings):
    ensure_district_keys(settings, NOW - timedelta(days=1), DISTRICT)
    return DistrictKeyFiles.of(settings)


@pytest.fixture
def staff(principal):
    return principal(Role.HEALTH_AUTHORITY)


def enroll(registry, staff, name: str, born: date, sequence: int, grid: str = GRID) -> Person:
    """A person without an account (no phone), with a green code and two doses."""
    number = make_resident_id(DISTRICT, born, sequence)
    enrolled = registry.persons.enroll(
        staff,
        Enrollment(grid_code=grid, document_type="resident_id_card", document_number=number,
                   name=name),
    )  # fmt: skip
    assert enrolled.person is not None, enrolled.reason
    registry.health.change_code(staff, enrolled.person.id, CodeColour.GREEN, reason="test")
    for n in (1, 2):
        dose = NewDose(n, 2, "CoronaVac", date(2021, 4, 1) + timedelta(days=28 * n), "卫生站")
        registry.health.record_dose(staff, enrolled.person.id, dose)
    return Person(enrolled.person.id, number, name)


@pytest.fixture
def resident(registry, tree, staff):
    return add_resident(registry, staff, GRID)


@pytest.fixture
def grandma(registry, tree, staff) -> Person:
    return enroll(registry, staff, "王秀英", date(1945, 3, 8), 201)


@pytest.fixture
def neighbour(registry, tree, staff) -> Person:
    return enroll(registry, staff, "李建国", date(1950, 6, 1), 202)


def browser(settings, username: str, password: str) -> TestClient:
    client = TestClient(create_app(settings, clock=lambda: NOW))
    answer = sign_in(client, username, password)
    assert answer.status_code == 303, answer.text
    return client


@pytest.fixture
def grid_admin(settings, registry, tree) -> Iterator[TestClient]:
    add_account(registry, "grid-east", PASSWORD, Role.COMMUNITY_ADMIN, GRID[:12])
    with browser(settings, "grid-east", PASSWORD) as client:
        yield client


@pytest.fixture
def home(settings, keys, resident) -> Iterator[TestClient]:
    with browser(settings, resident.username, resident.password) as client:
        yield client


def link(client: TestClient, holder: str, member: str, relation: str = "grandparent"):
    body = {
        "holder": {"number": holder},
        "member": {"number": member},
        "relation": relation,
        "reason": "家属申请，网格员核实户籍",
    }
    header = {"x-csrf-token": client.cookies.get("jc_csrf") or ""}
    return client.post("/api/family/links", json=body, headers=header)


def audit(registry, action: str, subject: UUID) -> list[tuple[str, str]]:
    with registry.uow() as uow:
        entries = uow.audit.list(scope_code=DISTRICT, limit=1000)
    return [
        (e.actor_username, e.reason)
        for e in entries
        if e.action.value == action and e.subject_id == str(subject)
    ]


def test_the_grid_administrator_links_and_the_resident_prints_the_members_codes(
    grid_admin, home, registry, resident, grandma
):
    answer = link(grid_admin, resident.id_number, grandma.id_number)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["created"] is True
    assert body["member"] == {
        "id": str(grandma.id), "masked_name": "王*英", "birth_year": 1945,
        "relation": "grandparent",
        "relation_label": {"zh-CN": "（外）祖父母", "en": "Grandparent"},
    }  # fmt: skip
    assert body["holder"]["masked_name"] == "张*三"
    for secret in (grandma.id_number, grandma.name, resident.id_number, resident.name):
        assert secret not in answer.text
    again = link(grid_admin, resident.id_number, grandma.id_number)
    assert (again.status_code, again.json()["created"]) == (200, False)
    assert len(audit(registry, "family.link", resident.person_id)) == 1

    page = home.get("/me?lang=en").text
    assert 'data-testid="family-member"' in page
    assert "王*英" in page
    assert '<span data-testid="relation">Grandparent</span>' in page
    assert '<span data-testid="relation">（外）祖父母</span>' in home.get("/me?lang=zh-CN").text
    assert f'href="/me/print?member={grandma.id}"' in page
    assert grandma.name not in page
    printed = home.get(f"/me/print?member={grandma.id}&lang=en")
    assert printed.status_code == 200
    assert printed.headers["cache-control"] == "no-store"
    assert "王*英" in printed.text
    assert "born 1945" in printed.text
    assert 'data-testid="paper-health-code"' in printed.text
    assert 'data-testid="paper-vaccination"' in printed.text
    assert grandma.name not in printed.text
    assert grandma.id_number not in printed.text
    # The resident's own paper code is still theirs.
    own = home.get("/me/print").text
    assert "张*三" in own
    assert "王*英" not in own


def test_the_members_codes_verify_as_the_member(settings, registry, keys, resident, grandma):
    registry.family.link(
        _linker(registry), PersonDocument("resident_id_card", resident.id_number),
        PersonDocument("resident_id_card", grandma.id_number), "grandparent", reason="test",
    )  # fmt: skip
    account = registry.accounts.authenticate(resident.username, resident.password)
    assert account is not None
    card = HolderCodes(registry, keys, timedelta(minutes=3)).card(account, NOW, grandma.id)
    assert card.masked_name == "王*英"
    assert card.health_code is not None
    assert card.vaccination is not None
    trust = ServerTrust(TrustPaths.of(settings), timedelta(seconds=30))
    health = trust.verify(card.health_code.text, NOW)
    vaccination = trust.verify(card.vaccination.text, NOW)
    assert health is not None
    assert vaccination is not None
    assert health.valid, health.reason
    assert vaccination.valid, vaccination.reason
    assert vaccination.type is CredentialType.DCC_VACCINATION
    assert isinstance(health.credential, HealthCode)
    assert health.credential.colour is CodeColour.GREEN
    assert vaccination.credential is not None
    assert vaccination.credential.subject.dob == "1945-03-08"
    assert (vaccination.credential.subject.fnt, vaccination.credential.subject.gnt) == (
        "WANG",
        "XIUYING",
    )


def _linker(registry):
    from jointcheck.security.roles import Principal

    account_id = add_account(
        registry, f"grid-{uuid4().hex[:6]}", PASSWORD, Role.COMMUNITY_ADMIN, GRID[:12]
    )
    return Principal(account_id, "grid", Role.COMMUNITY_ADMIN, GRID[:12])


def test_a_person_not_linked_is_refused_and_nothing_is_read(
    grid_admin, home, registry, resident, grandma, neighbour
):
    assert link(grid_admin, resident.id_number, grandma.id_number).status_code == 200
    for someone in (neighbour.id, uuid4()):
        answer = home.get(f"/me/print?member={someone}")
        assert answer.status_code == 403
        assert "<code>FAMILY_NOT_LINKED</code>" in answer.text
        assert audit(registry, "personal_data.read", someone) == []
    assert "李*国" not in home.get("/me").text
    not_an_id = home.get("/me/print?member=1")
    assert not_an_id.status_code == 422


def test_every_family_read_is_audited_under_the_resident(
    grid_admin, home, registry, resident, grandma
):
    link(grid_admin, resident.id_number, grandma.id_number)
    home.get("/me")
    home.get(f"/me/print?member={grandma.id}")
    listed = audit(registry, "personal_data.read_masked", grandma.id)
    assert (resident.username, LIST_REASON) in listed
    assert audit(registry, "personal_data.read", grandma.id) == [(resident.username, PRINT_REASON)]


def test_who_may_link(settings, registry, tree, staff, resident, grandma, grid_admin):
    add_account(registry, "street-east", PASSWORD, Role.STREET_STAFF, GRID[:9])
    add_account(registry, "grid-west", PASSWORD, Role.COMMUNITY_ADMIN, OTHER_GRID[:12])
    add_account(registry, "district", PASSWORD, Role.DISTRICT_ADMIN, DISTRICT)
    with browser(settings, "street-east", PASSWORD) as street:
        answer = link(street, resident.id_number, grandma.id_number)
        assert (answer.status_code, answer.json()["error"]["code"]) == (403, "FORBIDDEN")
    with browser(settings, "grid-west", PASSWORD) as west:
        # Another community's people are unknown to this administrator, not "forbidden".
        answer = link(west, resident.id_number, grandma.id_number)
        assert (answer.status_code, answer.json()["error"]["code"]) == (
            400,
            "FAMILY_PERSON_UNKNOWN",
        )
    stranger = enroll(registry, staff, "赵六", date(1948, 1, 1), 301, grid=OTHER_GRID)
    answer = link(grid_admin, resident.id_number, stranger.id_number)
    assert answer.json()["error"]["code"] == "FAMILY_PERSON_UNKNOWN"
    answer = link(grid_admin, resident.id_number, resident.id_number)
    assert answer.json()["error"]["code"] == "FAMILY_SELF"
    with browser(settings, "district", PASSWORD) as district:
        answer = link(district, resident.id_number, stranger.id_number, relation="grandparent")
        assert answer.status_code == 200, answer.text
    no_csrf = grid_admin.post(
        "/api/family/links",
        json={"holder": {"number": resident.id_number}, "member": {"number": grandma.id_number},
              "relation": "grandparent", "reason": "x"},
    )  # fmt: skip
    assert no_csrf.json()["error"]["code"] == "CSRF_FAILED"
    with pytest.raises(AccessDenied):
        registry.family.unlink(staff, resident.person_id, grandma.id, reason="x")


def test_an_unlinked_member_can_no_longer_be_printed(grid_admin, home, registry, resident, grandma):
    link(grid_admin, resident.id_number, grandma.id_number)
    assert home.get(f"/me/print?member={grandma.id}").status_code == 200
    linker = _linker(registry)
    assert registry.family.unlink(linker, resident.person_id, grandma.id, reason="搬离")
    assert not registry.family.unlink(linker, resident.person_id, grandma.id, reason="搬离")
    assert home.get(f"/me/print?member={grandma.id}").status_code == 403
    assert 'data-testid="no-family"' in home.get("/me").text
    assert len(audit(registry, "family.unlink", resident.person_id)) == 1


def test_the_link_follows_the_resident_to_another_grid_and_its_relation_is_sealed(
    grid_admin, home, registry, staff, resident, grandma
):
    link(grid_admin, resident.id_number, grandma.id_number)
    assert registry.persons.move(staff, resident.person_id, OTHER_GRID, reason="搬家")
    with registry.uow() as uow:
        row = uow.session.scalars(select(FamilyLinkRow)).one()
        assert row.admin_code == OTHER_GRID
        assert b"grandparent" not in row.relation_enc
    assert "王*英" in home.get("/me").text


def test_the_demo_district_has_households_with_members_without_accounts(registry):
    demo = build_demo(residents=120, places=30)
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash
    seeder = DemoSeeder(registry.uow, registry.cipher, password_hasher=cheap)
    first = seeder.seed(demo)
    assert first.families == len(demo.families) >= 2
    assert seeder.seed(demo).families == 0
    resident = next(a for a in demo.accounts if a.role is Role.RESIDENT)
    with_accounts = {a.person_index for a in demo.accounts if a.person_index is not None}
    mine = [f for f in demo.families if f.holder_index == resident.person_index]
    assert len(mine) == 2
    ages = sorted(2021 - int(demo.persons[f.member_index].form.document_number[6:10]) for f in mine)
    assert ages[0] < 10
    assert ages[1] >= 65
    assert not {f.member_index for f in demo.families} & with_accounts
    account = registry.accounts.authenticate(resident.username, resident.password)
    assert account is not None
    assert len(registry.family.members(account)) == 2


@pytest.mark.parametrize("relation", [" ", "奶奶", "Grandparent", "grandparents", "x" * 20])
def test_a_relation_not_in_the_list_is_refused_in_both_languages(
    grid_admin, registry, resident, grandma, relation
):
    answer = link(grid_admin, resident.id_number, grandma.id_number, relation=relation)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "FAMILY_RELATION_UNKNOWN"
    assert "grandparent" in error["message"]["en"]
    assert "未知的关系" in error["message"]["zh-CN"]
    assert audit(registry, "family.link", resident.person_id) == []


@pytest.mark.parametrize(
    ("relation", "zh", "en"),
    [
        ("parent", "父亲或母亲", "Parent"),
        ("child", "子女", "Child"),
        ("spouse", "配偶", "Spouse"),
        ("sibling", "兄弟姐妹", "Brother or sister"),
        ("other_relative", "其他亲属", "Other relative"),
        ("neighbour", "邻居", "Neighbour"),
        ("in_care", "受您照护的人", "In your care"),
    ],
)
def test_each_relation_of_the_list_is_shown_in_the_residents_language(
    grid_admin, home, resident, grandma, relation, zh, en
):
    answer = link(grid_admin, resident.id_number, grandma.id_number, relation=relation)
    assert answer.json()["member"]["relation_label"] == {"zh-CN": zh, "en": en}
    assert f'<span data-testid="relation">{en}</span>' in home.get("/me?lang=en").text
    assert f'<span data-testid="relation">{zh}</span>' in home.get("/me?lang=zh-CN").text


def test_a_relation_stored_as_free_text_before_the_list_is_shown_as_it_is(
    grid_admin, home, registry, resident, grandma
):
    # Links made before relations were a list hold free text (sealed): still shown.
    assert link(grid_admin, resident.id_number, grandma.id_number).status_code == 200
    with registry.uow() as uow:
        row = uow.session.scalars(select(FamilyLinkRow)).one()
        sealed = SealedFamilyLink(row.admin_code, row.holder_id, row.member_id, b"")
        row.relation_enc = seal_relation(registry.cipher, sealed, "外婆")
        uow.commit()
    for lang in ("en", "zh-CN"):
        page = home.get(f"/me?lang={lang}").text
        assert '<span data-testid="relation">外婆</span>' in page
        assert "王*英" in page


def test_linking_a_pair_again_answers_the_stored_relation(grid_admin, home, resident, grandma):
    # The pair is linked already: the answer says what is stored (and shown on /me), not the
    # relation of the request, which changes nothing.
    first = link(grid_admin, resident.id_number, grandma.id_number, "grandparent").json()
    again = link(grid_admin, resident.id_number, grandma.id_number, "neighbour")
    assert again.status_code == 200, again.text
    body = again.json()
    assert (body["created"], body["id"]) == (False, first["id"])
    assert body["member"]["relation"] == "grandparent"
    assert body["member"]["relation_label"] == {"zh-CN": "（外）祖父母", "en": "Grandparent"}
    assert '<span data-testid="relation">Grandparent</span>' in home.get("/me?lang=en").text


def unlink(client: TestClient, link_id: str, reason: str = "老人搬入养老院，家属申请解除"):
    header = {"x-csrf-token": client.cookies.get("jc_csrf") or ""}
    return client.request(
        "DELETE", f"/api/family/links/{link_id}", json={"reason": reason}, headers=header
    )


def test_the_grid_administrator_removes_a_link_by_its_id(
    grid_admin, home, registry, resident, grandma
):
    made = link(grid_admin, resident.id_number, grandma.id_number).json()
    # The id comes back from the POST, and again from a POST of the same pair.
    assert link(grid_admin, resident.id_number, grandma.id_number).json()["id"] == made["id"]
    assert home.get(f"/me/print?member={grandma.id}").status_code == 200
    answer = unlink(grid_admin, made["id"])
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"id": made["id"], "removed": True}
    assert home.get(f"/me/print?member={grandma.id}").status_code == 403
    assert 'data-testid="no-family"' in home.get("/me").text
    removals = audit(registry, "family.unlink", resident.person_id)
    assert removals == [("grid-east", "老人搬入养老院，家属申请解除")]
    again = unlink(grid_admin, made["id"])
    assert (again.status_code, again.json()["error"]["code"]) == (404, "FAMILY_LINK_UNKNOWN")
    relinked = link(grid_admin, resident.id_number, grandma.id_number).json()
    assert relinked["created"] is True
    assert relinked["id"] != made["id"]


def test_who_may_remove_a_link(settings, registry, tree, resident, grandma, grid_admin, home):
    made = link(grid_admin, resident.id_number, grandma.id_number).json()["id"]
    add_account(registry, "street-east", PASSWORD, Role.STREET_STAFF, GRID[:9])
    add_account(registry, "grid-west", PASSWORD, Role.COMMUNITY_ADMIN, OTHER_GRID[:12])
    add_account(registry, "district", PASSWORD, Role.DISTRICT_ADMIN, DISTRICT)
    with browser(settings, "street-east", PASSWORD) as street:
        assert unlink(street, made).status_code == 403
    assert unlink(home, made).status_code == 403  # the resident asks the grid administrator
    with browser(settings, "grid-west", PASSWORD) as west:
        # Another grid's link answers as an id that does not exist, in both languages.
        for link_id in (made, str(uuid4()), "not-an-id"):
            answer = unlink(west, link_id)
            assert answer.status_code == 404
            error = answer.json()["error"]
            assert error["code"] == "FAMILY_LINK_UNKNOWN"
            assert error["message"] == {
                "zh-CN": "您的辖区内没有此家人关联", "en": "No such family link in your scope"
            }  # fmt: skip
            assert link_id not in answer.text
    no_reason = unlink(grid_admin, made, reason="")
    assert no_reason.status_code == 422
    no_csrf = grid_admin.request("DELETE", f"/api/family/links/{made}", json={"reason": "x"})
    assert no_csrf.json()["error"]["code"] == "CSRF_FAILED"
    assert audit(registry, "family.unlink", resident.person_id) == []
    assert home.get(f"/me/print?member={grandma.id}").status_code == 200
    with browser(settings, "district", PASSWORD) as district:
        assert unlink(district, made).status_code == 200
    assert audit(registry, "family.unlink", resident.person_id) == [
        ("district", "老人搬入养老院，家属申请解除")
    ]


def test_links_made_before_link_ids_get_one_each(tmp_path):
    # Migration 0006: every stored link gets an id of its own, so that it can be removed.
    path = tmp_path / "old.db"
    upgrade(f"sqlite:///{path}", "0005_presentations")
    people = [uuid4().hex for _ in range(4)]
    pairs = [(people[0], m) for m in people[1:]]
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO admin_units VALUES (?, 'grid', NULL, '网格', 'Grid')", (GRID,)
        )
        connection.executemany(
            "INSERT INTO persons (admin_code, id, document_type, id_lookup, document_number_enc,"
            " name_enc, created_at) VALUES (?, ?, 'passport', ?, x'00', x'00', '2021-09-01')",
            [(GRID, p, p.encode()) for p in people],
        )
        connection.executemany(
            "INSERT INTO family_links (admin_code, holder_id, member_id, relation_enc,"
            " created_at) VALUES (?, ?, ?, ?, '2021-09-01 00:00:00')",
            [(GRID, h, m, b"sealed") for h, m in pairs],
        )
    upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as connection:
        ids = [row[0] for row in connection.execute("SELECT id FROM family_links")]
        assert len(ids) == len(set(ids)) == 3
        assert all(ids)
        with pytest.raises(sqlite3.IntegrityError):  # unique
            connection.execute("UPDATE family_links SET id = ?", (ids[0],))
        with pytest.raises(sqlite3.IntegrityError):  # not null
            connection.execute("UPDATE family_links SET id = NULL")
