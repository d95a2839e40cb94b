from __future__ import annotations

import pytest

from jointcheck.checkpoint.model import Outcome, OverrideReason, Registration
from jointcheck.checkpoint.registration import override, register
from jointcheck.checkpoint.sealing import DeviceSealer
from jointcheck.credentials.model import CodeColour
from jointcheck.errors import InputError

from .factories import NOW, FakeVerifier, checkpoint, health_code, verified

PERSON = Registration(
    name="王小明", id_number="11010519491231002X", phone="138 1234 5678", purpose="探望老人"
)
SEALER = DeviceSealer(DeviceSealer.new_key())


def _cp():  # type: ignore[no-untyped-def]
    return checkpoint(
        FakeVerifier({"G": verified(health_code()), "R": verified(health_code(CodeColour.RED))})
    )


def test_registering_a_persuaded_person_admits_them_registered() -> None:
    cp = _cp()
    persuaded, _ = cp.scan(["G"], NOW)
    record, sealed, screen = register(cp, persuaded, PERSON, SEALER, NOW)
    assert record.outcome is Outcome.ADMIT_REGISTERED
    assert record.follows == persuaded.id
    assert "REGISTERED" in record.reasons
    assert sealed.check_id == record.id
    assert SEALER.open(sealed.sealed).phone == "13812345678"
    assert screen.tone.value == "green"
    assert "王小明" not in repr(sealed)


def test_only_a_persuaded_person_is_registered() -> None:
    cp = _cp()
    denied, _ = cp.scan(["R"], NOW)
    with pytest.raises(InputError) as info:
        register(cp, denied, PERSON, SEALER, NOW)
    assert info.value.code == "REGISTRATION_NOT_PERSUADE"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("name", " ", "NAME_INVALID"),
        ("id_number", "110105194912310021", "ID_NUMBER_INVALID"),
        ("id_number", "x", "ID_NUMBER_INVALID"),
        ("phone", "call me", "PHONE_INVALID"),
        ("purpose", "", "PURPOSE_INVALID"),
    ],
)
def test_registration_fields_are_checked(field: str, value: str, code: str) -> None:
    cp = _cp()
    persuaded, _ = cp.scan(["G"], NOW)
    bad = Registration(
        **{
            **{f: getattr(PERSON, f) for f in ("name", "id_number", "phone", "purpose")},
            field: value,
        }
    )
    with pytest.raises(InputError) as info:
        register(cp, persuaded, bad, SEALER, NOW)
    assert info.value.code == code


def test_a_passport_number_is_accepted() -> None:
    cp = _cp()
    persuaded, _ = cp.scan(["G"], NOW)
    person = Registration(
        name="SMITH JOHN", id_number="e12345678", phone="+4479460000", purpose="visit"
    )
    _, sealed, screen = register(cp, persuaded, person, SEALER, NOW)
    assert SEALER.open(sealed.sealed).id_number == "E12345678"
    assert screen.masked_name == "S**** J***"


def test_override_needs_a_deny_and_a_reason() -> None:
    cp = _cp()
    denied, _ = cp.scan(["R"], NOW)
    record = override(cp, denied, "MEDICAL_EMERGENCY", "staff-07", NOW)
    assert record.reason is OverrideReason.MEDICAL_EMERGENCY
    assert record.check_id == denied.id
    with pytest.raises(InputError) as info:
        override(cp, denied, "", "staff-07", NOW)
    assert info.value.code == "OVERRIDE_REASON_REQUIRED"
    persuaded, _ = cp.scan(["G"], NOW)
    with pytest.raises(InputError) as info:
        override(cp, persuaded, "MEDICAL_EMERGENCY", "staff-07", NOW)
    assert info.value.code == "NOT_DENIED"
