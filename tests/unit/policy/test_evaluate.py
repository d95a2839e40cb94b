"""evaluate(): what the person at the gate and the operator see, case by case (R1-R4, R14)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from jointcheck.credentials.model import Subject
from jointcheck.credentials.reasons import Reason
from jointcheck.errors import InputError
from jointcheck.policy import Action, Outcome, PolicyReason, evaluate

from .factories import (
    ADULT,
    AT,
    CHILD,
    ERIKA,
    FIVE,
    OTHER,
    contraindication,
    dcc,
    decide,
    edited_pack,
    evaluate_at,
    health_code,
    id_card,
    pack,
    shown,
    smart_health_card,
    vaccinated,
    vaccination_entry,
)

# Erika as our district knows her after an ID check at the border: same dob and name.
ERIKA_HERE = Subject(dob=ERIKA.dob, fnt=ERIKA.fnt, gnt=ERIKA.gnt, id_hash="ee" * 32)


def test_credentials_of_two_people_are_denied() -> None:
    decision = decide(shown(health_code(), vaccinated(2, 2, OTHER)))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (PolicyReason.SUBJECT_MISMATCH,)


def test_a_foreign_dcc_binds_to_our_health_code_by_name_and_date_of_birth() -> None:
    foreign = vaccinated(2, 2, ERIKA, mp="EU/1/20/1528")
    assert decide(shown(health_code(subject=ERIKA_HERE), foreign)).outcome is Outcome.ADMIT


def test_no_health_code_is_denied_even_when_vaccinated() -> None:
    decision = decide(shown(vaccinated(2, 2)), "hotels")
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (PolicyReason.HEALTH_CODE_MISSING,)
    assert [r.id for r in decision.rules] == ["R1"]


def test_a_health_code_older_than_the_pack_allows_is_refused() -> None:
    old = health_code(age=timedelta(minutes=10))
    decision = decide(shown(old, vaccinated(2, 2)))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (PolicyReason.HEALTH_CODE_STALE,)


def test_a_red_code_is_reported_to_the_street_even_for_a_child() -> None:
    decision = decide(shown(health_code("red", CHILD)), "primary_schools")
    assert decision.outcome is Outcome.DENY
    assert decision.actions == (Action.REPORT_TO_STREET,)
    assert [r.id for r in decision.rules] == ["R4"]


def test_a_code_that_failed_verification_does_not_count_and_says_why() -> None:
    decision = decide(shown(vaccinated(2, 2), failed=[Reason.EXPIRED]))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (
        PolicyReason.HEALTH_CODE_MISSING,
        PolicyReason.CREDENTIAL_NOT_VERIFIED,
    )
    assert decision.failures == (Reason.EXPIRED,)
    assert decision.summary.failed == ("EXPIRED",)


def test_a_forged_vaccination_certificate_leaves_the_person_unvaccinated() -> None:
    decision = decide(shown(health_code(), failed=[Reason.BAD_SIGNATURE]), "markets")
    assert decision.outcome is Outcome.PERSUADE
    assert PolicyReason.CREDENTIAL_NOT_VERIFIED in decision.reasons


@pytest.mark.parametrize(
    ("dob", "outcome"),
    [
        ("2009", Outcome.PERSUADE),  # born 2009-01-01 at the earliest: may be 12 already
        ("2009-10", Outcome.ADMIT),  # 11 whatever the day
        ("2010", Outcome.ADMIT),
        ("2009-09-15", Outcome.PERSUADE),  # twelfth birthday on the day of the check
        ("2009-09-16", Outcome.ADMIT),
    ],
)
def test_partial_dates_of_birth_read_conservatively(dob: str, outcome: Outcome) -> None:
    person = Subject(dob=dob, fnt="WANG", gnt="WU", id_hash="ff" * 32)
    assert decide(shown(health_code(subject=person)), "markets").outcome is outcome


def test_age_counts_on_the_shanghai_date_of_the_check() -> None:
    person = Subject(dob="2009-09-15", fnt="WANG", gnt="WU", id_hash="ff" * 32)
    before_midnight = datetime(2021, 9, 14, 15, 30, tzinfo=UTC)  # 23:30 on the 14th in Shanghai
    after_midnight = datetime(2021, 9, 14, 16, 30, tzinfo=UTC)  # 00:30 on the 15th
    for at, outcome in ((before_midnight, Outcome.ADMIT), (after_midnight, Outcome.PERSUADE)):
        evidence = shown(health_code(subject=person, at=at))
        assert evaluate(evidence, "markets", pack(), at).outcome is outcome


def test_an_unknown_date_of_birth_is_checked_as_eligible() -> None:
    person = Subject(dob="", fnt="WANG", gnt="WU", id_hash="ff" * 32)
    decision = decide(shown(health_code(subject=person)), "markets")
    assert decision.outcome is Outcome.PERSUADE
    assert PolicyReason.AGE_UNKNOWN in decision.reasons
    assert decision.summary.age_band == "unknown"


def test_shc_doses_count_only_at_the_products_minimum_interval() -> None:
    too_close = smart_health_card(
        [("EU/1/20/1528", date(2021, 6, 1)), ("EU/1/20/1528", date(2021, 6, 10))]
    )
    spaced = smart_health_card(
        [("EU/1/20/1528", date(2021, 6, 1)), ("EU/1/20/1528", date(2021, 6, 22))]
    )
    close = decide(shown(health_code(subject=ERIKA_HERE), too_close))
    right = decide(shown(health_code(subject=ERIKA_HERE), spaced))
    assert (close.summary.doses, close.summary.series, close.summary.completed) == (1, 2, False)
    assert (right.summary.doses, right.summary.series, right.summary.completed) == (2, 2, True)
    assert close.outcome is right.outcome is Outcome.ADMIT  # one dose is enough in fangzi-2021
    assert decide(shown(too_close), "gastronomy", "eu-2g").outcome is Outcome.DENY
    assert decide(shown(spaced), "gastronomy", "eu-2g").outcome is Outcome.ADMIT


def test_a_product_the_pack_does_not_know_has_no_series() -> None:
    card = smart_health_card([("Abdala", date(2021, 6, 1)), ("Abdala", date(2021, 7, 1))])
    summary = decide(shown(health_code(subject=ERIKA_HERE), card)).summary
    assert (summary.doses, summary.series, summary.completed) == (2, None, False)


def test_id_card_lookup_decides_like_the_codes_it_replaces() -> None:
    doses = [vaccination_entry(1, None), vaccination_entry(2, None, dt=date(2021, 7, 1))]
    assert decide(shown(lookup=id_card(vaccinations=doses))).outcome is Outcome.ADMIT
    red = decide(shown(lookup=id_card("red")))
    assert (red.outcome, red.actions) == (Outcome.DENY, (Action.REPORT_TO_STREET,))
    exempt = decide(shown(lookup=id_card(level=2)), "nursing_homes")
    assert exempt.reasons[0] is PolicyReason.CONTRAINDICATION_ACCEPTED
    stale = decide(shown(lookup=id_card(age=timedelta(minutes=30))))
    assert stale.reasons[0] is PolicyReason.HEALTH_CODE_STALE
    assert "id_card_lookup" in decide(shown(lookup=id_card())).summary.credential_types


def test_a_contraindication_certificate_outside_its_validity_does_not_count() -> None:
    lapsed = contraindication(2, valid_from=date(2021, 3, 1), valid_to=date(2021, 8, 31))
    decision = decide(shown(health_code(), lapsed), "kindergartens")
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (
        PolicyReason.NOT_VACCINATED_RESTRICTED,
        PolicyReason.CONTRAINDICATION_NOT_VALID,
    )


def test_a_level_one_hospital_certificate_is_named_as_the_reason_it_did_not_count() -> None:
    decision = decide(shown(health_code(), contraindication(1)), "markets")
    assert decision.reasons == (
        PolicyReason.NOT_VACCINATED_PERSUADED,
        PolicyReason.CONTRAINDICATION_LEVEL_TOO_LOW,
    )


def test_a_district_reading_r2_strictly_refuses_contraindications_at_restricted_places() -> None:
    strict = edited_pack(
        "fangzi-2021",
        "restricted_accepts_contraindication: true",
        "restricted_accepts_contraindication: false",
    )
    evidence = shown(health_code(), contraindication(3))
    nursing = evaluate_at(evidence, "nursing_homes", strict)
    assert nursing.outcome is Outcome.DENY
    assert PolicyReason.CONTRAINDICATION_NOT_ACCEPTED_HERE in nursing.reasons
    assert evaluate_at(evidence, "markets", strict).outcome is Outcome.ADMIT


def test_the_summary_keeps_no_personal_data() -> None:
    decision = decide(shown(health_code(), vaccinated(2, 2), contraindication(2)))
    stored = decision.summary.as_dict()
    assert stored == {
        "credential_types": ["contraindication", "dcc_vaccination", "health_code"],
        "code_colour": "green",
        "doses": 2,
        "series": 2,
        "completed": True,
        "contraindication_level": 2,
        "age_band": "18-59",
        "registered": False,
        "failed": [],
        "pack_id": "fangzi-2021",
        "pack_version": "1.0.0",
    }
    text = repr(stored)
    for personal in (ADULT.dob, ADULT.fnt, str(ADULT.id_hash)):
        assert personal not in text


@pytest.mark.parametrize(
    ("dob", "band"),
    [("2019-10-01", "<3"), ("2016-04-02", "3-11"), ("2006-01-01", "12-17"),
     ("1990-05-01", "18-59"), ("1951-02-03", "60+")],
)  # fmt: skip
def test_age_bands_for_reports(dob: str, band: str) -> None:
    person = Subject(dob=dob, fnt="WANG", gnt="WU", id_hash="ff" * 32)
    assert decide(shown(health_code(subject=person))).summary.age_band == band


def test_the_screen_gets_a_masked_name_and_year_of_birth_only() -> None:
    with_code = decide(shown(health_code(), vaccinated(1, 2)))
    assert (with_code.person.name, with_code.person.dob) == ("张*", "1990-**-**")
    certificate_only = decide(
        shown(dcc(FIVE, vaccinations=[vaccination_entry(1)], fn="张", gn="小红"))
    )
    assert certificate_only.person.name == "张*红"


def test_the_rules_that_fired_carry_their_text_in_both_languages() -> None:
    decision = decide(shown(health_code()), "nursing_homes")
    fired = {r.id: r for r in decision.rules}
    assert fired["VR-CN-0001"].passed is False
    assert fired["VR-CN-0001"].text("en") == "At least one dose of a COVID-19 vaccine received"
    assert fired["R2"].text("zh_CN").startswith("养老院")


def test_a_rule_that_cannot_be_evaluated_fails_with_its_error_text() -> None:
    broken = edited_pack(
        "fangzi-2021", '">=": [{var: payload.v.0.dn}, 1]', '">=": [{var: payload.v.0.mp}, 1]'
    )
    decision = evaluate_at(shown(health_code(), vaccinated(1, 2)), "markets", broken)
    assert decision.outcome is Outcome.PERSUADE
    assert PolicyReason.RULE_ERROR in decision.reasons
    assert "integer" in decision.rules[0].error


def test_a_pack_may_pass_other_colours_and_refuse_green() -> None:
    odd = edited_pack("fangzi-2021", "passing_colours: [green]", "passing_colours: [yellow]")
    decision = evaluate_at(shown(health_code(), vaccinated(1, 2)), "markets", odd)
    assert decision.reasons == (PolicyReason.HEALTH_CODE_NOT_ACCEPTED,)
    assert decision.actions == ()


def test_unknown_venue_and_naive_time_are_faults_of_the_caller() -> None:
    with pytest.raises(InputError) as unknown:
        decide(shown(health_code()), "moon_base")
    assert unknown.value.code == "VENUE_CATEGORY_UNKNOWN"
    with pytest.raises(InputError):
        decide(shown(health_code()), "hotels", at=AT.replace(tzinfo=None))


def test_evidence_sorts_what_was_shown() -> None:
    evidence = shown(vaccinated(1, 2), health_code(), contraindication(2), registered=True)
    assert len(evidence.health_codes) == len(evidence.certificates) == 1
    assert len(evidence.contraindications) == 1
    assert evidence.registered
