"""SMART Health Cards: Immunizations read as DCC vaccination entries, names as ICAO 9303."""

from __future__ import annotations

from datetime import date

import pytest
import shc_cards as c

from jointcheck.credentials.model import SmartHealthCard, Subject
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.shc import verify_shc
from jointcheck.credentials.shc_fhir import transliterate
from jointcheck.credentials.subject import same_subject

ISSUER = c.ShcIssuer()
SNOMED = "http://snomed.info/sct"


def verified(*resources: dict[str, object]) -> SmartHealthCard:
    result = verify_shc(ISSUER.card(c.payload(*resources)), c.ctx(*ISSUER.trusted))
    assert result.reason is Reason.OK, result.detail
    assert isinstance(result.credential, SmartHealthCard)
    return result.credential


@pytest.mark.parametrize(
    ("system", "code", "mp", "ma"),
    [
        (c.CVX, "207", "EU/1/20/1507", "ORG-100031184"),
        (c.CVX, "208", "EU/1/20/1528", "ORG-100030215"),
        (c.CVX, "210", "EU/1/21/1529", "ORG-100001699"),
        (c.CVX, "211", "EU/1/21/1618", "ORG-100032020"),
        (c.CVX, "212", "EU/1/20/1525", "ORG-100001417"),
        (c.CVX, "217", "EU/1/20/1528", "ORG-100030215"),
        (c.CVX, "221", "EU/1/20/1507", "ORG-100031184"),
        (c.CVX, "229", "EU/1/20/1507", "ORG-100031184"),
        (c.CVX, "300", "EU/1/20/1528", "ORG-100030215"),
        (c.CVX, "506", "Convidecia", "ORG-100013793"),
        (c.CVX, "510", "BBIBP-CorV", "ORG-100020693"),
        (c.CVX, "511", "CoronaVac", "Sinovac-Biotech"),
        (SNOMED, "28581000087106", "EU/1/20/1528", "ORG-100030215"),
    ],
)
def test_covid_vaccine_codes_map_to_dcc_products(system, code, mp, ma):
    card = verified(c.patient(), c.immunization(code, "2021-06-01", system))
    (dose,) = card.vaccinations
    assert (dose.mp, dose.ma, dose.tg, dose.dn, dose.sd) == (mp, ma, "840539006", 1, None)
    assert dose.dt == date(2021, 6, 1)


def test_a_covid_vaccine_without_eu_product_keeps_its_raw_code():
    (dose,) = verified(c.patient(), c.immunization("213", "2021-06-01")).vaccinations
    assert (dose.mp, dose.tg, dose.ma) == (f"{c.CVX}|213", "840539006", "")


def test_another_diseases_vaccine_keeps_its_raw_code_and_no_covid_target():
    flu, covid = verified(
        c.patient(), c.immunization("140", "2020-10-01"), c.immunization("208", "2021-06-01")
    ).vaccinations
    assert (flu.mp, flu.tg, flu.dn) == (f"{c.CVX}|140", "", 1)
    assert (covid.mp, covid.dn) == ("EU/1/20/1528", 1)


def test_doses_are_numbered_in_date_order_whatever_the_bundle_order():
    card = verified(
        c.patient(),
        c.immunization("229", "2022-09-05"),
        c.immunization("207", "2021-01-01T10:30:00+01:00"),
        c.immunization("207", "2021-01-29"),
    )
    assert [(v.dt, v.dn) for v in card.vaccinations] == [
        (date(2021, 1, 1), 1),
        (date(2021, 1, 29), 2),
        (date(2022, 9, 5), 3),
    ]


def test_doses_not_given_are_not_counted():
    card = verified(
        c.patient(),
        c.immunization("208", "2021-05-01", status="not-done"),
        c.immunization("208", "2021-05-02", status="entered-in-error"),
        c.immunization("208", "2021-06-01"),
    )
    assert [(v.dt, v.dn) for v in card.vaccinations] == [(date(2021, 6, 1), 1)]


def test_the_subject_is_the_patient_with_transliterated_names():
    card = verified(c.patient("Müller-Lüdenscheidt", ("José", "María")))
    assert (card.subject.fnt, card.subject.gnt) == ("MUELLER<LUEDENSCHEIDT", "JOSE<MARIA")
    assert card.subject.dob == "1951-01-20"
    assert card.name == "José María Müller-Lüdenscheidt"


@pytest.mark.parametrize(
    ("name", "icao"),
    [
        ("O'Brien", "OBRIEN"),
        ("John B.", "JOHN<B"),
        ("van  der Berg", "VAN<DER<BERG"),
        ("Øster Ærø", "OESTER<AEROE"),
        ("Straße", "STRASSE"),
        ("Çelik Şahin", "CELIK<SAHIN"),
        ("", ""),
    ],
)
def test_icao_9303_transliteration(name, icao):
    assert transliterate(name) == icao


def test_a_chinese_name_is_transliterated_as_our_own_credentials_do():
    card = verified(c.patient("欧阳", ("娜娜",)))
    assert (card.subject.fnt, card.subject.gnt) == ("OUYANG", "NANA")
    assert card.name == "欧阳娜娜"
    assert same_subject(card.subject, Subject(dob="1951-01-20", fnt="OUYANG", gnt="NANA"))


def test_a_card_binds_to_a_dcc_of_the_same_person_by_dob_and_name():
    card = verified(c.patient())
    dcc_subject = Subject(dob="1951-01-20", fnt="ANYPERSON", gnt="JOHN<B")
    assert same_subject(card.subject, dcc_subject)
    assert not same_subject(card.subject, Subject(dob="1951-01-21", fnt="ANYPERSON", gnt="JOHN<B"))
    assert not same_subject(card.subject, Subject(dob="1951-01-20", fnt="ANYONE", gnt="JOHN<B"))
