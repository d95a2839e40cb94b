"""fangzi-2021 against a hand-written expectation table (MISSION.md R1-R4), over every category.

Both tables below are literal data written from MISSION.md, never computed by the policy:
R1/R2 name the categories and their mode; R2 restricts, R3 persuades (registration or a
level-2-or-higher contraindication certificate lets a person in); R4 denies a code that is
not green and reports it to the street; under the eligible age (12 in August 2021) no
vaccination certificate is needed; one dose received counts as vaccinated for entry.
"""

from __future__ import annotations

import pytest

from jointcheck.credentials.model import Credential, Subject
from jointcheck.policy import Outcome

from .factories import (
    ADULT,
    CHILD,
    contraindication,
    decide,
    health_code,
    pack,
    shown,
    vaccinated,
)

# R1 (persuade elsewhere, R3) and R2 (restrict), plus the pack's own additions (R3).
CATEGORY_MODES = {
    "offices": "persuade",
    "medical_institutions": "persuade",
    "pharmacies": "persuade",
    "traffic_stations": "persuade",
    "public_transport_vehicles": "persuade",
    "hotels": "persuade",
    "malls_and_supermarkets": "persuade",
    "markets": "persuade",
    "financial_institutions": "persuade",
    "tourist_attractions": "persuade",
    "amusement_places": "persuade",
    "indoor_cultural_entertainment_places": "persuade",
    "residential_quarters": "persuade",
    "nursing_homes": "restrict",
    "welfare_homes": "restrict",
    "primary_schools": "restrict",
    "kindergartens": "restrict",
    "susceptible_gathering_places": "restrict",
    "catering": "persuade",
    "other_places": "persuade",
}

# mode colour state age registered -> outcome, actions ("-": none), first reason code.
# age: under = 8 years old, over = 31 years old, at the time of the check.
EXPECTATIONS = """
restrict  green   none        under  no   ADMIT             -                 UNDER_ELIGIBLE_AGE
restrict  green   none        under  yes  ADMIT             -                 UNDER_ELIGIBLE_AGE
restrict  green   none        over   no   DENY              -                 NOT_VACCINATED_RESTRICTED
restrict  green   none        over   yes  DENY              -                 NOT_VACCINATED_RESTRICTED
restrict  green   first_dose  under  no   ADMIT             -                 UNDER_ELIGIBLE_AGE
restrict  green   first_dose  under  yes  ADMIT             -                 UNDER_ELIGIBLE_AGE
restrict  green   first_dose  over   no   ADMIT             -                 VACCINATED
restrict  green   first_dose  over   yes  ADMIT             -                 VACCINATED
restrict  green   complete    under  no   ADMIT             -                 UNDER_ELIGIBLE_AGE
restrict  green   complete    under  yes  ADMIT             -                 UNDER_ELIGIBLE_AGE
restrict  green   complete    over   no   ADMIT             -                 VACCINATED
restrict  green   complete    over   yes  ADMIT             -                 VACCINATED
restrict  green   contra_1    under  no   ADMIT             -                 UNDER_ELIGIBLE_AGE
restrict  green   contra_1    under  yes  ADMIT             -                 UNDER_ELIGIBLE_AGE
restrict  green   contra_1    over   no   DENY              -                 NOT_VACCINATED_RESTRICTED
restrict  green   contra_1    over   yes  DENY              -                 NOT_VACCINATED_RESTRICTED
restrict  green   contra_2    under  no   ADMIT             -                 UNDER_ELIGIBLE_AGE
restrict  green   contra_2    under  yes  ADMIT             -                 UNDER_ELIGIBLE_AGE
restrict  green   contra_2    over   no   ADMIT             -                 CONTRAINDICATION_ACCEPTED
restrict  green   contra_2    over   yes  ADMIT             -                 CONTRAINDICATION_ACCEPTED
restrict  yellow  none        under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  yellow  none        under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  yellow  none        over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  yellow  none        over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  yellow  first_dose  under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  yellow  first_dose  under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  yellow  first_dose  over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  yellow  first_dose  over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  yellow  complete    under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  yellow  complete    under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  yellow  complete    over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  yellow  complete    over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  yellow  contra_1    under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  yellow  contra_1    under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  yellow  contra_1    over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  yellow  contra_1    over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  yellow  contra_2    under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  yellow  contra_2    under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  yellow  contra_2    over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  yellow  contra_2    over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
restrict  red     none        under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
restrict  red     none        under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
restrict  red     none        over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
restrict  red     none        over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
restrict  red     first_dose  under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
restrict  red     first_dose  under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
restrict  red     first_dose  over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
restrict  red     first_dose  over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
restrict  red     complete    under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
restrict  red     complete    under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
restrict  red     complete    over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
restrict  red     complete    over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
restrict  red     contra_1    under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
restrict  red     contra_1    under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
restrict  red     contra_1    over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
restrict  red     contra_1    over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
restrict  red     contra_2    under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
restrict  red     contra_2    under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
restrict  red     contra_2    over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
restrict  red     contra_2    over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  green   none        under  no   ADMIT             -                 UNDER_ELIGIBLE_AGE
persuade  green   none        under  yes  ADMIT             -                 UNDER_ELIGIBLE_AGE
persuade  green   none        over   no   PERSUADE          REGISTER          NOT_VACCINATED_PERSUADED
persuade  green   none        over   yes  ADMIT_REGISTERED  -                 REGISTERED_ENTRY
persuade  green   first_dose  under  no   ADMIT             -                 UNDER_ELIGIBLE_AGE
persuade  green   first_dose  under  yes  ADMIT             -                 UNDER_ELIGIBLE_AGE
persuade  green   first_dose  over   no   ADMIT             -                 VACCINATED
persuade  green   first_dose  over   yes  ADMIT             -                 VACCINATED
persuade  green   complete    under  no   ADMIT             -                 UNDER_ELIGIBLE_AGE
persuade  green   complete    under  yes  ADMIT             -                 UNDER_ELIGIBLE_AGE
persuade  green   complete    over   no   ADMIT             -                 VACCINATED
persuade  green   complete    over   yes  ADMIT             -                 VACCINATED
persuade  green   contra_1    under  no   ADMIT             -                 UNDER_ELIGIBLE_AGE
persuade  green   contra_1    under  yes  ADMIT             -                 UNDER_ELIGIBLE_AGE
persuade  green   contra_1    over   no   PERSUADE          REGISTER          NOT_VACCINATED_PERSUADED
persuade  green   contra_1    over   yes  ADMIT_REGISTERED  -                 REGISTERED_ENTRY
persuade  green   contra_2    under  no   ADMIT             -                 UNDER_ELIGIBLE_AGE
persuade  green   contra_2    under  yes  ADMIT             -                 UNDER_ELIGIBLE_AGE
persuade  green   contra_2    over   no   ADMIT             -                 CONTRAINDICATION_ACCEPTED
persuade  green   contra_2    over   yes  ADMIT             -                 CONTRAINDICATION_ACCEPTED
persuade  yellow  none        under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  yellow  none        under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  yellow  none        over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  yellow  none        over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  yellow  first_dose  under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  yellow  first_dose  under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  yellow  first_dose  over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  yellow  first_dose  over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  yellow  complete    under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  yellow  complete    under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  yellow  complete    over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  yellow  complete    over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  yellow  contra_1    under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  yellow  contra_1    under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  yellow  contra_1    over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  yellow  contra_1    over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  yellow  contra_2    under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  yellow  contra_2    under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  yellow  contra_2    over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  yellow  contra_2    over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_YELLOW
persuade  red     none        under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  red     none        under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  red     none        over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  red     none        over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  red     first_dose  under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  red     first_dose  under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  red     first_dose  over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  red     first_dose  over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  red     complete    under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  red     complete    under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  red     complete    over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  red     complete    over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  red     contra_1    under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  red     contra_1    under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  red     contra_1    over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  red     contra_1    over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  red     contra_2    under  no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  red     contra_2    under  yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  red     contra_2    over   no   DENY              REPORT_TO_STREET  HEALTH_CODE_RED
persuade  red     contra_2    over   yes  DENY              REPORT_TO_STREET  HEALTH_CODE_RED
"""


