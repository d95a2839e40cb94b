"""The family page /family (R14): the grid administrator finds a resident by ID document, sees
their links masked with the relation in the page's language, links a family member without a
phone and removes a link, through the service the API calls: the same scope, reason codes and
audit entries. No document number is ever shown or put in a URL (house rule 4)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from test_family import GRID, OTHER_GRID, PASSWORD, Person, audit, browser, enroll, link

from jointcheck.registry.family import STAFF_LIST_REASON
from jointcheck.security.roles import Role
from web_factories import DISTRICT, add_account, add_resident, csrf_of

REASON = "家属申请，网格员核实户籍"


@pytest.fixture
def staff(principal):
    return principal(Role.HEALTH_AUTHORITY)


@pytest.fixture
def resident(registry, tree, staff):
    return add_resident(registry, staff, GRID)


@pytest.fixture
def grandma(registry, tree, staff) -> Person:
    return enroll(registry, staff, "王秀英", date(1945, 3, 8), 201)


@pytest.fixture
def grid_admin(settings, registry, tree) -> Iterator[TestClient]:
    add_account(registry, "grid-east", PASSWORD, Role.COMMUNITY_ADMIN, GRID[:12])
    with browser(settings, "grid-east", PASSWORD) as client:
        yield client


def post(client: TestClient, path: str, data: dict[str, str], lang: str = "en") -> Response:
    token = csrf_of(client.get(f"/family?lang={lang}").text)
    return client.post(
        f"{path}?lang={lang}", data={**data, "csrf_token": token}, follow_redirects=False
    )


def find(client: TestClient, number: str, lang: str = "en") -> Response:
    return post(client, "/family", {"document_type": "resident_id_card", "number": number}, lang)


def add(client: TestClient, resident_id: str, number: str, relation: str = "grandparent",
        reason: str = REASON) -> Response:  # fmt: skip
    return post(client, "/family/links", {"resident": resident_id, "number": number,
                                          "relation": relation, "reason": reason})  # fmt: skip


def error_code(answer: Response) -> str:
    marker = 'data-testid="family-error" data-code="'
    assert marker in answer.text, answer.text[:400]
    return answer.text.split(marker, 1)[1].split('"', 1)[0]


def test_the_grid_administrator_links_and_removes_a_member_from_the_page(
    grid_admin, registry, resident, grandma
):
    found = find(grid_admin, resident.id_number)
    assert found.status_code == 303
    target = found.headers["location"]
    assert target == f"/family?resident={resident.person_id}"
    page = grid_admin.get(f"{target}&lang=en").text
    assert "Resident 张*三" in page
    assert 'data-testid="no-links"' in page
    assert audit(registry, "personal_data.read_masked", resident.person_id)[-1] == (
        "grid-east", STAFF_LIST_REASON,
    )  # fmt: skip

    added = add(grid_admin, str(resident.person_id), grandma.id_number)
    assert added.status_code == 303, added.text
    page = grid_admin.get(added.headers["location"] + "&lang=en").text
    assert "王*英 (Grandparent) is linked to the resident." in page
    assert '<span data-testid="member-name">王*英</span>' in page
    assert '<span data-testid="relation">Grandparent</span>' in page
    zh = grid_admin.get(f"{target}&lang=zh-CN").text
    assert '<span data-testid="relation">（外）祖父母</span>' in zh
    assert audit(registry, "family.link", resident.person_id) == [("grid-east", REASON)]
    for secret in (resident.id_number, grandma.id_number, resident.name, grandma.name):
        assert secret not in page
        assert secret not in zh
        assert secret not in added.headers["location"]

    again = add(grid_admin, str(resident.person_id), grandma.id_number, relation="neighbour")
    again_page = grid_admin.get(again.headers["location"] + "&lang=en").text
    assert "王*英 was linked to the resident already, as &#34;Grandparent&#34;." in again_page
    assert len(audit(registry, "family.link", resident.person_id)) == 1

    link_id = page.split('data-testid="family-link" data-link-id="', 1)[1].split('"', 1)[0]
    removed = post(grid_admin, "/family/unlink",
                   {"resident": str(resident.person_id), "link_id": link_id, "reason": "搬离"})  # fmt: skip
    assert removed.status_code == 303
    page = grid_admin.get(removed.headers["location"] + "&lang=en").text
    assert "The link is removed." in page
    assert 'data-testid="no-links"' in page
    assert audit(registry, "family.unlink", resident.person_id) == [("grid-east", "搬离")]


def test_refusals_carry_the_apis_codes_in_the_pages_language(
    settings, registry, staff, grid_admin, resident, grandma
):
    stranger = enroll(registry, staff, "赵六", date(1948, 1, 1), 301, grid=OTHER_GRID)
    unknown = find(grid_admin, "370704194503080000", lang="zh-CN")
    assert (unknown.status_code, error_code(unknown)) == (400, "FAMILY_PERSON_UNKNOWN")
    assert "您的辖区内没有持此证件的人" in unknown.text
    # Another community's resident is as unknown as no one, on the search and by id.
    other = find(grid_admin, stranger.id_number)
    assert (other.status_code, error_code(other)) == (400, "FAMILY_PERSON_UNKNOWN")
    assert "No person with this document in your scope" in other.text
    by_id = grid_admin.get(f"/family?resident={stranger.id}")
    assert (by_id.status_code, error_code(by_id)) == (404, "FAMILY_PERSON_UNKNOWN")
    assert "赵*" not in by_id.text

    holder = str(resident.person_id)
    cases = {
        "FAMILY_RELATION_UNKNOWN": add(grid_admin, holder, grandma.id_number, relation="奶奶"),
        "AUDIT_REASON_REQUIRED": add(grid_admin, holder, grandma.id_number, reason=" "),
        "FAMILY_SELF": add(grid_admin, holder, resident.id_number),
        "FAMILY_PERSON_UNKNOWN": add(grid_admin, holder, stranger.id_number),
    }
    for code, answer in cases.items():
        assert (answer.status_code, error_code(answer)) == (400, code)
        # The resident's page is shown again with the refusal, the number not repeated.
        assert "Resident 张*三" in answer.text
        assert grandma.id_number not in answer.text
    assert audit(registry, "family.link", resident.person_id) == []

    add_account(registry, "grid-west", PASSWORD, Role.COMMUNITY_ADMIN, OTHER_GRID[:12])
    made = link(grid_admin, resident.id_number, grandma.id_number).json()["id"]
    with browser(settings, "grid-west", PASSWORD) as west:
        for link_id in (made, str(uuid4()), "not-an-id"):
            answer = post(west, "/family/unlink",
                          {"resident": str(stranger.id), "link_id": link_id, "reason": "x"})  # fmt: skip
            assert (answer.status_code, error_code(answer)) == (404, "FAMILY_LINK_UNKNOWN")
            assert "No such family link in your scope" in answer.text
    no_reason = post(grid_admin, "/family/unlink",
                     {"resident": str(resident.person_id), "link_id": made, "reason": ""})  # fmt: skip
    assert (no_reason.status_code, error_code(no_reason)) == (400, "AUDIT_REASON_REQUIRED")
    assert audit(registry, "family.unlink", resident.person_id) == []


def test_who_reaches_the_page_and_its_forms(settings, registry, tree, staff, grid_admin, resident):
    add_account(registry, "street-east", PASSWORD, Role.STREET_STAFF, GRID[:9])
    add_account(registry, "district", PASSWORD, Role.DISTRICT_ADMIN, DISTRICT)
    assert 'href="/family"' in grid_admin.get("/devices").text  # in the navigation
    with browser(settings, "district", PASSWORD) as district:
        assert find(district, resident.id_number).status_code == 303
        assert 'href="/family"' in district.get("/").text
    with browser(settings, "street-east", PASSWORD) as street:
        assert street.get("/family").status_code == 403
        assert 'href="/family"' not in street.get("/").text
    with browser(settings, resident.username, resident.password) as home:
        assert home.get("/family").status_code == 403
    anonymous = TestClient(grid_admin.app)
    assert anonymous.get("/family", follow_redirects=False).headers["location"].startswith("/login")
    forged = grid_admin.post(
        "/family", data={"number": resident.id_number, "csrf_token": "x"}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert "CSRF_FAILED" in forged.text
