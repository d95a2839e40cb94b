"""The operator's and the inspector's command line (issue 2): keys, trust list, revocation
list, issuance and ``jointcheck verify`` with its exit codes and JSON lines."""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass
from pathlib import Path

import factories as f
import pytest
from cryptography.hazmat.primitives import serialization
from PIL import Image
from typer.testing import CliRunner, Result

from jointcheck.cli.main import app
from jointcheck.credentials.issue import make_uvci
from jointcheck.credentials.qrimage import qr_image

ISSUED = "2021-09-01T08:00:00Z"
SCANNED = "2021-09-01T08:01:00Z"
PERSON = ["--id-number", "11010519491231002X", "--name", "张小三", "--dob", "1949-12-31"]
STEPS = {"unprefix", "base45", "decompress", "cose", "signature", "schema", "expiry", "key_usage"}


def run(*args: str | Path, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], input=stdin)


def ok(*args: str | Path) -> Result:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result


@dataclass(frozen=True)
class District:
    """A district set up through the CLI, as an operator would (docs/issuance.md)."""

    dir: Path

    def __truediv__(self, name: str) -> Path:
        return self.dir / name

    @property
    def trust(self) -> list[str | Path]:
        return ["--trust", self / "trust.json", "--root", self / "root.pub.pem"]

    def issue(self, kind: str, key: str, *options: str) -> str:
        out = ok(
            "issue",
            kind,
            *options,
            *PERSON,
            "--key",
            self / key,
            "--subject-key",
            self / "subject.key",
            "--at",
            ISSUED,
        )
        return out.stdout.strip()

    def health_code(self, colour: str = "green") -> str:
        return self.issue("health-code", "hc.pem", "--colour", colour)


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> District:
    d = District(tmp_path_factory.mktemp("district"))
    ok("keys", "create", d / "root.pem", "--kind", "root")
    for name in ("hc", "hosp", "vacc"):
        ok("keys", "create", d / f"{name}.pem")
    ok("keys", "create", d / "subject.key", "--kind", "subject")
    ok("trust", "init", d / "work.json", "--district", "370704")
    ok(
        "trust",
        "add-issuer",
        d / "work.json",
        "--public-key",
        d / "hc.pub.pem",
        "--role",
        "health_code_issuer",
        "--name",
        "坊子区健康码",
    )
    ok(
        "trust",
        "add-issuer",
        d / "work.json",
        "--public-key",
        d / "hosp.pub.pem",
        "--role",
        "medical_institution",
        "--level",
        "2",
        "--name",
        "坊子区人民医院",
    )
    ok(
        "trust",
        "add-issuer",
        d / "work.json",
        "--public-key",
        d / "vacc.pub.pem",
        "--role",
        "vaccination_issuer",
        "--name",
        "坊子区卫生健康局",
    )
    ok("trust", "sign", d / "work.json", "--key", d / "root.pem", "--out", d / "trust.json")
    return d


def test_private_keys_are_written_0600_and_never_overwritten(district: District) -> None:
    for name in ("root.pem", "hc.pem", "subject.key"):
        assert stat.S_IMODE((district / name).stat().st_mode) == 0o600
    again = run("keys", "create", district / "hc.pem")
    assert again.exit_code == 2
    assert "refusing to overwrite" in again.output


def test_a_key_file_others_can_read_is_refused(district: District, tmp_path: Path) -> None:
    ok("keys", "create", tmp_path / "open.pem")
    (tmp_path / "open.pem").chmod(0o644)
    result = run(
        "issue",
        "health-code",
        "--colour",
        "green",
        *PERSON,
        "--key",
        tmp_path / "open.pem",
        "--subject-key",
        district / "subject.key",
    )
    assert result.exit_code == 2
    assert "KEY_FILE_TOO_OPEN" in result.output


def test_issued_codes_verify_and_print_masked(district: District) -> None:
    for text in (
        district.health_code(),
        district.issue(
            "contraindication",
            "hosp.pem",
            "--category",
            "allergy",
            "--valid-from",
            "2021-08-01",
            "--valid-to",
            "2021-12-31",
        ),
        district.issue(
            "vaccination",
            "vacc.pem",
            "--product",
            "Convidecia",
            "--dose",
            "1",
            "--doses",
            "1",
            "--date",
            "2021-07-01",
            "--issuer-name",
            "坊子区卫生健康局",
            "--uvci",
            "FZ/2021000009",
        ),
    ):
        result = ok("verify", text, "--at", SCANNED, *district.trust)
        assert "验证通过" in result.stdout
        assert "Verified" in result.stdout
        assert "张*三" in result.stdout
        assert "张小三" not in result.stdout
        assert "11010519491231002X" not in result.stdout
        assert "1949-**-**" in result.stdout