def _rows() -> list[tuple[str, ...]]:
    return [tuple(line.split()) for line in EXPECTATIONS.strip().splitlines()]


def _evidence(colour: str, state: str, age: str) -> tuple[Credential, ...]:
    person: Subject = CHILD if age == "under" else ADULT
    extra: dict[str, tuple[Credential, ...]] = {
        "none": (),
        "first_dose": (vaccinated(1, 2, person),),
        "complete": (vaccinated(2, 2, person),),
        "contra_1": (contraindication(1, person),),
        "contra_2": (contraindication(2, person),),
    }
    return (health_code(colour, person), *extra[state])


def test_the_table_covers_every_combination_once() -> None:
    keys = [row[:5] for row in _rows()]
    assert len(keys) == len(set(keys)) == 2 * 3 * 5 * 2 * 2


def test_the_pack_has_exactly_the_categories_of_r1_and_r2_with_their_modes() -> None:
    compiled = pack("fangzi-2021")
    assert {c.id: c.mode.value for c in compiled.pack.categories} == CATEGORY_MODES


@pytest.mark.parametrize("category", sorted(CATEGORY_MODES))
def test_every_row_of_the_table_holds_at_the_category(category: str) -> None:
    mode = CATEGORY_MODES[category]
    for row in _rows():
        row_mode, colour, state, age, registered, outcome, actions, reason = row
        if row_mode != mode:
            continue
        credentials = _evidence(colour, state, age)
        decision = decide(shown(*credentials, registered=registered == "yes"), category)
        expected_actions = () if actions == "-" else tuple(actions.split(","))
        got = (
            decision.outcome.value,
            tuple(a.value for a in decision.actions),
            decision.reasons[0].value,
        )
        assert got == (outcome, expected_actions, reason), row


def test_a_persuaded_person_is_told_the_two_ways_in() -> None:
    decision = decide(shown(health_code()), "markets")
    assert decision.outcome is Outcome.PERSUADE
    assert "R3" in [r.id for r in decision.rules]
