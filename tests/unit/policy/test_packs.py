"""Loading packs: the shipped ones load, a malformed one fails with the path of the bad field."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from jointcheck.errors import PolicyPackError
from jointcheck.policy import (
    SHIPPED_PACKS,
    Mode,
    load_pack,
    load_shipped,
    resolve_pack,
    shipped_pack_text,
)

from .factories import FIVE, decide, health_code, shown

R1_AND_R2 = {
    "offices", "medical_institutions", "pharmacies", "traffic_stations",
    "public_transport_vehicles", "hotels", "malls_and_supermarkets", "markets",
    "financial_institutions", "tourist_attractions", "amusement_places",
    "indoor_cultural_entertainment_places", "residential_quarters", "nursing_homes",
    "welfare_homes", "primary_schools", "kindergartens", "susceptible_gathering_places",
}  # fmt: skip


@pytest.mark.parametrize("pack_id", SHIPPED_PACKS)
def test_every_shipped_pack_loads_with_zh_and_en_names(pack_id: str) -> None:
    pack = load_shipped(pack_id)
    assert pack.id == pack_id
    assert all(c.name.zh and c.name.en for c in pack.categories)
    assert all(r.description.zh and r.description.en for r in pack.rules)


@pytest.mark.parametrize("pack_id", ["fangzi-2021", "fangzi-2021-11"])
def test_the_district_packs_name_every_place_of_r1_and_r2(pack_id: str) -> None:
    pack = load_shipped(pack_id)
    assert {c.id for c in pack.categories} >= R1_AND_R2
    restricted = {c.id for c in pack.categories if c.mode is Mode.RESTRICT}
    assert restricted == {
        "nursing_homes", "welfare_homes", "primary_schools", "kindergartens",
        "susceptible_gathering_places",
    }  # fmt: skip


def test_fangzi_2021_11_changes_one_parameter_beside_its_identity() -> None:
    old = shipped_pack_text("fangzi-2021").splitlines()
    new = shipped_pack_text("fangzi-2021-11").splitlines()
    changed = [
        line for line in difflib.unified_diff(old, new, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]  # fmt: skip
    assert changed == [
        "-id: fangzi-2021", "+id: fangzi-2021-11",
        "-valid_from: 2021-08-31", "+valid_from: 2021-10-24",
        "-  eligible_age_years: 12", "+  eligible_age_years: 3",
    ]  # fmt: skip


def test_a_five_year_old_is_eligible_under_fangzi_2021_11_only() -> None:
    evidence = shown(health_code(subject=FIVE))
    assert decide(evidence, "kindergartens", "fangzi-2021").outcome.value == "ADMIT"
    later = decide(evidence, "kindergartens", "fangzi-2021-11")
    assert later.outcome.value == "DENY"
    assert later.reasons[0].value == "NOT_VACCINATED_RESTRICTED"


def _fangzi_with(old: str, new: str) -> str:
    text = shipped_pack_text("fangzi-2021")
    assert text.count(old) == 1, old
    return text.replace(old, new)


MALFORMED = [
    # (what is wrong, old text, new text, the path the error must name)
    ("unknown mode", "Traffic stations}, mode: persuade", "Traffic stations}, mode: maybe",
     "categories[3].mode"),
    ("age not a number", "eligible_age_years: 12", "eligible_age_years: twelve",
     "parameters.eligible_age_years"),
    ("unknown colour", "passing_colours: [green]", "passing_colours: [blue]",
     "parameters.passing_colours[0]"),
    ("missing parameter", "  completed: VR-CN-0002\n", "", "parameters.completed"),
    ("unknown parameter", "  retention_days: 28\n", "  retention_days: 28\n  retain: 1\n",
     "parameters.retain"),
    ("rule not defined", "vaccinated_for_entry: VR-CN-0001", "vaccinated_for_entry: VR-CN-0009",
     "parameters.vaccinated_for_entry"),
    ("completed names no rule", "completed: VR-CN-0002", "completed: VR-CN-0003",
     "parameters.completed"),
    ("not CertLogic", '">=": [{var: payload.v.0.dn}, 1]', "or: [{var: payload.v.0.dn}, 1]",
     "rules[0].logic"),
    ("duplicate category", "{id: welfare_homes,", "{id: nursing_homes,", "categories[14].id"),
    ("no such date", "valid_from: 2021-08-31", "valid_from: 2021-02-30", "valid_from"),
    ("bad version", "version: 1.0.0", "version: one", "version"),
    ("no doses", "CanSino Convidecia}, series_doses: 1", "CanSino Convidecia}, series_doses: 0",
     "products[4].series_doses"),
    ("unknown requirement", "en: Offices}, mode: persuade, requirements: [R1, R3]",
     "en: Offices}, mode: persuade, requirements: [R15, R3]", "categories[0].requirements[0]"),
    ("missing English name", "name: {zh: 药店, en: Pharmacies}", "name: {zh: 药店}",
     "categories[2].name.en"),
    ("duplicate key", "  retention_days: 28\n", "  retention_days: 28\n  retention_days: 7\n",
     "retention_days"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "old", "new", "path"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_pack_names_the_path_of_the_bad_field(
    what: str, old: str, new: str, path: str
) -> None:
    with pytest.raises(PolicyPackError) as caught:
        load_pack(_fangzi_with(old, new))
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}: ")


def test_a_nested_condition_names_the_path_inside_it() -> None:
    text = shipped_pack_text("eu-2g-plus").replace("- EU-TEST-0002\n", "- TR-EU-0099\n")
    with pytest.raises(PolicyPackError) as caught:
        load_pack(text)
    assert caught.value.path == "parameters.vaccinated_for_entry.all_of[1]"


@pytest.mark.parametrize("text", ["just words", "- a\n- list\n", "id: [unclosed"])
def test_text_that_is_not_a_pack_mapping_is_refused(text: str) -> None:
    with pytest.raises(PolicyPackError):
        load_pack(text)


def test_a_pack_file_is_loaded_from_its_path_and_a_missing_file_is_an_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "district.yaml"
    path.write_text(shipped_pack_text("fangzi-2021"), encoding="utf-8")
    assert load_pack(path).id == "fangzi-2021"
    with pytest.raises(PolicyPackError, match="cannot read"):
        load_pack(tmp_path / "missing.yaml")


def test_an_unknown_pack_name_lists_the_shipped_ones() -> None:
    with pytest.raises(PolicyPackError, match="fangzi-2021, fangzi-2021-11"):
        resolve_pack("fangzi-2022")
