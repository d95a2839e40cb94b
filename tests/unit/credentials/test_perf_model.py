"""The typed credentials behave as the frozen dataclasses they are declared as, with the
faster ``__init__`` that ``model`` gives them (docs/performance.md, "verify")."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from datetime import UTC, date, datetime

import pytest

from jointcheck.credentials import model
from jointcheck.credentials.model import (
    CredentialType,
    DigitalCovidCertificate,
    Subject,
    VaccinationEntry,
    Verification,
)
from jointcheck.credentials.reasons import Reason

AT = datetime(2021, 9, 1, tzinfo=UTC)


def _certificate(**changes: object) -> DigitalCovidCertificate:
    fields: dict[str, object] = {
        "type": CredentialType.DCC_VACCINATION,
        "subject": Subject("1964-08-12", "ZHANG", "SAN"),
        "fn": "张",
        "gn": "三",
        "issuer_country": "CN",
        "issued_at": AT,
        "expires_at": AT,
        "version": "1.3.0",
        "kid": b"kid",
    }
    return DigitalCovidCertificate(**(fields | changes))  # type: ignore[arg-type]


def test_fields_by_position_and_by_name_give_equal_values() -> None:
    by_position = VaccinationEntry("840539006", "J07BX03", "CoronaVac", "Sinovac-Biotech", 2, 2,
                                   date(2021, 5, 1), "CN", "CDC", "URN:UVCI:01:CN:X#1")  # fmt: skip
    by_name = VaccinationEntry(
        tg="840539006", vp="J07BX03", mp="CoronaVac", ma="Sinovac-Biotech", dn=2, sd=2,
        dt=date(2021, 5, 1), co="CN", is_="CDC", ci="URN:UVCI:01:CN:X#1",
    )  # fmt: skip
    assert by_position == by_name
    assert hash(by_position) == hash(by_name)
    assert by_name.dn == 2
    assert by_name.is_ == "CDC"


def test_defaults_and_default_factories_are_applied_per_instance() -> None:
    assert Subject("1964", "ZHANG") == Subject(dob="1964", fnt="ZHANG", gnt="", id_hash=None)
    assert model.TestEntry("tg", "tt", AT, "tr", "CN", "ci").nm is None
    first, second = _certificate(), _certificate()
    assert first.vaccinations == ()
    assert first.payload == {}
    assert first.payload is not second.payload
    assert _certificate(payload={"ver": "1.3.0"}).payload == {"ver": "1.3.0"}
    assert str(inspect.signature(DigitalCovidCertificate)).endswith("payload=<factory>)")


def test_instances_stay_frozen() -> None:
    subject = Subject("1964", "ZHANG")
    with pytest.raises(dataclasses.FrozenInstanceError):
        subject.dob = "1965"  # type: ignore[misc]


def test_missing_or_unknown_arguments_are_refused() -> None:
    with pytest.raises(TypeError):
        Subject("1964")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Subject("1964", "ZHANG", nickname="Z")  # type: ignore[call-arg]


def test_replace_asdict_and_pickle_keep_working() -> None:
    verification = Verification(Reason.OK, CredentialType.DCC_VACCINATION, {"cose": True},
                                _certificate())  # fmt: skip
    warned = dataclasses.replace(verification, warnings=(Reason.EXPIRED,))
    assert warned.warnings == (Reason.EXPIRED,)
    assert warned.credential is verification.credential
    assert dataclasses.asdict(Subject("1964", "ZHANG"))["gnt"] == ""
    assert pickle.loads(pickle.dumps(verification)) == verification  # noqa: S301 - our own bytes
