"""A batch's check goes to the store as the API validated it (``check_in_row``); a check the
server decided goes as a record (``check_row``). Both must make the same row of the same check."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from jointcheck.api.checkpoint_schemas import parse_body
from jointcheck.checkpoint.model import CheckRecord, Outcome
from jointcheck.policy import EvidenceSummary
from jointcheck.store.checkpoint_repository import check_in_row, check_row

NOW = datetime(2026, 11, 28, 16, 30, tzinfo=UTC)
# 23:30 UTC is 07:30 the next day in the district (UTC+8): the day is the district's.
AT = datetime(2026, 11, 28, 23, 30, 5, 123456, tzinfo=UTC)


def _only_required() -> tuple[dict, CheckRecord]:
    wire = {
        "kind": "check",
        "id": str(uuid.uuid4()),
        "device_id": "device-0001",
        "place_id": "42",
        "entrance_id": "north",
        "street_code": "370704001",
        "at": AT.astimezone(timezone(timedelta(hours=8))).isoformat(),
        "outcome": "PERSUADE",
        "reasons": ["NOT_VACCINATED", "CODE_GREEN"],
        "summary": {},
        "bundle_version": 3,
    }
    record = CheckRecord(
        id=wire["id"], device_id="device-0001", place_id="42", entrance_id="north",
        street_code="370704001", at=AT, outcome=Outcome.PERSUADE,
        reasons=("NOT_VACCINATED", "CODE_GREEN"), summary=EvidenceSummary(),
        subject_hash=None, bundle_version=3,
    )  # fmt: skip
    return wire, record


def _every_field() -> tuple[dict, CheckRecord]:
    summary = {
        "credential_types": ["dcc_vaccination", "health_code"],
        "code_colour": "yellow",
        "doses": 2,
        "series": 3,
        "completed": False,
        "contraindication_level": 1,
        "age_band": "60+",
        "registered": True,
        "failed": ["EXPIRED"],
        "pack_id": "fangzi-2021",
        "pack_version": "1.2.0",
    }
    wire = {
        **_only_required()[0],
        "outcome": "ADMIT_REGISTERED",
        "summary": summary,
        "subject_hash": "ab" * 32,
        "stale": True,
        "via": "id_document",
        "group_id": "group-0001",
        "follows": "check-0001",
        "bundle_refused": "BUNDLE_UNTRUSTED",
    }
    record = CheckRecord(
        id=wire["id"], device_id="device-0001", place_id="42", entrance_id="north",
        street_code="370704001", at=AT, outcome=Outcome.ADMIT_REGISTERED,
        reasons=("NOT_VACCINATED", "CODE_GREEN"),
        summary=EvidenceSummary(
            credential_types=("dcc_vaccination", "health_code"), code_colour="yellow", doses=2,
            series=3, completed=False, contraindication_level=1, age_band="60+", registered=True,
            failed=("EXPIRED",), pack_id="fangzi-2021", pack_version="1.2.0",
        ),
        subject_hash="ab" * 32, bundle_version=3, stale=True, via="id_document",
        group_id="group-0001", follows="check-0001", bundle_refused="BUNDLE_UNTRUSTED",
    )  # fmt: skip
    return wire, record


@pytest.mark.parametrize("case", [_only_required, _every_field])
def test_a_validated_check_makes_the_row_its_record_makes(case):
    wire, record = case()
    parsed, _ = parse_body(json.dumps({"events": [wire]}).encode())
    assert parsed.refused == {}
    (validated,) = parsed.checks
    row = check_in_row(validated, NOW)
    assert row == check_row(record, NOW)
    assert row[1] == date(2026, 11, 29)  # the district's day
