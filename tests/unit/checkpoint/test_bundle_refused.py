"""A check decided while the device refuses its server's bundle records it (issue 4): the
refusal's code travels with the record, as ``stale`` does, and the record reads back the same."""

from __future__ import annotations

import dataclasses

from jointcheck.checkpoint.model import CheckRecord, Registration
from jointcheck.checkpoint.registration import register
from jointcheck.checkpoint.sealing import DeviceSealer

from .factories import NOW, FakeVerifier, checkpoint, health_code, verified

PERSON = Registration(name="王小明", id_number="11010519491231002X", phone="13812345678",
                      purpose="探望老人")  # fmt: skip


def _cp():  # type: ignore[no-untyped-def]
    return checkpoint(FakeVerifier({"G": verified(health_code())}))


def test_a_check_made_during_a_refusal_carries_its_code() -> None:
    cp = _cp()
    cp.bundle_refused = "BUNDLE_UNTRUSTED"
    record, _ = cp.scan(["G"], NOW)
    assert record.bundle_refused == "BUNDLE_UNTRUSTED"
    body = record.as_dict()
    assert body["bundle_refused"] == "BUNDLE_UNTRUSTED"
    assert CheckRecord.from_dict(body) == record


def test_a_usual_check_carries_none_and_its_body_has_no_such_key() -> None:
    record, _ = _cp().scan(["G"], NOW)
    assert record.bundle_refused is None
    assert "bundle_refused" not in record.as_dict()
    assert CheckRecord.from_dict(record.as_dict()) == record


def test_a_registration_records_the_refusal_in_force_when_it_is_made() -> None:
    cp = _cp()
    persuaded, _ = cp.scan(["G"], NOW)
    cp.bundle_refused = "BUNDLE_FORGED"
    registered, _, _ = register(cp, persuaded, PERSON, DeviceSealer(bytes(32)), NOW)
    assert registered.bundle_refused == "BUNDLE_FORGED"
    # Persuaded during a refusal, registered after it ended: the registered check is not.
    during = dataclasses.replace(persuaded, bundle_refused="BUNDLE_UNTRUSTED")
    cp.bundle_refused = None
    after, _, _ = register(cp, during, PERSON, DeviceSealer(bytes(32)), NOW)
    assert after.bundle_refused is None
