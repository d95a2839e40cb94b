"""The subject claim: who a credential we issue is about, and binding credentials together.

Every credential our district issues (health code, EU DCC vaccination certificate,
contraindication certificate) carries the same subject claim under the private CWT claim key
``SUBJECT_CLAIM`` (-70001, in the private-use range below -65536 of RFC 8392 section 9.1, and
outside the DCC's ``-260`` so that the DCC payload stays schema-valid):

    {1: id_hash (bstr, HMAC-SHA256 of the resident ID number under the district subject key),
     2: dob (tstr, ISO 8601), 3: fnt (tstr), 4: gnt (tstr)}

Names are transliterated as ICAO 9303 does for a Chinese passport: the pinyin of the name,
without tones, upper case, the surname in ``fnt`` and the given name in ``gnt`` written as one
word (张三 -> ZHANG / SAN, 欧阳娜娜 -> OUYANG / NANA). ``ü`` is written ``YU`` as Chinese
passports do (吕 -> LYU, 女 -> NYU); after j, q, x and y the pinyin already writes it ``u``.
Surnames with a reading of their own (单 SHAN, 曾 ZENG, 解 XIE...) are read as surnames.

Credentials presented together must be about one person (issue 2, subject binding): ours
agree on ``id_hash``; a foreign DCC or SMART Health Card, which has no ``id_hash``, is matched
on the date of birth and the transliterated name. A disagreement is SUBJECT_MISMATCH.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

from jointcheck.credentials.model import Subject
from jointcheck.credentials.reasons import Reason
from jointcheck.errors import InputError

SUBJECT_CLAIM = -70001
_ID_HASH, _DOB, _FNT, _GNT = 1, 2, 3, 4
ID_HASH_BYTES = 32

# Two-character surnames (复姓) that are split off as a whole.
COMPOUND_SURNAMES = frozenset(
    {
        "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
        "宇文", "司徒", "司空", "令狐", "夏侯", "轩辕", "端木", "独孤", "南宫", "西门",
        "万俟", "闻人", "澹台", "公冶", "宗政", "濮阳", "太史", "申屠", "钟离", "赫连",
        "呼延", "百里", "东郭", "第五", "拓跋", "羊舌", "微生", "梁丘", "左丘", "谷梁",
        "单于",
    }
)  # fmt: skip

# Surnames whose reading differs from the character's most common one.
SURNAME_READINGS: Mapping[str, str] = {
    "单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "区": "ou", "朴": "piao",
    "查": "zha", "覃": "qin", "乐": "yue", "盖": "ge", "缪": "miao", "种": "chong",
    "黑": "he", "翟": "zhai", "召": "shao", "冼": "xian", "秘": "bi", "繁": "po",
    "员": "yun", "折": "she", "尉迟": "yuchi", "万俟": "moqi", "长孙": "zhangsun",
    "令狐": "linghu", "单于": "chanyu", "柏": "bai", "纪": "ji", "重": "chong",
    "隗": "wei", "句": "gou", "莘": "shen", "那": "na", "过": "guo", "祭": "zhai",
}  # fmt: skip

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_LENGTH = 18


def normalise_id_number(id_number: str) -> str:
    """Resident ID number as hashed: no spaces, check character ``X`` upper case."""
    return "".join(id_number.split()).upper()


def check_id_number(id_number: str) -> str:
    """The normalised 18-character resident ID number (GB 11643-1999), or InputError."""
    number = normalise_id_number(id_number)
    if len(number) != _ID_LENGTH or not number[:17].isdigit():
        raise InputError("resident ID number must have 18 characters", code="ID_NUMBER_INVALID")
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != number[17]:
        raise InputError("resident ID number check digit is wrong", code="ID_NUMBER_INVALID")
    return number


def subject_hash(key: bytes, id_number: str) -> bytes:
    """HMAC-SHA256 of the normalised ID number under the district subject key.

    Keyed, so that the hash cannot be reversed by enumerating the (small) ID number space
    without the district key (R6).
    """
    return hmac.new(key, normalise_id_number(id_number).encode("ascii"), hashlib.sha256).digest()


def split_chinese_name(name: str) -> tuple[str, str]:
    """张三 -> (张, 三); 欧阳娜娜 -> (欧阳, 娜娜); a one-character name is all surname."""
    name = "".join(name.split())
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:  # noqa: PLR2004 - 复姓 + a given name
        return name[:2], name[2:]
    return name[:1], name[1:]


def _pinyin(text: str) -> list[str]:
    # pypinyin's dictionaries take about 55 MB and 0.4 s to load: only issuance needs them,
    # so a verifier (subject matching, claim parsing) never pays for them.
    from pypinyin import Style, lazy_pinyin

    syllables: list[str] = lazy_pinyin(text, style=Style.NORMAL)
    return syllables


def _icao_syllables(syllables: Sequence[str]) -> str:
    # pypinyin writes ü as "v" in Style.NORMAL; Chinese passports write it "YU" (LYU, NYU).
    return "".join(s.replace("v", "yu") for s in syllables).upper()


def _surname_pinyin(surname: str) -> list[str]:
    if surname in SURNAME_READINGS:
        return [SURNAME_READINGS[surname]]
    return [SURNAME_READINGS.get(ch) or _pinyin(ch)[0] for ch in surname]


def transliterate(name: str) -> tuple[str, str]:
    """The ICAO 9303 transliteration of a Chinese name: 张三 -> (ZHANG, SAN).

    A name already in Latin letters is split on its first space (family name first, as
    Chinese names are written) and normalised as ``normalise_name`` does.
    """
    name = name.strip()
    if name.isascii():
        family, _, given = name.partition(" ")
        return normalise_name(family), normalise_name(given)
    surname, given = split_chinese_name(name)
    fnt = _icao_syllables(_surname_pinyin(surname))
    gnt = _icao_syllables(_pinyin(given)) if given else ""
    return fnt, gnt


def normalise_name(name: str) -> str:
    """Upper case A-Z only: DCC ``<`` separators, spaces, hyphens and accents removed.

    ``XIAO<MING``, ``Xiao Ming`` and ``XIAOMING`` compare equal; a foreign name's accents are
    dropped (``Müller`` -> ``MULLER``), which is what a matcher needs, not a transliteration.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed.upper() if "A" <= ch <= "Z")


