"""Factories for the policy tests: verified credentials as the pipeline hands them over.

All people are checked at ``AT`` (2021-09-15 10:00 in Shanghai). ``ADULT`` was born in 1990,
``CHILD`` is 8, ``FIVE`` is 5 at ``AT``; every credential of one person carries the same
subject, as the district issues them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from jointcheck.credentials.model import (
    CodeColour,
    ContraindicationCertificate,
    Credential,
    CredentialType,
    DigitalCovidCertificate,
    HealthCode,
    RecoveryEntry,
    SmartHealthCard,
    Subject,
    TestEntry,
    VaccinationEntry,
)
from jointcheck.credentials.reasons import Reason
from jointcheck.policy import (
    CompiledPack,
    Decision,
    Evidence,
    IdCardLookup,
    compile_pack,
    evaluate,
    load_pack,
    load_shipped,
    shipped_pack_text,
)

AT = datetime(2021, 9, 15, 2, 0, tzinfo=UTC)  # 10:00 Asia/Shanghai
TODAY = date(2021, 9, 15)
COVID = "840539006"
RAT = "LP217198-3"
NAAT = "LP6464-4"
NOT_DETECTED = "260415000"
DETECTED = "260373001"

ADULT = Subject(dob="1990-05-01", fnt="ZHANG", gnt="SAN", id_hash="aa" * 32)
CHILD = Subject(dob="2013-03-10", fnt="ZHANG", gnt="XIAOMING", id_hash="bb" * 32)
FIVE = Subject(dob="2016-04-02", fnt="ZHANG", gnt="XIAOHONG", id_hash="cc" * 32)
OTHER = Subject(dob="1985-11-20", fnt="LI", gnt="SI", id_hash="dd" * 32)
# A foreign DCC holder: no id_hash, matched on date of birth and name.
ERIKA = Subject(dob="1964-08-12", fnt="MUSTERMANN", gnt="ERIKA")


def health_code(
    colour: str = "green",
    subject: Subject = ADULT,
    *,
    age: timedelta = timedelta(seconds=30),
    at: datetime = AT,
) -> HealthCode:
    issued = at - age
    return HealthCode(
        type=CredentialType.HEALTH_CODE,
        subject=subject,
        masked_name="张*",
        colour=CodeColour(colour),
        reason="",
        issued_at=issued,
        expires_at=issued + timedelta(minutes=3),
        nonce="n-" + subject.gnt,
        credential_id="hc-" + subject.gnt,
        kid=b"hc-kid",
    )


def vaccination_entry(
    dn: int, sd: int | None = 2, *, mp: str = "BBIBP-CorV", dt: date = date(2021, 6, 1)
) -> VaccinationEntry:
    return VaccinationEntry(
        tg=COVID, vp="J07BX03", mp=mp, ma="ORG-100020693", dn=dn, sd=sd, dt=dt, co="CN",
        is_="Weifang Fangzi District CDC", ci=f"URN:UVCI:01:CN:FZ{dn}{mp}",
    )  # fmt: skip


def _dcc_json(
    subject: Subject,
    v: tuple[VaccinationEntry, ...],
    t: tuple[TestEntry, ...],
    r: tuple[RecoveryEntry, ...],
) -> dict[str, object]:
    """The DCC payload as the hcert pipeline hands it over (JSON values, dates as text)."""
    payload: dict[str, object] = {
        "ver": "1.3.0",
        "nam": {"fnt": subject.fnt, "gnt": subject.gnt},
        "dob": subject.dob,
    }
    if v:
        payload["v"] = [
            {"tg": e.tg, "vp": e.vp, "mp": e.mp, "ma": e.ma, "dn": e.dn, "sd": e.sd,
             "dt": e.dt.isoformat(), "co": e.co, "is": e.is_, "ci": e.ci}
            for e in v
        ]  # fmt: skip
    if t:
        payload["t"] = [
            {"tg": e.tg, "tt": e.tt, "sc": e.sc.isoformat().replace("+00:00", "Z"), "tr": e.tr,
             "co": e.co, "is": "Testzentrum", "ci": e.ci,
             **({"nm": e.nm} if e.nm else {}), **({"ma": e.ma} if e.ma else {})}
            for e in t
        ]  # fmt: skip
    if r:
        payload["r"] = [
            {"tg": e.tg, "fr": e.fr.isoformat(), "df": e.df.isoformat(), "du": e.du.isoformat(),
             "co": e.co, "is": "Gesundheitsamt", "ci": e.ci}
            for e in r
        ]  # fmt: skip
    return payload


def dcc(
    subject: Subject = ADULT,
    *,
    vaccinations: Iterable[VaccinationEntry] = (),
    tests: Iterable[TestEntry] = (),
    recoveries: Iterable[RecoveryEntry] = (),
    fn: str = "张",
    gn: str = "三",
    with_payload: bool = True,
) -> DigitalCovidCertificate:
    """A verified DCC; ``with_payload=False`` leaves only the typed entries."""
    v, t, r = tuple(vaccinations), tuple(tests), tuple(recoveries)
    kind = (
        CredentialType.DCC_VACCINATION if v
        else CredentialType.DCC_TEST if t
        else CredentialType.DCC_RECOVERY
    )  # fmt: skip
    return DigitalCovidCertificate(
        type=kind, subject=subject, fn=fn, gn=gn, issuer_country="CN",
        issued_at=AT - timedelta(days=30), expires_at=AT + timedelta(days=335),
        version="1.3.0", kid=b"dcc-kid", vaccinations=v, tests=t, recoveries=r,
        payload=_dcc_json(subject, v, t, r) if with_payload else {},
    )  # fmt: skip


def without_payload(cert: DigitalCovidCertificate) -> DigitalCovidCertificate:
    return dcc(
        cert.subject, vaccinations=cert.vaccinations, tests=cert.tests,
        recoveries=cert.recoveries, fn=cert.fn, gn=cert.gn, with_payload=False,
    )  # fmt: skip


def vaccinated(
    dn: int, sd: int | None = 2, subject: Subject = ADULT, *, mp: str = "BBIBP-CorV",
    dt: date = date(2021, 6, 1),
) -> DigitalCovidCertificate:  # fmt: skip
    return dcc(subject, vaccinations=[vaccination_entry(dn, sd, mp=mp, dt=dt)])


def lab_result(
    *, tt: str = NAAT, tr: str = NOT_DETECTED, hours_ago: float = 6, subject: Subject = ERIKA
) -> DigitalCovidCertificate:
    entry = TestEntry(
        tg=COVID, tt=tt, sc=AT - timedelta(hours=hours_ago), tr=tr, co="DE", ci="URN:UVCI:01:DE:T1",
        nm="PCR" if tt == NAAT else None, ma="1232" if tt == RAT else None, tc="Testzentrum",
    )  # fmt: skip
    return dcc(subject, tests=[entry], fn="Mustermann", gn="Erika")


def recovered(
    *, first_positive: date, valid_until: date, subject: Subject = ERIKA
) -> DigitalCovidCertificate:
    entry = RecoveryEntry(
        tg=COVID, fr=first_positive, df=first_positive + timedelta(days=11), du=valid_until,
        co="DE", ci="URN:UVCI:01:DE:R1",
    )  # fmt: skip
    return dcc(subject, recoveries=[entry], fn="Mustermann", gn="Erika")


def contraindication(
    level: int, subject: Subject = ADULT, *, valid_from: date = date(2021, 8, 1),
    valid_to: date = date(2022, 1, 31),
) -> ContraindicationCertificate:  # fmt: skip
    return ContraindicationCertificate(
        type=CredentialType.CONTRAINDICATION, subject=subject, masked_name="张*",
        category="allergy", level=level, institution="潍坊市人民医院", valid_from=valid_from,
        valid_to=valid_to, issued_at=AT - timedelta(days=40), credential_id="ci-1",
        kid=b"ci-kid",
    )  # fmt: skip


def smart_health_card(
    doses: Iterable[tuple[str, date]], subject: Subject = ERIKA
) -> SmartHealthCard:
    """One Immunization per dose, as SMART Health Cards carry them: no dn, no sd."""
    entries = tuple(
        VaccinationEntry(
            tg=COVID,
            vp="J07BX03",
            mp=mp,
            ma="",
            dn=i + 1,
            sd=None,
            dt=dt,
            co="US",
            is_="https://spec.smarthealth.cards/examples/issuer",
            ci="",
        )
        for i, (mp, dt) in enumerate(doses)
    )
    return SmartHealthCard(
        type=CredentialType.SHC_IMMUNIZATION, subject=subject, name="Erika Mustermann",
        issuer="https://spec.smarthealth.cards/examples/issuer", issued_at=AT - timedelta(days=5),
        vaccinations=entries, rid=None, kid="shc-kid",
    )  # fmt: skip


def id_card(
    colour: str | None = "green", *, subject: Subject = ADULT,
    vaccinations: Iterable[VaccinationEntry] = (), level: int | None = None,
    age: timedelta = timedelta(seconds=5),
) -> IdCardLookup:  # fmt: skip
    return IdCardLookup(
        subject=subject, masked_name="张*", looked_up_at=AT - age,
        colour=CodeColour(colour) if colour else None, vaccinations=tuple(vaccinations),
        contraindication_level=level,
    )  # fmt: skip


def shown(
    *credentials: Credential,
    registered: bool = False,
    failed: Iterable[Reason] = (),
    lookup: IdCardLookup | None = None,
) -> Evidence:
    return Evidence.of(credentials, registered=registered, failed=failed, id_card=lookup)


_COMPILED: dict[str, CompiledPack] = {}


def pack(pack_id: str = "fangzi-2021") -> CompiledPack:
    if pack_id not in _COMPILED:
        _COMPILED[pack_id] = compile_pack(load_shipped(pack_id))
    return _COMPILED[pack_id]


def edited_pack(pack_id: str, old: str, new: str) -> CompiledPack:
    """A shipped pack with one line edited, as docs/policy.md shows policy changes."""
    text = shipped_pack_text(pack_id)
    assert text.count(old) == 1, f"{old!r} is not one line of {pack_id}"
    return compile_pack(load_pack(text.replace(old, new)))


def decide(
    evidence: Evidence, venue: str = "hotels", pack_id: str = "fangzi-2021", at: datetime = AT
) -> Decision:
    return evaluate(evidence, venue, pack(pack_id), at)


def evaluate_at(
    evidence: Evidence, venue: str, compiled: CompiledPack, at: datetime = AT
) -> Decision:
    return evaluate(evidence, venue, compiled, at)
