"""Subject binding (issue 2): transliteration, the keyed ID hash, and matching credentials."""

from __future__ import annotations

import pytest

from jointcheck.credentials.model import Subject
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.subject import (
    check_id_number,
    check_together,
    same_subject,
    split_chinese_name,
    subject_from_claim,
    subject_hash,
    subject_to_claim,
    transliterate,
)
from jointcheck.errors import InputError

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
ID = "11010519491231002X"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("张三", ("ZHANG", "SAN")),
        ("王小明", ("WANG", "XIAOMING")),
        ("欧阳娜娜", ("OUYANG", "NANA")),
        ("诸葛亮", ("ZHUGE", "LIANG")),
        ("司马光", ("SIMA", "GUANG")),
        ("吕小明", ("LYU", "XIAOMING")),  # ü as YU, as Chinese passports write it
        ("单田芳", ("SHAN", "TIANFANG")),  # 单 read as a surname
        ("曾国藩", ("ZENG", "GUOFAN")),
        ("徐女", ("XU", "NYU")),
        ("Zhang San", ("ZHANG", "SAN")),
    ],
)
def test_transliteration_follows_chinese_passports(name: str, expected: tuple[str, str]) -> None:
    assert transliterate(name) == expected


def test_compound_surname_is_split_whole_but_a_two_character_name_is_not() -> None:
    assert split_chinese_name("欧阳娜娜") == ("欧阳", "娜娜")
    assert split_chinese_name("张三") == ("张", "三")
    # 欧阳 alone is surname 欧, given name 阳: a compound surname needs a given name after it.
    assert split_chinese_name("欧阳") == ("欧", "阳")


def test_id_hash_is_keyed_and_ignores_case_and_spaces() -> None:
    assert subject_hash(KEY, ID) == subject_hash(KEY, " 11010519491231002x ")
    assert subject_hash(KEY, ID) != subject_hash(OTHER_KEY, ID)
    assert len(subject_hash(KEY, ID)) == 32


def test_id_number_check_digit_is_enforced_at_issuance() -> None:
    assert check_id_number("11010519491231002x") == ID
    with pytest.raises(InputError):
        check_id_number("110105194912310021")
    with pytest.raises(InputError):
        check_id_number("1101051949")


def _ours(
    id_number: str = ID, dob: str = "1949-12-31", fnt: str = "ZHANG", gnt: str = "SAN"
) -> Subject:
    return Subject(dob=dob, fnt=fnt, gnt=gnt, id_hash=subject_hash(KEY, id_number).hex())


def test_our_credentials_match_on_the_id_hash() -> None:
    assert same_subject(_ours(), _ours())
    assert not same_subject(_ours(), _ours(id_number="110105194912310011"))
    # Same hash but the holder's name written differently is still one person.
    assert same_subject(_ours(), _ours(gnt="SAN<"))


def test_foreign_credentials_match_on_dob_and_transliterated_name() -> None:
    foreign = Subject(dob="1949-12-31", fnt="ZHANG", gnt="SAN")
    assert same_subject(_ours(), foreign)
    assert same_subject(
        _ours(gnt="XIAOMING"), Subject(dob="1949-12-31", fnt="ZHANG", gnt="XIAO<MING")
    )
    assert same_subject(_ours(), Subject(dob="1949", fnt="zhang", gnt="san"))  # partial dob
    assert not same_subject(_ours(), Subject(dob="1950-12-31", fnt="ZHANG", gnt="SAN"))
    assert not same_subject(_ours(), Subject(dob="1949-12-31", fnt="ZHAO", gnt="SAN"))
    assert not same_subject(_ours(), Subject(dob="", fnt="ZHANG", gnt="SAN"))


def test_check_together_reports_subject_mismatch() -> None:
    foreign = Subject(dob="1949-12-31", fnt="ZHANG", gnt="SAN")
    assert check_together([_ours(), _ours(), foreign]) is Reason.OK
    assert (
        check_together([_ours(), _ours(id_number="110105194912310011")]) is Reason.SUBJECT_MISMATCH
    )
    assert (
        check_together([_ours(), Subject(dob="1949-12-31", fnt="LI", gnt="SI")])
        is Reason.SUBJECT_MISMATCH
    )
    assert check_together([_ours()]) is Reason.OK


def test_subject_claim_round_trips_and_rejects_malformed_claims() -> None:
    subject = _ours()
    assert subject_from_claim(subject_to_claim(subject)) == subject
    assert subject_from_claim({2: "1990", 3: "LI"}) == Subject(dob="1990", fnt="LI", gnt="")
    assert subject_from_claim({2: 1990, 3: "LI"}) is None
    assert subject_from_claim({1: b"short", 2: "1990", 3: "LI"}) is None
    assert subject_from_claim(["not", "a", "map"]) is None
