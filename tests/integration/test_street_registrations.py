"""The street's list of registrations (R3, R5, R6) on SQLite and PostgreSQL: who reads it,
what it shows (masked), the audit of every read and export, the Excel file, and the purge
after the retention days with the counts kept."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from checkpoint_factories import HOLDER, District, enroll, health_code
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from jointcheck.api.street_registrations import EXPORT_REASON, LIST_REASON
from jointcheck.security.roles import Role
from jointcheck.store.models import AuditRow
from web_factories import add_account, sign_in

STREET_1, STREET_2 = "370704001", "370704002"
DAY = "2021-09-06"  # NOW in Fangzi (checkpoint_factories)
PHONE = "13812345678"
API = f"/api/streets/{STREET_1}/registrations"

# account name -> (role, scope)
ACCOUNTS = {
    "street1": (Role.STREET_STAFF, STREET_1),
    "street2": (Role.STREET_STAFF, STREET_2),
    "admin": (Role.DISTRICT_ADMIN, "370704"),
    "health": (Role.HEALTH_AUTHORITY, "370704"),
    "grid1": (Role.COMMUNITY_ADMIN, "370704001001"),
}


def signed_in(district: District, client: TestClient, username: str) -> TestClient:
    role, scope = ACCOUNTS[username]
    add_account(district.registry, username, f"pw-{username}-long", role, scope)
    assert sign_in(client, username, f"pw-{username}-long").status_code == 303
    return client


def registered_at_the_mall(client: TestClient, district: District, purpose: str = "购物") -> str:
    """HOLDER persuaded at the mall's north entrance (street 1) and registered: the check id."""
    _, auth = enroll(district)
    persuade = client.post(
        "/api/checkpoint/scan", json={"codes": [health_code(district)]}, headers=auth
    ).json()["results"][0]
    assert persuade["outcome"] == "PERSUADE"
    body = {
        "check_id": persuade["check_id"],
        "name": HOLDER.name,
        "id_number": HOLDER.id_number,
        "phone": PHONE,
        "purpose": purpose,
    }
    answer = client.post("/api/checkpoint/register", json=body, headers=auth)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["result"]["check_id"])


def in_clear(data: bytes | str) -> list[str]:
    text = data if isinstance(data, str) else data.decode("utf-8", errors="ignore")
    return [v for v in (HOLDER.name, HOLDER.id_number, PHONE) if v in text]


def audit_rows(district: District, action: str) -> list[AuditRow]:
    with district.registry.uow() as uow:
        rows = list(uow.session.scalars(select(AuditRow).where(AuditRow.action == action)))
        uow.session.expunge_all()  # read after the unit of work has closed
        return rows


def test_street_staff_see_their_street_s_registrations_masked_and_each_read_is_audited(
    client, district
):
    check_id = registered_at_the_mall(client, district)
    staff = signed_in(district, client, "street1")
    answer = staff.get(API, params={"day": DAY})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["street_code"] == STREET_1
    assert body["street_name"] == {"zh-CN": "坊安街道", "en": "Fang'an"}
    [entry] = body["registrations"]
    assert entry | {"id": "", "at": ""} == {
        "id": "",
        "at": "",
        "place_id": district.place_id,
        "place_name": "百货大楼",
        "entrance": "north",
        "name": "张*三",
        "id_number": "1101**********002X",
        "phone": "138****5678",
        "purpose": "购物",
        "outcome": "ADMIT_REGISTERED",
        "reasons": entry["reasons"],
    }
    assert "REGISTERED" in entry["reasons"]
    assert entry["at"].startswith("2021-09-06T02:00")
    assert body["counts"] == [
        {
            "day": DAY,
            "place_id": district.place_id,
            "place_name": "百货大楼",
            "registrations": 1,
            "registered": 1,
            "listed": 1,
            "purged": 0,
        }
    ]
    assert in_clear(answer.text) == []
    [read] = audit_rows(district, "personal_data.read_masked")
    assert (read.subject_kind, read.subject_id) == ("registration", entry["id"])
    assert (read.actor_username, read.reason) == ("street1", LIST_REASON)
    assert read.admin_code == "370704001001"  # the place's community: the log is sharded so
    assert check_id  # the registered check is the one listed (its outcome and reasons above)
    # Reading again is audited again: every read leaves its entry.
    assert staff.get(API).status_code == 200  # today, by default
    assert len(audit_rows(district, "personal_data.read_masked")) == 2


@pytest.mark.parametrize(
    ("username", "status"),
    [("street2", 404), ("grid1", 403), ("admin", 200), ("health", 200)],
)
def test_only_the_street_and_the_district_office_read_a_street_s_list(
    client, district, username, status
):
    registered_at_the_mall(client, district)
    caller = signed_in(district, client, username)
    answer = caller.get(API, params={"day": DAY})
    assert answer.status_code == status, answer.text
    if status != 200:
        assert "百货大楼" not in answer.text
        assert audit_rows(district, "personal_data.read_masked") == []
    else:
        assert [e["name"] for e in answer.json()["registrations"]] == ["张*三"]


def test_a_street_outside_the_tree_or_a_malformed_code_is_not_found(client, district):
    admin = signed_in(district, client, "admin")
    assert admin.get("/api/streets/370704099/registrations").status_code == 404
    assert admin.get("/api/streets/370704001001/registrations").status_code == 422
    assert admin.get("/api/streets/370705001/registrations").status_code == 404
    anonymous = TestClient(client.app)
    assert anonymous.get(API).status_code == 401


