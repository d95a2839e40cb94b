"""Identity documents: the resident ID card number (GB 11643-1999) and the others we accept.

A resident ID number has 18 characters: a 6-digit GB/T 2260 region code, the date of birth
(YYYYMMDD), a 3-digit sequence whose last digit is odd for men and even for women, and a
check character computed with ISO 7064 MOD 11-2 (weights 2^(17-i) mod 11; ``X`` stands for
10). People without one (foreign residents, visitors from Hong Kong, Macao or Taiwan) show a
passport or a travel permit, checked for shape only (R14: no one is left out).

Outcomes are values (house rule 1): ``check_document`` returns an ``IdCheck`` carrying one
reason code, each with a zh-CN and an en message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from jointcheck.credentials.subject import normalise_id_number


class DocumentType(StrEnum):
    RESIDENT_ID_CARD = "resident_id_card"
    PASSPORT = "passport"
    HK_MACAO_PERMIT = "hk_macao_permit"  # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class IdReason(StrEnum):
    OK = "OK"
    ID_LENGTH = "ID_LENGTH"
    ID_CHARACTERS = "ID_CHARACTERS"
    ID_REGION = "ID_REGION"
    ID_BIRTH_DATE = "ID_BIRTH_DATE"
    ID_CHECK_DIGIT = "ID_CHECK_DIGIT"
    ID_DOCUMENT_FORMAT = "ID_DOCUMENT_FORMAT"
    ID_DOCUMENT_TYPE = "ID_DOCUMENT_TYPE"


MESSAGES: dict[IdReason, tuple[str, str]] = {
    IdReason.OK: ("证件号码有效", "Valid document number"),
    IdReason.ID_LENGTH: (
        "居民身份证号码应为18位",
        "A resident ID number has 18 characters",
    ),
    IdReason.ID_CHARACTERS: (
        "居民身份证号码前17位应为数字，最后一位为数字或X",
        "A resident ID number has 17 digits and a final digit or X",
    ),
    IdReason.ID_REGION: (
        "居民身份证号码的地区代码无效",
        "The region code of the resident ID number does not exist",
    ),
    IdReason.ID_BIRTH_DATE: (
        "居民身份证号码中的出生日期无效",
        "The date of birth in the resident ID number is not a valid date",
    ),
    IdReason.ID_CHECK_DIGIT: (
        "居民身份证号码校验位错误，请核对后重新输入",
        "The check digit of the resident ID number is wrong: check the number and retype it",
    ),
    IdReason.ID_DOCUMENT_FORMAT: (
        "证件号码格式不正确",
        "The document number does not have the shape of this document type",
    ),
    IdReason.ID_DOCUMENT_TYPE: ("不支持的证件类型", "Unsupported identity document type"),
}

# First two digits of GB/T 2260 region codes: provinces, autonomous regions, municipalities,
# Taiwan (71), Hong Kong (81), Macao (82), and 83 of the residence permits for Taiwan residents.
PROVINCES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
        "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
        "63", "64", "65", "71", "81", "82", "83",
    }
)  # fmt: skip

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # ISO 7064 MOD 11-2
_CHECK = "10X98765432"
_LENGTH = 18
_EARLIEST_BIRTH = date(1900, 1, 1)
_SHAPES = {
    DocumentType.PASSPORT: re.compile(r"[A-Z0-9]{5,17}"),
    DocumentType.HK_MACAO_PERMIT: re.compile(r"[HM]\d{8}(\d{2})?"),
    DocumentType.TAIWAN_PERMIT: re.compile(r"\d{8}|\d{10}[A-Z]?"),
}


@dataclass(frozen=True, slots=True)
class IdCheck:
    """The outcome of checking one document number; ``number`` is normalised."""

    reason: IdReason
    document_type: DocumentType
    number: str
    birth_date: date | None = None
    sex: Sex | None = None
    region: str = ""

    @property
    def ok(self) -> bool:
        return self.reason is IdReason.OK

    def message(self, locale: str = "zh_CN") -> str:
        zh, en = MESSAGES[self.reason]
        return zh if locale.startswith("zh") else en


def check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def _birth_date(digits: str, today: date) -> date | None:
    try:
        born = date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None
    return born if _EARLIEST_BIRTH <= born <= today else None


def check_resident_id(number: str, today: date) -> IdCheck:
    """Check a resident ID number; ``today`` bounds the date of birth (no one is born later)."""
    kind = DocumentType.RESIDENT_ID_CARD
    norm = normalise_id_number(number)
    if len(norm) != _LENGTH:
        return IdCheck(IdReason.ID_LENGTH, kind, norm)
    if not norm[:17].isdigit() or not (norm[17].isdigit() or norm[17] == "X"):
        return IdCheck(IdReason.ID_CHARACTERS, kind, norm)
    if norm[:2] not in PROVINCES:
        return IdCheck(IdReason.ID_REGION, kind, norm)
    born = _birth_date(norm[6:14], today)
    if born is None:
        return IdCheck(IdReason.ID_BIRTH_DATE, kind, norm)
    if check_digit(norm[:17]) != norm[17]:
        return IdCheck(IdReason.ID_CHECK_DIGIT, kind, norm)
    sex = Sex.MALE if int(norm[16]) % 2 else Sex.FEMALE
    return IdCheck(IdReason.OK, kind, norm, birth_date=born, sex=sex, region=norm[:6])


def check_document(document_type: str, number: str, today: date) -> IdCheck:
    """Check any accepted document; only the resident ID card carries a birth date and sex."""
    try:
        kind = DocumentType(document_type)
    except ValueError:
        return IdCheck(IdReason.ID_DOCUMENT_TYPE, DocumentType.PASSPORT, "")
    if kind is DocumentType.RESIDENT_ID_CARD:
        return check_resident_id(number, today)
    norm = normalise_id_number(number)
    if not _SHAPES[kind].fullmatch(norm):
        return IdCheck(IdReason.ID_DOCUMENT_FORMAT, kind, norm)
    return IdCheck(IdReason.OK, kind, norm)


def make_resident_id(region: str, birth_date: date, sequence: int) -> str:
    """A well-formed number (for synthetic demo people); ``sequence`` odd for men, even for women."""
    first17 = f"{region}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)
