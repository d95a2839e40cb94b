"""From a verified SMART Health Card payload to a typed ``SmartHealthCard``.

The payload shape is the spec's ("Health Cards are encoded as Compact Serialization JSON Web
Signatures"): ``iss``, ``nbf``, optional ``exp``, and ``vc`` with ``type`` (which SHALL hold
``https://smarthealth.cards#health-card``), optional ``rid`` and
``credentialSubject.fhirBundle``. Immunizations are mapped to the fields of a DCC vaccination
entry so that one policy reads both (R1); the subject is matched on date of birth and the
ICAO 9303 transliterated name, as for a foreign DCC (issue 2, "Subject binding").
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from jointcheck.credentials.model import (
    CredentialType,
    SmartHealthCard,
    Subject,
    VaccinationEntry,
)
from jointcheck.credentials.subject import transliterate as chinese_transliteration

HEALTH_CARD_TYPE = "https://smarthealth.cards#health-card"
CVX = "http://hl7.org/fhir/sid/cvx"
SNOMED = "http://snomed.info/sct"
COVID_19 = "840539006"  # SNOMED CT, the DCC disease-agent-targeted value set
# Limits of datetime: a claim outside them is not a time (RFC 7519 NumericDate).
_MIN_TIME, _MAX_TIME = -62135596800.0, 253402300799.0
_RID = re.compile(r"[A-Za-z0-9_-]{1,24}")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_MRNA, _VECTOR, _INACTIVATED, _PROTEIN = (
    "1119349007",
    "29061000087103",
    "1157024006",
    "1162643001",
)
_COVID_UNSPECIFIED = "28531000087107"


@dataclass(frozen=True, slots=True)
class Product:
    """A vaccine as the DCC value sets name it: product (mp), holder (ma), type (vp)."""

    mp: str
    ma: str
    vp: str


_COMIRNATY = Product("EU/1/20/1528", "ORG-100030215", _MRNA)
_SPIKEVAX = Product("EU/1/20/1507", "ORG-100031184", _MRNA)
# CDC CVX codes for COVID-19 vaccines, and the SNOMED CT (Canadian extension) product codes
# of the SMART Health Cards vaccination value sets, mapped to the DCC value sets
# for the medicinal product, its marketing authorisation holder and the vaccine type;
# docs/credentials.md carries the same table.
PRODUCTS: dict[tuple[str, str], Product] = {
    (CVX, "207"): _SPIKEVAX,
    (CVX, "208"): _COMIRNATY,
    (CVX, "210"): Product("EU/1/21/1529", "ORG-100001699", _VECTOR),
    (CVX, "211"): Product("EU/1/21/1618", "ORG-100032020", _PROTEIN),
    (CVX, "212"): Product("EU/1/20/1525", "ORG-100001417", _VECTOR),
    (CVX, "217"): _COMIRNATY,
    (CVX, "218"): _COMIRNATY,
    (CVX, "219"): _COMIRNATY,
    (CVX, "221"): _SPIKEVAX,
    (CVX, "225"): Product("EU/1/21/1580", "ORG-100000788", _PROTEIN),
    (CVX, "227"): _SPIKEVAX,
    (CVX, "228"): _SPIKEVAX,
    (CVX, "229"): _SPIKEVAX,
    (CVX, "230"): _SPIKEVAX,
    (CVX, "300"): _COMIRNATY,
    (CVX, "301"): _COMIRNATY,
    (CVX, "502"): Product("Covaxin", "Bharat-Biotech", _INACTIVATED),
    (CVX, "505"): Product("Sputnik-V", "Gamaleya-Research-Institute", _VECTOR),
    (CVX, "506"): Product("Convidecia", "ORG-100013793", _VECTOR),
    (CVX, "510"): Product("BBIBP-CorV", "ORG-100020693", _INACTIVATED),
    (CVX, "511"): Product("CoronaVac", "Sinovac-Biotech", _INACTIVATED),
    (SNOMED, "28571000087109"): _SPIKEVAX,
    (SNOMED, "28581000087106"): _COMIRNATY,
    (SNOMED, "28761000087108"): Product("EU/1/21/1529", "ORG-100001699", _VECTOR),
    (SNOMED, "28951000087107"): Product("EU/1/20/1525", "ORG-100001417", _VECTOR),
}
# COVID-19 vaccines without a DCC product: CVX 213 (unspecified formulation) and the range
# CDC reserves for non-US COVID-19 vaccines (500 onwards). They count as COVID-19 doses with
# the raw code as product.
_COVID_CVX_UNMAPPED = frozenset({"213", *(str(code) for code in range(500, 520))})

# ICAO 9303 part 3, 6.A: letters that transliterate to more than one letter.
_ICAO_SPECIAL = {
    "Ä": "AE", "Æ": "AE", "Å": "AA", "Ö": "OE", "Ø": "OE", "Œ": "OE", "Ü": "UE",
    "ß": "SS", "Þ": "TH", "Ð": "D", "Đ": "D", "Ł": "L", "Ħ": "H", "Ŋ": "N", "Ĳ": "IJ",
}  # fmt: skip


def transliterate(name: str) -> str:
    """ICAO 9303 machine-readable form: A-Z, with ``<`` between words.

    Spaces and hyphens separate words; other punctuation (``B.``, ``O'Brien``) is dropped;
    letters outside the Latin script are dropped, since a foreign card is matched against
    the Latin transliteration its holder's passport or DCC carries.
    """
    if name.isascii():
        words = re.sub(r"[^A-Z -]", "", name.upper())
        return "<".join(re.split(r"[ -]+", words.strip(" -"))) if words.strip(" -") else ""
    out: list[str] = []
    for char in name.upper():
        special = _ICAO_SPECIAL.get(char)
        if special is not None:
            out.append(special)
        elif char in " -":
            out.append("<")
        else:
            base = unicodedata.normalize("NFKD", char)[:1]
            if "A" <= base <= "Z":
                out.append(base)
    return re.sub("<+", "<", "".join(out)).strip("<")


def is_time(value: object) -> bool:
    """A JWT NumericDate (RFC 7519, 2): a number of seconds; ``nbf`` may have a fraction."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and _MIN_TIME <= value <= _MAX_TIME


def to_datetime(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


def _type_list(vc: dict[str, Any]) -> list[Any]:
    types = vc.get("type")
    return types if isinstance(types, list) else []


def _claims_problem(payload: dict[str, Any]) -> str:
    if not isinstance(payload.get("iss"), str):
        return "iss missing"
    if not is_time(payload.get("nbf")):
        return "nbf missing or not a time"
    if "exp" in payload and not is_time(payload["exp"]):
        return "exp not a time"
    return ""


def _bundle_problem(vc: dict[str, Any]) -> str:
    subject = vc.get("credentialSubject")
    bundle = subject.get("fhirBundle") if isinstance(subject, dict) else None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return "vc.credentialSubject.fhirBundle missing"
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("resource"), dict) for e in entries
    ):
        return "fhirBundle.entry must be a list of entries with a resource"
    return ""


