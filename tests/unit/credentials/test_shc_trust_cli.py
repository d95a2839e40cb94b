"""SMART Health Card issuers and CRLs through the operator's command line (docs/issuance.md):
``trust import-jwks``, ``revocation import-shc-crl``, then ``jointcheck verify`` offline."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import shc_cards as c
from typer.testing import CliRunner, Result

from jointcheck.cli.main import app

AT = c.AT.isoformat()
CUTOFF = 1636977600
RID = "lHKzqFUMjhs"


def run(*args: str | Path, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], input=stdin)


def ok(*args: str | Path) -> Result:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result


@dataclass(frozen=True)
class District:
    """A district with a root key and an empty trust-list working file."""

    dir: Path

    def __truediv__(self, name: str) -> Path:
        return self.dir / name

    def write(self, name: str, document: object) -> Path:
        path = self / name
        path.write_text(document if isinstance(document, str) else json.dumps(document))
        return path

    def sign_trust(self) -> list[str | Path]:
        ok("trust", "sign", self / "work.json", "--key", self / "root.pem", "--out", self / "t")
        return ["--trust", self / "t", "--root", self / "root.pub.pem"]

    def sign_revocations(self, work: Path) -> list[str | Path]:
        out = self / "revoked.jcrl"
        ok("revocation", "sign", work, "--version", "1", "--key", self / "root.pem", "--out", out)
        return ["--revocations", out]

    def verify(self, *texts: str, options: list[str | Path]) -> list[str]:
        result = run("verify", "-", "--at", AT, *options, "--json", stdin="\n".join(texts))
        assert result.exit_code in {0, 1}, result.output
        return [json.loads(line)["reason"] for line in result.stdout.splitlines()]


@pytest.fixture
def district(tmp_path: Path) -> District:
    d = District(tmp_path)
    ok("keys", "create", d / "root.pem", "--kind", "root")
    ok("trust", "init", d / "work.json", "--district", "370704")
    return d


def test_imported_jwks_makes_the_example_cards_verify(district: District) -> None:
    jwks = district.write("jwks.json", c.example_jwks())
    imported = ok("trust", "import-jwks", district / "work.json", c.EXAMPLE_ISS, jwks)
    assert c.EXAMPLE_KID in imported.stdout
    assert c.X5C_KID in imported.stdout
    trust = district.sign_trust()
    result = run("verify", c.example_text(0), "--at", AT, *trust, "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["valid"], shown["reason"], shown["type"]) == (True, "OK", "shc_immunization")
    assert district.verify(c.example_text(1), c.example_text(3), options=trust) == ["OK", "OK"]
    inspected = ok("trust", "inspect", district / "t", "--root", district / "root.pub.pem")
    assert "shc_issuer" in inspected.stdout


def test_without_the_import_the_cards_are_unknown(district: District) -> None:
    other = district.write("other.json", {"keys": [c.public_jwk(c.ShcIssuer().key)]})
    ok("trust", "import-jwks", district / "work.json", c.TEST_ISS, other)
    assert district.verify(c.example_text(0), options=district.sign_trust()) == ["UNKNOWN_KID"]


def test_keys_imported_for_another_issuer_url_do_not_vouch_for_the_cards(
    district: District,
) -> None:
    jwks = district.write("jwks.json", c.example_jwks())
    ok("trust", "import-jwks", district / "work.json", "https://elsewhere.example.org", jwks)
    reasons = district.verify(c.example_text(0), options=district.sign_trust())
    assert reasons == ["ISSUER_ROLE_MISSING"]


def _jwk(**changes: object) -> dict[str, object]:
    jwk: dict[str, object] = {**c.example_jwks()["keys"][0], **changes}
    return {"keys": [{k: v for k, v in jwk.items() if v is not None}]}


@pytest.mark.parametrize(
    ("document", "iss", "message"),
    [
        ("{not json", c.EXAMPLE_ISS, "not a JSON object"),
        ({"keys": "none"}, c.EXAMPLE_ISS, "no keys array"),
        (_jwk(kid="not-the-thumbprint"), c.EXAMPLE_ISS, "RFC 7638 thumbprint"),
        (_jwk(d="c2VjcmV0"), c.EXAMPLE_ISS, "private key"),
        (_jwk(crv="P-384"), c.EXAMPLE_ISS, "not a P-256 key"),
        (_jwk(kid=None), c.EXAMPLE_ISS, "without kid"),
        ({"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}, c.EXAMPLE_ISS, "no ES256"),
        (c.example_jwks(), "http://spec.smarthealth.cards/examples/issuer", "https URL"),
        (c.example_jwks(), c.EXAMPLE_ISS + "/", "trailing /"),
    ],
)
def test_a_bad_jwks_is_refused_with_exit_2_and_the_working_file_is_untouched(
    district: District, document: object, iss: str, message: str
) -> None:
    before = (district / "work.json").read_text()
    jwks = district.write("jwks.json", document)
    result = run("trust", "import-jwks", district / "work.json", iss, jwks)
    assert result.exit_code == 2
    assert "error [TRUST_LIST_INVALID]" in result.output
    assert message in result.output
    assert (district / "work.json").read_text() == before


def test_a_missing_jwks_file_is_exit_2(district: District) -> None:
    result = run("trust", "import-jwks", district / "work.json", c.EXAMPLE_ISS, district / "no")
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_example_03_is_revoked_through_the_imported_crl(district: District) -> None:
    ok("trust", "import-jwks", district / "work.json", c.EXAMPLE_ISS, c.WELL_KNOWN / "jwks.json")
    crl = c.WELL_KNOWN / "crl" / f"{c.EXAMPLE_KID}.json"
    work = district / "revoked.txt"
    imported = ok("revocation", "import-shc-crl", work, c.EXAMPLE_ISS, crl)
    assert f"added kid {c.EXAMPLE_KID}: 2 rid(s), 2 cut-off(s)" in imported.stdout
    assert f"rid {c.EXAMPLE_KID}.vwAjHdarZuc.1687450765\n" in work.read_text()
    options = [*district.sign_trust(), *district.sign_revocations(work)]
    texts = [c.example_text(3), c.example_text(0), c.example_text(1), *c.example_chunks()]
    assert district.verify(*texts, options=options) == ["REVOKED", "OK", "OK", "OK"]
    inspected = ok(
        "revocation",
        "inspect",
        district / "revoked.jcrl",
        "--root",
        district / "root.pub.pem",
        "--check",
        f"rid={c.EXAMPLE_KID}.vwAjHdarZuc",
        "--check",
        f"rid={c.EXAMPLE_KID}.FKDIxsTCGlU",
        "--check",
        f"rid={c.EXAMPLE_KID}.MKyCxh7p6uQ",
    )
    assert "2 entries, 2 rid cut-offs" in inspected.stdout
    assert "vwAjHdarZuc: REVOKED if issued (nbf) before 2023-06-22T16:19:25+00:00" in (
        inspected.stdout
    )
    assert "FKDIxsTCGlU: REVOKED\n" in inspected.stdout
    assert "MKyCxh7p6uQ: not revoked" in inspected.stdout


def test_a_card_reissued_after_the_cutoff_with_the_same_rid_stays_valid(
    district: District,
) -> None:
    issuer = c.ShcIssuer()
    jwks = district.write("jwks.json", {"keys": [c.public_jwk(issuer.key)]})
    ok("trust", "import-jwks", district / "work.json", c.TEST_ISS, jwks)
    crl = {"kid": issuer.kid, "method": "rid", "ctr": 3, "rids": [f"{RID}.{CUTOFF}"]}
    work = district / "revoked.txt"
    ok("revocation", "import-shc-crl", work, c.TEST_ISS, district.write("crl.json", crl))
    options = [*district.sign_trust(), *district.sign_revocations(work)]
    before = issuer.card(c.payload(c.patient(), nbf=CUTOFF - 60, rid=RID))
    after = issuer.card(c.payload(c.patient(), nbf=CUTOFF + 60, rid=RID))
    assert district.verify(before, after, options=options) == ["REVOKED", "OK"]


def test_rid_cutoffs_can_be_added_by_hand_too(district: District) -> None:
    work = district / "revoked.txt"
    ok("revocation", "add", work, "rid", f"{c.EXAMPLE_KID}.vwAjHdarZuc.1687450765")
    result = run("revocation", "add", work, "rid", f"{c.EXAMPLE_KID}.vwAjHdarZuc.tomorrow")
    assert result.exit_code == 2
    assert "<kid>.<rid>.<timestamp>" in result.output
    assert work.read_text() == f"rid {c.EXAMPLE_KID}.vwAjHdarZuc.1687450765\n"


@pytest.mark.parametrize(
    ("document", "iss", "message"),
    [
        ("[]", c.EXAMPLE_ISS, "CRL is not a JSON object"),
        ({"kid": "k", "method": "other", "ctr": 1, "rids": []}, c.EXAMPLE_ISS, "rid method"),
        ({"kid": "k", "method": "rid", "ctr": 1, "rids": ["a.soon"]}, c.EXAMPLE_ISS, "timestamp"),
        ({"kid": "k", "method": "rid", "ctr": 1, "rids": []}, "http://x.org", "https URL"),
    ],
)
def test_a_bad_crl_is_refused_with_exit_2_and_nothing_written(
    district: District, document: object, iss: str, message: str
) -> None:
    work = district / "revoked.txt"
    result = run("revocation", "import-shc-crl", work, iss, district.write("crl.json", document))
    assert result.exit_code == 2
    assert message in result.output
    assert not work.exists()
