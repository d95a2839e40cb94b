"""Invariants of MISSION.md R1-R4 over generated evidence, at every category of every pack.

Whatever is shown, ``evaluate`` returns a decision (house rule 1), and: a yellow or red code is
refused and reported (R4); a restricted place never persuades nor admits on registration
(R2); persuasion always offers registration (R3); the stored summary holds no personal data.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from jointcheck.credentials.model import Credential, HealthCode, Subject
from jointcheck.policy import SHIPPED_PACKS, Action, Mode, Outcome

from .factories import (
    AT,
    TODAY,
    contraindication,
    decide,
    health_code,
    pack,
    shown,
    vaccinated,
)

PRODUCTS = ("BBIBP-CorV", "CoronaVac", "Convidecia", "EU/1/20/1528", "EU/1/20/1525", "Abdala")
VENUES = [(p, c.id) for p in SHIPPED_PACKS for c in pack(p).pack.categories]


@st.composite
def people(draw: st.DrawFn) -> tuple[list[Credential], bool, Subject]:
    """What one person may show: any mix of a code, a certificate and a contraindication."""
    year = draw(st.integers(1930, 2021))
    dob = draw(st.sampled_from([f"{year}", f"{year}-06", f"{year}-06-15", ""]))
    person = Subject(dob=dob, fnt="WANG", gnt="WU", id_hash="ab" * 32)
    shown_: list[Credential] = []
    if draw(st.booleans()):
        colour = draw(st.sampled_from(["green", "yellow", "red"]))
        age = timedelta(seconds=draw(st.integers(0, 600)))
        shown_.append(health_code(colour, person, age=age))
    if draw(st.booleans()):
        sd = draw(st.integers(1, 3))
        dn = draw(st.integers(1, 4))
        days = draw(st.integers(0, 400))
        mp = draw(st.sampled_from(PRODUCTS))
        shown_.append(vaccinated(dn, sd, person, mp=mp, dt=TODAY - timedelta(days=days)))
    if draw(st.booleans()):
        start = TODAY - timedelta(days=draw(st.integers(-30, 300)))
        shown_.append(
            contraindication(
                draw(st.integers(1, 3)), person, valid_from=start,
                valid_to=start + timedelta(days=draw(st.integers(0, 200))),
            )
        )  # fmt: skip
    return shown_, draw(st.booleans()), person


@settings(max_examples=300, deadline=None)
@given(people(), st.sampled_from(VENUES))
def test_every_decision_keeps_the_invariants_of_r1_to_r4(
    person: tuple[list[Credential], bool, Subject], venue: tuple[str, str]
) -> None:
    credentials, registered, subject = person
    pack_id, category = venue
    compiled = pack(pack_id)
    decision = decide(shown(*credentials, registered=registered), category, pack_id)
    mode = compiled.modes[category]
    codes = [c for c in credentials if isinstance(c, HealthCode)]
    if compiled.health_code_required and any(c.colour != "green" for c in codes):
        assert decision.outcome is Outcome.DENY
        fresh = AT - codes[0].issued_at <= timedelta(seconds=210)  # fangzi packs: 210 s
        if fresh:
            assert decision.actions == (Action.REPORT_TO_STREET,)
    if mode is Mode.RESTRICT:
        assert decision.outcome not in {Outcome.PERSUADE, Outcome.ADMIT_REGISTERED}
    if decision.outcome is Outcome.PERSUADE:
        assert decision.actions == (Action.REGISTER,)
    if decision.outcome is Outcome.ADMIT_REGISTERED:
        assert registered
    stored = repr(decision.summary.as_dict())
    assert str(subject.id_hash) not in stored
    assert "WANG" not in stored
    assert decision.summary.pack_id == pack_id
    assert decision.reasons