def test_json_has_one_object_per_code_with_valid_reason_type_and_steps(district: District) -> None:
    result = ok(
        "verify", district.health_code("yellow"), "--at", SCANNED, *district.trust, "--json"
    )
    [line] = result.stdout.splitlines()
    report = json.loads(line)
    assert report["valid"] is True
    assert report["reason"] == "OK"
    assert report["type"] == "health_code"
    assert set(report["steps"]) == STEPS
    assert all(report["steps"].values())
    assert report["credential"]["colour"] == "yellow"
    assert report["credential"]["paper"] is False  # the dynamic code (issue 4: paper codes)
    assert report["credential"]["name"] == "张*三"


def test_qr_images_png_and_svg_are_written_and_png_is_read(district: District) -> None:
    png, svg = district / "code.png", district / "code.svg"
    for out in (png, svg):
        ok(
            "issue",
            "health-code",
            "--colour",
            "green",
            *PERSON,
            "--key",
            district / "hc.pem",
            "--subject-key",
            district / "subject.key",
            "--at",
            ISSUED,
            "--out",
            out,
            "--text-out",
            district / "code.txt",
        )
    assert png.read_bytes().startswith(b"\x89PNG")
    assert svg.read_bytes().startswith(b"<?xml")
    result = ok("verify", png, "--at", SCANNED, *district.trust, "--json")
    assert json.loads(result.stdout)["type"] == "health_code"


def test_bulk_from_stdin_reports_every_line_and_fails_if_any_fails(district: District) -> None:
    good = district.health_code()
    lines = f"{good}\n\nHC1:NOT-BASE45-@@\n{good}\n"
    result = run("verify", "-", "--at", SCANNED, *district.trust, "--json", stdin=lines)
    assert result.exit_code == 1
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["reason"] for r in reports] == ["OK", "BAD_BASE45", "OK"]
    assert reports[1]["steps"]["base45"] is False
    assert reports[1]["steps"]["decompress"] is None
    # The same health code twice in one audit is flagged, not refused.
    assert reports[2]["warnings"] == ["DUPLICATE_PRESENTATION"]


def test_expired_health_code_fails_with_exit_1_and_both_messages(district: District) -> None:
    result = run("verify", district.health_code(), "--at", "2021-09-01T08:10:00Z", *district.trust)
    assert result.exit_code == 1
    assert "EXPIRED" in result.stdout
    assert "凭证已过期" in result.stdout
    assert "Expired" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "yesterday"], "ISO 8601"),
        (["--at", "2021-09-01T08:00:00"], "time zone"),
        (["--at", SCANNED, "--trust", "missing.json", "--root", "missing.pem"], "cannot read"),
        (["--at", SCANNED], "--trust var/trust/trust-list.json --root var/trust/root.pub.pem"),
    ],
)
def test_usage_errors_exit_2(district: District, args: list[str], message: str) -> None:
    result = run("verify", district.health_code(), *args)
    assert result.exit_code == 2
    assert message in result.output


