"""GB 11643-1999 resident ID numbers and the other documents (R14), reason by reason."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jointcheck.security.idcard import (
    MESSAGES,
    DocumentType,
    IdReason,
    Sex,
    check_digit,
    check_document,
    check_resident_id,
    make_resident_id,
)

TODAY = date(2021, 9, 1)
# The worked example of GB 11643-1999 (appendix): 11010519491231002X.
STANDARD_EXAMPLE = "11010519491231002X"


def test_the_standard_worked_example_is_valid_with_its_x_check_character():
    result = check_resident_id(STANDARD_EXAMPLE, TODAY)
    assert result.ok
    assert result.birth_date == date(1949, 12, 31)
    assert result.sex is Sex.FEMALE  # 17th digit 2: even
    assert result.region == "110105"


def test_a_lower_case_x_and_spaces_are_accepted_and_normalised():
    result = check_resident_id(" 110105 19491231 002x ", TODAY)
    assert result.ok
    assert result.number == STANDARD_EXAMPLE


def test_sex_is_read_from_the_seventeenth_digit():
    man = make_resident_id("370704", date(1990, 5, 6), 123)
    woman = make_resident_id("370704", date(1990, 5, 6), 124)
    assert check_resident_id(man, TODAY).sex is Sex.MALE
    assert check_resident_id(woman, TODAY).sex is Sex.FEMALE


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("3707041990050612", IdReason.ID_LENGTH),
        ("3707041990050612345", IdReason.ID_LENGTH),
        ("37070419900506A23X", IdReason.ID_CHARACTERS),
        ("37070419900506123Y", IdReason.ID_CHARACTERS),
        ("990704199005061231", IdReason.ID_REGION),
        ("370704199002301231", IdReason.ID_BIRTH_DATE),  # 30 February
        ("370704203001011231", IdReason.ID_BIRTH_DATE),  # born after today
        ("370704189901011231", IdReason.ID_BIRTH_DATE),  # before 1900
    ],
)
def test_each_malformed_number_gets_its_own_reason(number, reason):
    assert check_resident_id(number, TODAY).reason is reason


def test_a_wrong_check_digit_is_reported_as_such():
    good = make_resident_id("370704", date(1990, 5, 6), 123)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    result = check_resident_id(wrong, TODAY)
    assert result.reason is IdReason.ID_CHECK_DIGIT
    assert not result.ok
    assert result.birth_date is None


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    sequence=st.integers(min_value=0, max_value=999),
    position=st.integers(min_value=0, max_value=16),
    delta=st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_typo_is_caught(born, sequence, position, delta):
    # ISO 7064 MOD 11-2 detects every single-digit substitution.
    number = make_resident_id("370704", born, sequence)
    digit = (int(number[position]) + delta) % 10
    typo = number[:position] + str(digit) + number[position + 1 :]
    assert check_digit(typo[:17]) != typo[17]
    assert not check_resident_id(typo, TODAY).ok


@pytest.mark.parametrize(
    ("kind", "number", "ok"),
    [
        (DocumentType.PASSPORT, "E12345678", True),
        (DocumentType.PASSPORT, "AB1", False),
        (DocumentType.HK_MACAO_PERMIT, "H12345678", True),
        (DocumentType.HK_MACAO_PERMIT, "X12345678", False),
        (DocumentType.TAIWAN_PERMIT, "12345678", True),
        (DocumentType.TAIWAN_PERMIT, "1234", False),
    ],
)
def test_other_documents_are_checked_for_shape(kind, number, ok):
    result = check_document(kind.value, number, TODAY)
    assert result.ok is ok
    assert result.reason is (IdReason.OK if ok else IdReason.ID_DOCUMENT_FORMAT)
    assert result.birth_date is None


def test_an_unknown_document_type_is_an_outcome_not_a_crash():
    assert check_document("library_card", "123", TODAY).reason is IdReason.ID_DOCUMENT_TYPE


def test_every_reason_has_a_chinese_and_an_english_message():
    assert set(MESSAGES) == set(IdReason)
    for zh, en in MESSAGES.values():
        assert zh
        assert en
        assert not zh.isascii()
        assert en.isascii()
    wrong = check_resident_id("370704199005061230", TODAY)
    assert "校验位" in wrong.message("zh_CN")
    assert "check digit" in wrong.message("en")