def schema_problem(payload: dict[str, Any]) -> str:
    """What is wrong with the payload's structure, or "" when nothing is."""
    problem = _claims_problem(payload)
    if problem:
        return problem
    vc = payload.get("vc")
    if not isinstance(vc, dict) or HEALTH_CARD_TYPE not in _type_list(vc):
        return "vc.type lacks " + HEALTH_CARD_TYPE
    if "rid" in vc and not (isinstance(vc["rid"], str) and _RID.fullmatch(vc["rid"])):
        return "vc.rid is not base64url of at most 24 characters"
    return _bundle_problem(vc)


def resources(payload: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The bundle's resources of one type; call only after ``schema_problem`` passed."""
    entries = payload["vc"]["credentialSubject"]["fhirBundle"]["entry"]
    return [e["resource"] for e in entries if e["resource"].get("resourceType") == kind]


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _subject(patients: list[dict[str, Any]]) -> tuple[Subject, str]:
    """The subject and the display name; a card without a Patient has an empty subject."""
    if not patients:
        return Subject(dob="", fnt="", gnt=""), ""
    patient = patients[0]
    raw_names = patient.get("name")
    names = [n for n in raw_names if isinstance(n, dict)] if isinstance(raw_names, list) else []
    official = [n for n in names if n.get("use") == "official"]
    name = (official or names or [{}])[0]
    family = name.get("family")
    family = family if isinstance(family, str) else ""
    given = " ".join(_strings(name.get("given")))
    dob = patient.get("birthDate")
    dob = dob if isinstance(dob, str) else ""
    if _HAN.search(family + given):
        # A Chinese name is written family name first, and transliterated as our own
        # credentials do it (pinyin, ICAO 9303), so that it binds to them (issue 2).
        fnt, gnt = chinese_transliteration(family + given)
        return Subject(dob=dob, fnt=fnt, gnt=gnt), family + given
    subject = Subject(dob=dob, fnt=transliterate(family), gnt=transliterate(given))
    return subject, " ".join(part for part in (given, family) if part)


def _occurrence(immunization: dict[str, Any]) -> date | None:
    # FHIR dateTime: YYYY-MM-DD optionally followed by a time; the day is what counts.
    value = immunization.get("occurrenceDateTime")
    match = _DATE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _coding(immunization: dict[str, Any]) -> tuple[str, str] | None:
    code = immunization.get("vaccineCode")
    codings = code.get("coding") if isinstance(code, dict) else None
    pairs = [
        (c["system"], c["code"])
        for c in (codings if isinstance(codings, list) else [])
        if isinstance(c, dict)
        and isinstance(c.get("system"), str)
        and isinstance(c.get("code"), str)
    ]
    known = [pair for pair in pairs if pair in PRODUCTS]
    return (known or pairs or [None])[0]


def _is_covid(coding: tuple[str, str]) -> bool:
    return coding in PRODUCTS or (coding[0] == CVX and coding[1] in _COVID_CVX_UNMAPPED)


def _vaccination(coding: tuple[str, str], day: date, dn: int, issuer: str) -> VaccinationEntry:
    product = PRODUCTS.get(coding)
    covid = _is_covid(coding)
    return VaccinationEntry(
        tg=COVID_19 if covid else "",
        vp=product.vp if product else (_COVID_UNSPECIFIED if covid else ""),
        mp=product.mp if product else f"{coding[0]}|{coding[1]}",
        ma=product.ma if product else "",
        dn=dn,
        sd=None,
        dt=day,
        co="",
        is_=issuer,
        ci="",
    )


def vaccinations(payload: dict[str, Any]) -> tuple[VaccinationEntry, ...] | str:
    """Completed immunizations in date order, each ``dn`` counted per target disease.

    SHC carries no dose number and no series size (``sd`` stays None); the dose number is
    the entry's place, in date order, among the card's doses against the same disease.
    Returns a problem description when an Immunization lacks its code or date.
    """
    doses: list[tuple[date, tuple[str, str]]] = []
    for immunization in resources(payload, "Immunization"):
        if immunization.get("status", "completed") != "completed":
            continue  # "not-done" and "entered-in-error" are not doses
        coding, day = _coding(immunization), _occurrence(immunization)
        if coding is None or day is None:
            return "Immunization without vaccineCode coding or occurrenceDateTime"
        doses.append((day, coding))
    doses.sort(key=lambda dose: dose[0])
    counts: dict[str, int] = {}
    entries: list[VaccinationEntry] = []
    for day, coding in doses:
        target = COVID_19 if _is_covid(coding) else ""
        counts[target] = counts.get(target, 0) + 1
        entries.append(_vaccination(coding, day, counts[target], payload["iss"]))
    return tuple(entries)


def smart_health_card(
    payload: dict[str, Any], kid: str, doses: tuple[VaccinationEntry, ...]
) -> SmartHealthCard:
    subject, name = _subject(resources(payload, "Patient"))
    rid = payload["vc"].get("rid")
    return SmartHealthCard(
        type=CredentialType.SHC_IMMUNIZATION,
        subject=subject,
        name=name,
        issuer=payload["iss"],
        issued_at=to_datetime(payload["nbf"]),
        vaccinations=doses,
        rid=rid if isinstance(rid, str) else None,
        kid=kid,
        bundle=payload["vc"]["credentialSubject"]["fhirBundle"],
    )
