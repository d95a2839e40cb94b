"""The EU packs against their own small expectation tables, and the two one-line edits.

The outcomes below are written from the EU business rules (VR/RR/TR-EU): a full series of an
EMA-approved vaccine counts 14 days after the last dose and for 270 days; a recovery counts
from the first positive test + 11 days until its valid-until date; a negative ("not
detected") test counts 48 h (rapid antigen) or 72 h (NAAT) after sampling in 3G, and 24 h in
2G plus. Everyone here is checked at ``AT`` at an indoor restaurant; people are adults unless
the row says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from jointcheck.credentials.model import Credential, DigitalCovidCertificate
from jointcheck.policy import Evidence

from .factories import (
    CHILD,
    DETECTED,
    ERIKA,
    RAT,
    TODAY,
    contraindication,
    decide,
    edited_pack,
    evaluate_at,
    lab_result,
    recovered,
    shown,
    vaccinated,
    without_payload,
)


def _vax(dn: int, sd: int, days_ago: int, mp: str = "EU/1/20/1528") -> Credential:
    return vaccinated(dn, sd, ERIKA, mp=mp, dt=TODAY - timedelta(days=days_ago))


def _recovered(days_ago: int) -> Credential:
    first = TODAY - timedelta(days=days_ago)
    return recovered(first_positive=first, valid_until=first + timedelta(days=180))


PRESENTED: dict[str, Callable[[], Evidence]] = {
    "nothing": shown,
    "complete 60 days ago": lambda: shown(_vax(2, 2, 60)),
    "complete 10 days ago": lambda: shown(_vax(2, 2, 10)),
    "booster 3/3 5 days ago": lambda: shown(_vax(3, 3, 5)),
    "complete 300 days ago": lambda: shown(_vax(2, 2, 300)),
    "Janssen 1/1 20 days ago": lambda: shown(_vax(1, 1, 20, "EU/1/20/1525")),
    "first of two doses": lambda: shown(_vax(1, 2, 30)),
    "BBIBP-CorV 2/2 (not EMA)": lambda: shown(_vax(2, 2, 60, "BBIBP-CorV")),
    "recovered 30 days ago": lambda: shown(_recovered(30)),
    "recovered 5 days ago": lambda: shown(_recovered(5)),
    "NAAT negative 6 h": lambda: shown(lab_result(hours_ago=6)),
    "NAAT negative 60 h": lambda: shown(lab_result(hours_ago=60)),
    "NAAT negative 80 h": lambda: shown(lab_result(hours_ago=80)),
    "RAT negative 20 h": lambda: shown(lab_result(tt=RAT, hours_ago=20)),
    "RAT negative 60 h": lambda: shown(lab_result(tt=RAT, hours_ago=60)),
    "NAAT positive 6 h": lambda: shown(lab_result(tr=DETECTED, hours_ago=6)),
    "complete + NAAT 6 h": lambda: shown(_vax(2, 2, 60), lab_result(hours_ago=6)),
    "complete + NAAT 30 h": lambda: shown(_vax(2, 2, 60), lab_result(hours_ago=30)),
    "recovered + RAT 20 h": lambda: shown(_recovered(30), lab_result(tt=RAT, hours_ago=20)),
    "contraindication level 2": lambda: shown(contraindication(2, ERIKA)),
    "child of 8, only a level-1 contraindication": lambda: shown(contraindication(1, CHILD)),
}

EU_3G = {
    "nothing": "DENY",
    "complete 60 days ago": "ADMIT",
    "complete 10 days ago": "DENY",
    "booster 3/3 5 days ago": "ADMIT",
    "complete 300 days ago": "DENY",
    "Janssen 1/1 20 days ago": "ADMIT",
    "first of two doses": "DENY",
    "BBIBP-CorV 2/2 (not EMA)": "DENY",
    "recovered 30 days ago": "ADMIT",
    "recovered 5 days ago": "DENY",
    "NAAT negative 6 h": "ADMIT",
    "NAAT negative 60 h": "ADMIT",
    "NAAT negative 80 h": "DENY",
    "RAT negative 20 h": "ADMIT",
    "RAT negative 60 h": "DENY",
    "NAAT positive 6 h": "DENY",
    "contraindication level 2": "DENY",
    "child of 8, only a level-1 contraindication": "ADMIT",
}

EU_2G = {
    "nothing": "DENY",
    "complete 60 days ago": "ADMIT",
    "complete 300 days ago": "DENY",
    "first of two doses": "DENY",
    "recovered 30 days ago": "ADMIT",
    "NAAT negative 6 h": "DENY",
    "RAT negative 20 h": "DENY",
    "contraindication level 2": "DENY",
    "child of 8, only a level-1 contraindication": "ADMIT",
}

EU_2G_PLUS = {
    "nothing": "DENY",
    "complete 60 days ago": "DENY",
    "recovered 30 days ago": "DENY",
    "NAAT negative 6 h": "DENY",
    "complete + NAAT 6 h": "ADMIT",
    "complete + NAAT 30 h": "DENY",
    "recovered + RAT 20 h": "ADMIT",
    "child of 8, only a level-1 contraindication": "ADMIT",
}

CASES = [
    (pack_id, presented, outcome)
    for pack_id, table in (("eu-3g", EU_3G), ("eu-2g", EU_2G), ("eu-2g-plus", EU_2G_PLUS))
    for presented, outcome in table.items()
]


@pytest.mark.parametrize(("pack_id", "presented", "outcome"), CASES)
def test_eu_pack_decides_as_the_business_rules_say(
    pack_id: str, presented: str, outcome: str
) -> None:
    decision = decide(PRESENTED[presented](), "gastronomy", pack_id)
    assert decision.outcome.value == outcome


@pytest.mark.parametrize(("pack_id", "presented", "outcome"), CASES)
def test_the_typed_entries_decide_as_the_dcc_payload_does(
    pack_id: str, presented: str, outcome: str
) -> None:
    evidence = PRESENTED[presented]()
    typed = replace(
        evidence,
        certificates=tuple(
            without_payload(c) if isinstance(c, DigitalCovidCertificate) else c
            for c in evidence.certificates
        ),
    )
    assert decide(typed, "gastronomy", pack_id).outcome.value == outcome


def test_eu_packs_need_no_health_code_and_say_which_rule_admitted() -> None:
    decision = decide(shown(_recovered(30)), "gastronomy", "eu-3g")
    assert decision.reasons[0].value == "VACCINATED"
    assert [(r.id, r.passed) for r in decision.rules][:2] == [
        ("EU-VAX-0001", False),
        ("EU-REC-0001", True),
    ]


# The two one-line edits of docs/policy.md, applied to the pack text as an operator would.
BOOSTER_180 = (
    "- plusTime: [{var: payload.v.0.dt}, 270, day]",
    "- plusTime: [{var: payload.v.0.dt}, 180, day]",
)
TEST_48H = (
    "- plusTime: [{var: payload.t.0.sc}, 24, hour]",
    "- plusTime: [{var: payload.t.0.sc}, 48, hour]",
)


def test_booster_within_180_days_is_a_one_line_edit() -> None:
    edited = edited_pack("eu-2g", *BOOSTER_180)
    done_200_days_ago = shown(_vax(2, 2, 200))
    boosted_30_days_ago = shown(_vax(3, 3, 30))
    assert decide(done_200_days_ago, "gastronomy", "eu-2g").outcome.value == "ADMIT"
    assert evaluate_at(done_200_days_ago, "gastronomy", edited).outcome.value == "DENY"
    assert evaluate_at(boosted_30_days_ago, "gastronomy", edited).outcome.value == "ADMIT"


def test_negative_test_within_48_hours_is_a_one_line_edit() -> None:
    edited = edited_pack("eu-2g-plus", *TEST_48H)
    tested_30_hours_ago = shown(_vax(2, 2, 60), lab_result(hours_ago=30))
    tested_50_hours_ago = shown(_vax(2, 2, 60), lab_result(hours_ago=50))
    assert decide(tested_30_hours_ago, "gastronomy", "eu-2g-plus").outcome.value == "DENY"
    assert evaluate_at(tested_30_hours_ago, "gastronomy", edited).outcome.value == "ADMIT"
    assert evaluate_at(tested_50_hours_ago, "gastronomy", edited).outcome.value == "DENY"
