"""Issuance (issue 2): what our authorities hand out verifies, binds to one person, scans."""

from __future__ import annotations

import io

import district as d
import factories as f
import pytest
import segno
import zxingcpp
from PIL import Image

from jointcheck.credentials import issue, schema, trust
from jointcheck.credentials.model import (
    ContraindicationCertificate,
    CredentialType,
    DigitalCovidCertificate,
    HealthCode,
    Subject,
)
from jointcheck.credentials.qrimage import qr_image, read_qr_image
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.subject import check_together, subject_hash
from jointcheck.credentials.verify import verify
from jointcheck.errors import InputError


def test_vaccination_certificate_is_a_plain_eu_dcc_with_chinese_and_transliterated_names() -> None:
    text = d.vaccination()
    assert text.startswith("HC1:")
    result = verify(text, d.context())
    assert result.reason is Reason.OK, result
    cert = result.credential
    assert isinstance(cert, DigitalCovidCertificate)
    assert cert.type is CredentialType.DCC_VACCINATION
    assert (cert.fn, cert.gn) == ("张", "小三")
    assert (cert.subject.fnt, cert.subject.gnt) == ("ZHANG", "XIAOSAN")
    assert cert.issuer_country == "CN"
    [shot] = cert.vaccinations
    assert (shot.mp, shot.ma, shot.dn, shot.sd, shot.co) == (
        "BBIBP-CorV",
        "ORG-100020693",
        2,
        2,
        "CN",
    )
    assert shot.ci.startswith("URN:UVCI:01:CN:FZ/2021000001#")
    assert cert.version == "1.3.0"


@pytest.mark.parametrize("product", sorted(issue.PRODUCTS))
def test_every_offered_product_gives_a_schema_valid_payload(product: str) -> None:
    payload = issue.vaccination_payload(
        d.holder(),
        product=product,
        dose=1,
        doses=2,
        on=d.NOW.date(),
        issuer="x",
        uvci="URN:UVCI:01:CN:A/1#B",
    )
    assert schema.validate(payload)


def test_unknown_product_or_bad_id_number_is_refused_at_issuance() -> None:
    with pytest.raises(InputError):
        issue.vaccination_payload(
            d.holder(),
            product="Comirnaty-CN",
            dose=1,
            doses=2,
            on=d.NOW.date(),
            issuer="x",
            uvci="u",
        )
    with pytest.raises(InputError):
        d.health_code(who=d.holder(id_number="110105194912310021"))


def test_our_three_credentials_carry_the_same_subject_and_bind_together() -> None:
    ctx = d.context()
    code = verify(d.health_code(), ctx).credential
    vacc = verify(d.vaccination(), ctx).credential
    contra = verify(d.contraindication(), ctx).credential
    assert isinstance(code, HealthCode)
    assert isinstance(vacc, DigitalCovidCertificate)
    assert isinstance(contra, ContraindicationCertificate)
    expected = subject_hash(d.SUBJECT_KEY, d.ID_NUMBER).hex()
    assert code.subject.id_hash == vacc.subject.id_hash == contra.subject.id_hash == expected
    assert check_together([code.subject, vacc.subject, contra.subject]) is Reason.OK


def test_someone_elses_vaccination_certificate_is_a_subject_mismatch() -> None:
    ctx = d.context()
    code = verify(d.health_code(), ctx).credential
    # Same name and date of birth, another ID number: only the keyed hash tells them apart.
    namesake = d.holder(id_number="110105194912310011")
    other = verify(d.vaccination(who=namesake), ctx).credential
    assert code is not None
    assert other is not None
    assert check_together([code.subject, other.subject]) is Reason.SUBJECT_MISMATCH


def test_foreign_dcc_binds_on_date_of_birth_and_transliterated_name() -> None:
    dsc = f.signer(seed=7)
    payload = f.dcc_payload()
    payload["nam"] = {"fnt": "ZHANG", "gnt": "XIAO<SAN"}
    payload["dob"] = d.DOB
    ctx = d.context(trust.dsc_entry(dsc.certificate))
    foreign = verify(f.issue_dcc(dsc, payload), ctx).credential
    code = verify(d.health_code(), ctx).credential
    assert isinstance(foreign, DigitalCovidCertificate)
    assert foreign.subject.id_hash is None
    assert code is not None
    assert check_together([code.subject, foreign.subject]) is Reason.OK
    stranger = Subject(dob="1990-01-01", fnt="ZHANG", gnt="XIAOSAN")
    assert check_together([code.subject, stranger]) is Reason.SUBJECT_MISMATCH


def test_a_foreign_signer_cannot_bind_its_certificate_to_our_resident() -> None:
    # A DCC signer that copies our subject claim into its certificate gets no id_hash for it.
    dsc = f.signer(seed=8)
    ours = d.claims_of(d.vaccination(), "HC1:")
    text = f.issue(ours, dsc)
    ctx = d.context(trust.dsc_entry(dsc.certificate))
    cert = verify(text, ctx).credential
    assert isinstance(cert, DigitalCovidCertificate)
    assert cert.subject.id_hash is None


def test_vaccination_signed_by_the_health_code_issuer_is_refused() -> None:
    assert verify(d.vaccination(d.HEALTH_SEED), d.context()).reason is Reason.ISSUER_ROLE_MISSING


def test_uvci_has_the_cn_prefix_and_a_check_character_that_catches_a_typo() -> None:
    uvci = issue.make_uvci("FZ", "2021000001")
    body, _, check = uvci.partition("#")
    assert body == "URN:UVCI:01:CN:FZ/2021000001"
    assert len(check) == 1
    typo = body.replace("2021000001", "2021000007")
    assert issue.uvci_check_character(typo) != check
    with pytest.raises(InputError):
        issue.make_uvci("坊子", "1")


@pytest.mark.parametrize(
    "text", [d.health_code(), d.contraindication(), d.vaccination()], ids=["JKM1", "JJZ1", "HC1"]
)
def test_qr_png_scans_back_to_the_same_text_at_level_q(text: str) -> None:
    png = qr_image(text, "png")
    assert read_qr_image(png) == [text]
    with Image.open(io.BytesIO(png)) as image:
        [barcode] = zxingcpp.read_barcodes(image.convert("L"))
    assert barcode.ec_level == "Q"


def test_qr_svg_and_the_alphanumeric_mode() -> None:
    text = d.health_code()
    assert qr_image(text, "svg").startswith(b"<?xml")
    # Every character of our codes is in the QR alphanumeric set, so segno can use that mode.
    assert segno.make(text, error="q", mode="alphanumeric").mode == "alphanumeric"
    with pytest.raises(InputError):
        qr_image(text, "gif")