def test_a_span_is_at_most_the_retention_days_and_bad_spans_have_a_code(client, district):
    staff = signed_in(district, client, "street1")
    long = staff.get(API, params={"from": "2021-08-01", "to": "2021-09-06"})
    assert long.status_code == 400
    error = long.json()["error"]
    assert error["code"] == "REGISTRATIONS_SPAN_TOO_LONG"
    assert set(error["message"]) == {"zh-CN", "en"}
    assert "retention" in error["message"]["en"]
    backwards = staff.get(API, params={"from": "2021-09-06", "to": "2021-09-01"})
    assert backwards.status_code == 400
    assert backwards.json()["error"]["code"] == "REGISTRATIONS_DAYS"
    assert set(backwards.json()["error"]["message"]) == {"zh-CN", "en"}
    both = staff.get(API, params={"day": DAY, "from": DAY})
    assert both.json()["error"]["code"] == "REGISTRATIONS_DAYS"
    ok = staff.get(API, params={"from": "2021-08-10", "to": "2021-09-06"})
    assert ok.status_code == 200, ok.text
    assert (ok.json()["from"], ok.json()["to"]) == ("2021-08-10", "2021-09-06")


def test_purged_registrations_leave_the_list_and_their_counts_stay(client, district):
    registered_at_the_mall(client, district)
    signed_in(district, TestClient(client.app), "street1")

    def staff_now() -> TestClient:
        # A session of its own each time the clock moves on (sign-ins expire in days).
        fresh = TestClient(client.app)
        assert sign_in(fresh, "street1", "pw-street1-long").status_code == 303
        return fresh

    district.clock[0] += timedelta(days=28)
    kept = staff_now().get(API, params={"day": DAY}).json()
    assert len(kept["registrations"]) == 1  # the 28th day after is the last one kept
    district.clock[0] += timedelta(days=1)
    # Past its retention: not listed even before the daily purge has deleted it ...
    staff = staff_now()
    gone = staff.get(API, params={"day": DAY}).json()
    assert gone["registrations"] == []
    assert gone["total"] == {"registrations": 1, "purged": 1}
    # ... and after it, the same.
    assert district.server.purge() == 1
    after = staff.get(API, params={"day": DAY}).json()
    assert after["registrations"] == []
    assert after["counts"][0] | {"place_name": ""} == {
        "day": DAY,
        "place_id": district.place_id,
        "place_name": "",
        "registrations": 1,
        "registered": 1,
        "listed": 0,
        "purged": 1,
    }
    page = staff.get("/registrations", params={"day": DAY, "lang": "en"})
    assert "1 registrations are past their 28 days of retention" in page.text
    assert 'data-testid="no-registrations"' in page.text


def test_the_page_shows_the_day_masked_in_both_languages(client, district):
    registered_at_the_mall(client, district, purpose="探望老人")
    staff = signed_in(district, client, "street1")
    for lang, words in (("zh-CN", ("登记名单", "登记后通过")), ("en", ("Registrations", "ADMIT"))):
        page = staff.get("/registrations", params={"lang": lang})  # today, by default
        assert page.status_code == 200, page.text
        for word in words:
            assert word in page.text
        assert "张*三" in page.text
        assert "1101**********002X" in page.text
        assert "138****5678" in page.text
        assert "探望老人" in page.text
        assert 'href="/registrations"' in page.text  # in the navigation
        assert in_clear(page.text) == []
    other = staff.get("/registrations", params={"street": STREET_2})
    assert other.status_code == 404
    assert "凤凰街道" not in other.text


def test_the_district_office_chooses_a_street_and_others_have_no_link(client, district):
    registered_at_the_mall(client, district)
    admin = signed_in(district, client, "admin")
    page = admin.get("/registrations", params={"street": STREET_2, "day": DAY})
    assert page.status_code == 200
    assert "凤凰街道" in page.text
    assert 'data-testid="no-registrations"' in page.text
    first = admin.get("/registrations", params={"day": DAY})
    assert "张*三" in first.text  # street 1 first, by code
    grid = TestClient(client.app)
    signed_in(district, grid, "grid1")
    assert 'href="/registrations"' not in grid.get("/").text
    assert grid.get("/registrations").status_code == 403


def test_the_excel_export_opens_holds_masked_values_only_and_is_audited(client, district):
    registered_at_the_mall(client, district)
    staff = signed_in(district, client, "street1")
    answer = staff.get("/registrations/export", params={"day": DAY})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert f"registrations-{STREET_1}-{DAY}.xlsx" in answer.headers["content-disposition"]
    book = load_workbook(io.BytesIO(answer.content))
    sheet = book.worksheets[0]
    title = str(sheet["A1"].value)
    assert "坊安街道" in title
    assert DAY in title
    assert [c.value for c in sheet[2]][:4] == ["时间", "场所", "入口", "姓名"]
    assert [c.value for c in sheet[3]][:4] == ["Time", "Place", "Entrance", "Name"]
    row = [c.value for c in sheet[4]]
    assert row[:7] == [
        "2021-09-06 10:00",
        "百货大楼",
        "north",
        "张*三",
        "1101**********002X",
        "138****5678",
        "购物",
    ]
    assert sheet.column_dimensions["E"].width >= 20
    counts = book.worksheets[1]
    assert [c.value for c in counts[4]][:3] == [DAY, "百货大楼", 1]
    with zipfile.ZipFile(io.BytesIO(answer.content)) as parts:
        for name in parts.namelist():
            assert in_clear(parts.read(name)) == [], name
    [export] = audit_rows(district, "registrations.export")
    assert (export.subject_id, export.actor_username) == (STREET_1, "street1")
    assert '"rows": 1' in export.detail
    [read] = audit_rows(district, "personal_data.read_masked")
    assert read.reason == EXPORT_REASON


def test_the_search_for_values_in_clear_can_fail():
    assert in_clear(f"{HOLDER.name} {PHONE}".encode()) == [HOLDER.name, PHONE]
    assert in_clear("张*三 1101**********002X 138****5678") == []
