"""What the entrance tells staff when something is wrong (issue 4, house rule 2): each refusal
has its stable code and, in zh-CN and en, says what to do next: the entrance page opened
on a browser that is no terminal, a revoked terminal, a document number that is not one,
a document nobody holds, a phone number that is not one."""

from __future__ import annotations

from checkpoint_factories import ADMIN, HOLDER, enroll, health_code


def test_the_entrance_page_without_a_terminal_says_where_it_is_opened_from(client):
    for lang, how in (("zh-CN", "入口链接（/entrance?token=…）"), ("en", "entrance link")):
        page = client.get(f"/entrance?lang={lang}")
        assert page.status_code == 401
        assert "DEVICE_TOKEN_MISSING" in page.text
        assert how in page.text
        assert "DEVICE_UNKNOWN" not in page.text


def test_a_revoked_terminal_is_told_to_be_enrolled_again(client, district):
    device, auth = enroll(district)
    token = auth["authorization"].removeprefix("Bearer ")
    assert client.get(f"/entrance?token={token}").status_code == 200
    assert district.server.revoke(ADMIN, device.id)
    page = client.get("/entrance?lang=en")
    assert page.status_code == 401
    assert "DEVICE_UNKNOWN" in page.text
    assert "重新登记此终端" in page.text
    assert "enroll it again" in page.text
    scanned = client.post(
        "/api/checkpoint/scan", json={"codes": [health_code(district)]}, headers=auth
    )
    assert scanned.status_code == 401
    assert "enroll it again" in scanned.json()["error"]["message"]["en"]


def test_document_errors_say_what_to_check(client, district):
    _, auth = enroll(district)

    def look_up(number: str) -> dict[str, object]:
        body = {"document_type": "resident_id_card", "number": number}
        answer = client.post("/api/checkpoint/id-document", json=body, headers=auth)
        assert answer.status_code == 400
        error: dict[str, object] = answer.json()["error"]
        return error

    wrong_digit = look_up(HOLDER.id_number[:-1] + ("0" if HOLDER.id_number[-1] != "0" else "1"))
    assert wrong_digit["code"] == "ID_NUMBER_INVALID"
    assert wrong_digit["message"] == {
        "zh-CN": "证件号码无效（居民身份证为 18 位，最后一位是校验码，数字或 X）：请核对后重新输入",
        "en": "Not a valid document number (a resident ID card has 18 characters, the last a "
        "check digit, 0-9 or X): check it and type it again",
    }
    nobody = look_up("370704200001010010")
    assert nobody["code"] == "PERSON_NOT_FOUND"
    assert "出示健康码或纸质码" in str(nobody["message"])
    assert "ask for a health code or a paper code" in str(nobody["message"])


def test_a_registration_with_a_wrong_phone_says_what_a_phone_number_is(client, district):
    _, auth = enroll(district)
    persuaded = client.post(
        "/api/checkpoint/scan", json={"codes": [health_code(district)]}, headers=auth
    ).json()["results"][0]
    assert persuaded["outcome"] == "PERSUADE"
    body = {
        "check_id": persuaded["check_id"],
        "name": "张小三",
        "id_number": HOLDER.id_number,
        "phone": "12",
        "purpose": "购物",
    }
    answer = client.post("/api/checkpoint/register", json=body, headers=auth)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "PHONE_INVALID"
    assert "5 到 20 位数字" in error["message"]["zh-CN"]
    assert "5 to 20 digits" in error["message"]["en"]