def test_missing_image_or_image_without_code_exits_2(district: District, tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    Image.new("L", (64, 64), 255).save(blank)
    assert run("verify", tmp_path / "none.png", "--at", SCANNED, *district.trust).exit_code == 2
    result = run("verify", blank, "--at", SCANNED, *district.trust)
    assert result.exit_code == 2
    assert "no QR code" in result.output


def test_forged_trust_list_is_a_usage_error_naming_the_reason(
    district: District, tmp_path: Path
) -> None:
    document = json.loads((district / "trust.json").read_text())
    document["payload"]["issuers"][0]["level"] = 3
    forged = tmp_path / "trust.json"
    forged.write_text(json.dumps(document))
    result = run(
        "verify",
        district.health_code(),
        "--at",
        SCANNED,
        "--trust",
        forged,
        "--root",
        district / "root.pub.pem",
    )
    assert result.exit_code == 2
    assert "TRUST_LIST_FORGED" in result.output
    inspected = run("trust", "inspect", forged, "--root", district / "root.pub.pem")
    assert inspected.exit_code == 1
    assert "TRUST_LIST_FORGED" in inspected.output


def test_removed_issuer_codes_become_unknown_kid(district: District, tmp_path: Path) -> None:
    work = tmp_path / "work.json"
    work.write_text((district / "work.json").read_text())
    kid = json.loads(work.read_text())["issuers"][0]["kid"]
    ok("trust", "remove-issuer", work, "--kid", kid)
    ok(
        "trust",
        "sign",
        work,
        "--key",
        district / "root.pem",
        "--out",
        tmp_path / "trust.json",
        "--version",
        "2",
    )
    inspected = ok("trust", "inspect", tmp_path / "trust.json", "--root", district / "root.pub.pem")
    assert "version 2" in inspected.stdout
    result = run(
        "verify",
        district.health_code(),
        "--at",
        SCANNED,
        "--json",
        "--trust",
        tmp_path / "trust.json",
        "--root",
        district / "root.pub.pem",
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["reason"] == "UNKNOWN_KID"


def test_revocation_list_revokes_a_health_code_and_a_uvci(
    district: District, tmp_path: Path
) -> None:
    code = district.health_code()
    vacc = district.issue(
        "vaccination",
        "vacc.pem",
        "--product",
        "CoronaVac",
        "--dose",
        "2",
        "--doses",
        "2",
        "--date",
        "2021-07-01",
        "--issuer-name",
        "坊子区卫生健康局",
        "--uvci",
        "FZ/2021000042",
    )
    shown = json.loads(ok("verify", code, "--at", SCANNED, *district.trust, "--json").stdout)
    uvci = json.loads(ok("verify", vacc, "--at", SCANNED, *district.trust, "--json").stdout)
    assert uvci["valid"]
    work, signed = tmp_path / "revoked.txt", tmp_path / "revoked.jcrl"
    ok("revocation", "add", work, "credential_id", shown["credential"]["credential_id"])
    ok("revocation", "add", work, "uvci", make_uvci("FZ", "2021000042"))
    assert "URN:UVCI" not in work.read_text()  # hashed, never in clear
    ok(
        "revocation",
        "sign",
        work,
        "--version",
        "1",
        "--key",
        district / "root.pem",
        "--out",
        signed,
    )
    inspected = ok("revocation", "inspect", signed, "--root", district / "root.pub.pem")
    assert "2 entries" in inspected.stdout
    result = run(
        "verify",
        "-",
        "--at",
        SCANNED,
        *district.trust,
        "--revocations",
        signed,
        "--json",
        stdin=f"{code}\n{vacc}\n{district.health_code()}\n",
    )
    assert result.exit_code == 1
    assert [json.loads(x)["reason"] for x in result.stdout.splitlines()] == [
        "REVOKED",
        "REVOKED",
        "OK",
    ]


def test_dsc_option_trusts_a_signing_certificate_directly(tmp_path: Path) -> None:
    signer = f.signer(seed=11)
    pem, der = tmp_path / "dsc.pem", tmp_path / "dsc.der"
    pem.write_bytes(signer.certificate.public_bytes(serialization.Encoding.PEM))
    der.write_bytes(signer.certificate.public_bytes(serialization.Encoding.DER))
    text = f.issue_dcc(signer)
    for cert in (pem, der):
        result = ok("verify", text, "--at", f.NOW.isoformat(), "--dsc", cert, "--json")
        assert json.loads(result.stdout)["type"] == "dcc_vaccination"
    other = tmp_path / "other.pem"
    other.write_bytes(f.signer(seed=12).certificate.public_bytes(serialization.Encoding.PEM))
    result = run("verify", text, "--at", f.NOW.isoformat(), "--dsc", other, "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["reason"] == "UNKNOWN_KID"


def test_import_dsc_adds_the_certificate_under_its_hcert_kid(
    district: District, tmp_path: Path
) -> None:
    signer = f.signer(seed=13)
    cert = tmp_path / "dsc.der"
    cert.write_bytes(signer.certificate.public_bytes(serialization.Encoding.DER))
    work = tmp_path / "work.json"
    ok("trust", "init", work)
    imported = ok("trust", "import-dsc", work, cert)
    assert signer.kid.hex() in imported.stdout
    ok("trust", "sign", work, "--key", district / "root.pem", "--out", tmp_path / "t.json")
    result = ok(
        "verify",
        f.issue_dcc(signer),
        "--at",
        f.NOW.isoformat(),
        "--json",
        "--trust",
        tmp_path / "t.json",
        "--root",
        district / "root.pub.pem",
    )
    assert json.loads(result.stdout)["valid"]


def test_signing_key_can_come_from_an_environment_variable(
    district: District, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JC_TEST_HC_KEY", (district / "hc.pem").read_text())
    result = ok(
        "issue",
        "health-code",
        "--colour",
        "red",
        *PERSON,
        "--key-env",
        "JC_TEST_HC_KEY",
        "--subject-key",
        district / "subject.key",
        "--at",
        ISSUED,
    )
    report = json.loads(
        ok("verify", result.stdout.strip(), "--at", SCANNED, *district.trust, "--json").stdout
    )
    assert report["credential"]["colour"] == "red"
    assert (
        run(
            "issue",
            "health-code",
            "--colour",
            "red",
            *PERSON,
            "--key-env",
            "JC_UNSET_VARIABLE",
            "--subject-key",
            district / "subject.key",
        ).exit_code
        == 2
    )


def test_a_jpeg_photo_of_the_code_is_read(district: District, tmp_path: Path) -> None:
    text = district.health_code()
    png = tmp_path / "code.png"
    png.write_bytes(qr_image(text, "png", scale=6))
    jpeg = tmp_path / "photo.jpg"
    with Image.open(png) as image:
        image.convert("RGB").save(jpeg, quality=80)
    result = ok("verify", jpeg, "--at", SCANNED, *district.trust, "--json")
    assert json.loads(result.stdout)["type"] == "health_code"


def _paper(district: District, *options: str) -> Result:
    return run(
        "issue", "health-code", "--colour", "green", "--paper", *options, *PERSON,
        "--key", district / "hc.pem", "--subject-key", district / "subject.key", "--at", ISSUED,
    )  # fmt: skip


def _verified(district: District, text: str, at: str) -> dict[str, object]:
    report: dict[str, object] = json.loads(
        run("verify", text, "--at", at, *district.trust, "--json").stdout
    )
    return report


def test_a_paper_health_code_lives_the_deployments_paper_lifetime(
    district: District, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # R14: someone without a phone carries a printed code, which cannot refresh; it lives
    # JOINTCHECK_PAPER_CODE_TTL_HOURS (24 h by default), as the holder page's print.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JOINTCHECK_PAPER_CODE_TTL_HOURS", raising=False)
    issued = _paper(district)
    assert issued.exit_code == 0, issued.output
    report = _verified(district, issued.stdout.strip(), "2021-09-02T07:59:00Z")
    assert report["valid"] is True
    credential = report["credential"]
    assert isinstance(credential, dict)
    assert credential["paper"] is True
    assert credential["expires_at"] == "2021-09-02T08:00:00+00:00"
    assert _verified(district, issued.stdout.strip(), "2021-09-02T08:02:00Z")["reason"] == (
        "EXPIRED"
    )
    monkeypatch.setenv("JOINTCHECK_PAPER_CODE_TTL_HOURS", "6")
    short = _paper(district).stdout.strip()
    assert _verified(district, short, "2021-09-01T13:59:00Z")["valid"] is True
    assert _verified(district, short, "2021-09-01T14:02:00Z")["reason"] == "EXPIRED"
    # The dynamic code is still the default, and still short.
    dynamic = _verified(district, district.health_code(), "2021-09-01T08:02:00Z")["credential"]
    assert isinstance(dynamic, dict)
    assert dynamic["paper"] is False
    assert _verified(district, district.health_code(), "2021-09-01T08:10:00Z")["valid"] is False


def test_a_paper_code_takes_no_ttl_and_the_help_says_so(district: District) -> None:
    both = _paper(district, "--ttl", "600")
    assert both.exit_code == 2
    assert "JOINTCHECK_PAPER_CODE_TTL_HOURS" in both.output
    assert "JKM1:" not in both.output
    wide = CliRunner().invoke(app, ["issue", "health-code", "--help"], env={"COLUMNS": "300"})
    assert "--paper" in wide.stdout
    assert "JOINTCHECK_PAPER_CODE_TTL_HOURS (24 h by default)" in wide.stdout


def test_verify_checks_at_the_current_time_when_no_instant_is_given(district: District) -> None:
    """A newcomer's first try names the code and the keys, not an instant: --at is now."""
    fresh = ok(
        "issue", "health-code", "--colour", "green", *PERSON, "--key", district / "hc.pem",
        "--subject-key", district / "subject.key",
    ).stdout.strip()  # fmt: skip
    result = ok("verify", fresh, *district.trust)
    assert "验证通过" in result.stdout
    expired = run("verify", district.health_code(), *district.trust)
    assert expired.exit_code == 1
    assert "Expired" in expired.stdout


def test_a_wrong_id_number_is_refused_with_what_to_do_in_both_languages(district: District) -> None:
    refused = run(
        "issue", "health-code", "--colour", "green", "--id-number", "110105194912310021",
        "--name", "张小三", "--dob", "1949-12-31", "--key", district / "hc.pem",
        "--subject-key", district / "subject.key",
    )  # fmt: skip
    assert refused.exit_code == 2
    assert "error [ID_NUMBER_INVALID]" in refused.output
    assert "证件号码无效" in refused.output
    assert "check it and type it again" in refused.output
