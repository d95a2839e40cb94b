"""``jointcheck policy show|check|explain`` as an operator uses them."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jointcheck.cli.main import app
from jointcheck.policy import SHIPPED_PACKS, Decision, load_shipped, shipped_pack_text

from . import district_cli
from .district_cli import AT, District, first_dose, make_district
from .factories import CHILD, contraindication, decide, health_code, shown, vaccinated


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> District:
    return make_district(tmp_path_factory.mktemp("district"))


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def _row(table: str, situation: str) -> list[str]:
    """The restrict and persuade cells of one row of the printed decision table."""
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells and cells[0] == situation:
            return cells[1:]
    return []


def test_show_prints_the_decision_table_and_every_category_in_both_languages() -> None:
    code, out, _ = _invoke("policy", "show", "fangzi-2021")
    assert code == 0
    assert "未满 12 周岁 / under 12" in out
    assert _row(out, "未接种 / not vaccinated") == ["DENY", "PERSUADE + REGISTER"]
    assert _row(out, "未接种，已登记 / not vaccinated, registered") == ["DENY", "ADMIT_REGISTERED"]
    for text in (
        "nursing_homes",
        "养老院",
        "Nursing homes",
        "限制 restrict",
        "residential_quarters",
    ):
        assert text in out
    assert "VR-CN-0001" in out


def test_show_reads_a_pack_file_too(tmp_path: Path) -> None:
    path = tmp_path / "eu.yaml"
    path.write_text(shipped_pack_text("eu-2g-plus"), encoding="utf-8")
    code, out, _ = _invoke("policy", "show", str(path))
    assert code == 0
    assert "all of (any of (EU-VAX-0001, EU-REC-0001), EU-TEST-0002)" in out


def test_check_accepts_a_good_pack_and_names_the_bad_field_of_a_bad_one(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(shipped_pack_text("fangzi-2021"), encoding="utf-8")
    code, out, _ = _invoke("policy", "check", str(good))
    assert (code, out.split()[:2]) == (0, ["OK", "fangzi-2021"])
    bad = tmp_path / "bad.yaml"
    text = shipped_pack_text("fangzi-2021").replace(
        "en: Traffic stations}, mode: persuade", "en: Traffic stations}, mode: maybe"
    )
    bad.write_text(text, encoding="utf-8")
    code, _, err = _invoke("policy", "check", str(bad))
    assert code == 1
    assert "field: categories[3].mode" in err


def test_check_of_a_missing_file_is_an_error(tmp_path: Path) -> None:
    code, _, err = _invoke("policy", "check", str(tmp_path / "none.yaml"))
    assert code == 1
    assert "cannot read" in err


def test_explain_verifies_the_codes_then_explains_the_decision(district: District) -> None:
    codes = [district_cli.health_code(district), first_dose(district)]
    at = "2021-09-15T10:01:00+08:00"
    code, out, _ = _invoke(
        "policy", "explain", "--venue", "nursing_homes", "--at", at,
        *district.trust_options(), *codes,
    )  # fmt: skip
    assert code == 0
    assert out.startswith("ADMIT 准许进入 / Admit")
    assert "张*三 1949-**-**" in out
    assert "✓ VR-CN-0001" in out


def test_explain_without_a_vaccination_persuades_and_asks_for_registration(
    district: District,
) -> None:
    args = ["policy", "explain", "--venue", "markets", "--at", AT, *district.trust_options()]
    code, out, _ = _invoke(*args, district_cli.health_code(district))
    assert code == 1
    assert out.startswith("PERSUADE")
    assert "REGISTER" in out
    code, out, _ = _invoke(*args, "--registered", "--json", district_cli.health_code(district))
    decision = json.loads(out)
    assert (code, decision["outcome"], decision["reasons"]) == (
        0, "ADMIT_REGISTERED", ["REGISTERED_ENTRY"],
    )  # fmt: skip


def test_explain_reports_a_red_code_and_a_code_that_did_not_verify(district: District) -> None:
    code, out, _ = _invoke(
        "policy", "explain", "--venue", "hotels", "--at", AT, "--json",
        *district.trust_options(), district_cli.health_code(district, "red"), "HC1:NOT-A-CODE",
    )  # fmt: skip
    decision = json.loads(out)
    assert code == 1
    assert decision["outcome"] == "DENY"
    assert decision["actions"] == ["REPORT_TO_STREET"]
    assert decision["reasons"] == ["HEALTH_CODE_RED", "CREDENTIAL_NOT_VERIFIED"]
    assert decision["failures"] != []


def test_explain_at_an_unknown_venue_is_a_usage_error(district: District) -> None:
    code, _, err = _invoke(
        "policy", "explain", "--venue", "moon_base", "--at", AT, *district.trust_options(),
        district_cli.health_code(district),
    )  # fmt: skip
    assert code == 2
    assert "VENUE_CATEGORY_UNKNOWN" in err


def _outcome_cell(decision: Decision) -> str:
    return " + ".join([decision.outcome.value, *(a.value for a in decision.actions)])


def test_the_printed_decision_table_is_what_evaluate_decides() -> None:
    _, out, _ = _invoke("policy", "show", "fangzi-2021")
    situations = {
        "无有效健康码 / no valid health code (R1)": shown(vaccinated(2, 2)),
        "健康码 yellow/red / yellow/red code (R4)": shown(health_code("yellow")),
        "未满 12 周岁 / under 12": shown(health_code(subject=CHILD)),
        "符合接种要求 / vaccinated for entry: VR-CN-0001": shown(health_code(), vaccinated(1, 2)),
        "未接种，持2级及以上医院禁忌证明 / contraindication, level >= 2": shown(
            health_code(), contraindication(2)
        ),
        "未接种，已登记 / not vaccinated, registered": shown(health_code(), registered=True),
        "未接种 / not vaccinated": shown(health_code()),
    }
    for situation, evidence in situations.items():
        printed = _row(out, situation)
        decided = [_outcome_cell(decide(evidence, venue)) for venue in ("nursing_homes", "markets")]
        assert printed == decided, situation


def _german_dcc(vectors: Path, number: int, tmp_path: Path) -> tuple[str, Path, str]:
    """A German test DCC of the public suite: its QR text, its signing certificate, its clock."""
    case = json.loads((vectors / f"dcc-testdata/DE/2DCode/raw/{number}.json").read_text("utf-8"))
    certificate = tmp_path / f"de{number}.der"
    certificate.write_bytes(base64.b64decode(case["TESTCTX"]["CERTIFICATE"]))
    return case["PREFIX"], certificate, case["TESTCTX"]["VALIDATIONCLOCK"]


@pytest.mark.parametrize(
    ("number", "outcome", "admitted_by"),
    [(1, "DENY", None), (3, "ADMIT", "EU-REC-0001"), (4, "DENY", None)],
    ids=["Spikevax 2/2 three days ago", "recovered", "Spikevax 1/2"],
)
def test_german_certificates_under_2g(
    vectors: Path, tmp_path: Path, number: int, outcome: str, admitted_by: str | None
) -> None:
    text, certificate, clock = _german_dcc(vectors, number, tmp_path)
    code, out, _ = _invoke(
        "policy", "explain", "--pack", "eu-2g", "--venue", "gastronomy", "--at", clock,
        "--dsc", str(certificate), "--json", text,
    )  # fmt: skip
    decision = json.loads(out)
    assert (code, decision["outcome"]) == (0 if outcome == "ADMIT" else 1, outcome)
    passed = [r["id"] for r in decision["rules"] if r["passed"] is True]
    assert passed == ([admitted_by] if admitted_by else [])
    assert decision["person"] == {"name": "M********* E****", "dob": "1964-**-**"}
    assert [r["id"] for r in decision["rules"] if r["passed"] is None] == ["R13"]


@pytest.mark.parametrize("pack_id", SHIPPED_PACKS)
def test_show_prints_every_shipped_pack_with_its_rules(pack_id: str) -> None:
    code, out, _ = _invoke("policy", "show", pack_id)
    assert code == 0
    for rule in load_shipped(pack_id).rules:
        assert rule.id in out