def _dob_agrees(a: str, b: str) -> bool:
    # The DCC allows a partial date of birth (1964, 1964-08, hcert schema); compare on the
    # precision both have. An empty one binds nothing.
    if not a or not b:
        return False
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def same_subject(a: Subject, b: Subject) -> bool:
    """Whether two credentials' subjects are one person (issue 2, subject binding)."""
    if a.id_hash is not None and b.id_hash is not None:
        return hmac.compare_digest(a.id_hash, b.id_hash)
    return _dob_agrees(a.dob, b.dob) and _same_name(a, b)


def check_together(subjects: Sequence[Subject]) -> Reason:
    """OK when every pair of presented credentials is about the same person."""
    for a, b in combinations(subjects, 2):
        if not same_subject(a, b):
            return Reason.SUBJECT_MISMATCH
    return Reason.OK


def make_subject(key: bytes, id_number: str, dob: str, name: str) -> Subject:
    """The subject of a credential we issue: hashed ID number, dob, transliterated name."""
    fnt, gnt = transliterate(name)
    return Subject(dob=dob, fnt=fnt, gnt=gnt, id_hash=subject_hash(key, id_number).hex())


def subject_to_claim(subject: Subject) -> dict[int, Any]:
    """The CBOR map carried under ``SUBJECT_CLAIM``."""
    claim: dict[int, Any] = {_DOB: subject.dob, _FNT: subject.fnt, _GNT: subject.gnt}
    if subject.id_hash is not None:
        claim[_ID_HASH] = bytes.fromhex(subject.id_hash)
    return claim


def subject_from_claim(claim: object) -> Subject | None:
    """The subject in a decoded claim, or None when the claim is malformed."""
    if not isinstance(claim, dict):
        return None
    dob, fnt, gnt = claim.get(_DOB), claim.get(_FNT), claim.get(_GNT, "")
    id_hash = claim.get(_ID_HASH)
    if not (isinstance(dob, str) and isinstance(fnt, str) and isinstance(gnt, str)):
        return None
    if id_hash is not None and not (isinstance(id_hash, bytes) and len(id_hash) == ID_HASH_BYTES):
        return None
    return Subject(
        dob=dob, fnt=fnt, gnt=gnt, id_hash=id_hash.hex() if id_hash is not None else None
    )


def district_subject(
    subject: Subject, claims: Mapping[Any, Any], vaccination_issuer: bool
) -> Subject:
    """A DCC's subject with the ``id_hash`` of our subject claim, when our issuer signed it.

    Only a key the trust list gives the VACCINATION_ISSUER role (our district's) is believed
    about the keyed hash; the claim must also agree with the DCC's own dob and names, so the
    hash can never bind a certificate to someone else.
    """
    claimed = subject_from_claim(claims.get(SUBJECT_CLAIM)) if vaccination_issuer else None
    if claimed is None or claimed.id_hash is None:
        return subject
    agrees = claimed.dob == subject.dob and _same_name(claimed, subject)
    return Subject(subject.dob, subject.fnt, subject.gnt, claimed.id_hash) if agrees else subject


def _same_name(a: Subject, b: Subject) -> bool:
    # Names equal as written are equal normalised: the NFKD pass is only for the others
    # (ours write the same transliteration in both places; docs/performance.md, "verify").
    return (a.fnt == b.fnt or normalise_name(a.fnt) == normalise_name(b.fnt)) and (
        a.gnt == b.gnt or normalise_name(a.gnt) == normalise_name(b.gnt)
    )
