"""Checks of a health-code change (issue 4): a known colour, a reason, an aware "until" after
the change; each refusal has a stable code with a zh-CN and an en message (house rule 2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from jointcheck.credentials.model import CodeColour
from jointcheck.registry.code_change import (
    HealthCodeInputError,
    change_faults,
    check_change,
    parse_until,
)
from jointcheck.web.i18n import catalog

NOW = datetime(2021, 9, 6, 2, 0, tzinfo=UTC)
FANGZI = ZoneInfo("Asia/Shanghai")
CODES = (
    "HEALTH_CODE_COLOUR_UNKNOWN",
    "HEALTH_CODE_REASON_REQUIRED",
    "HEALTH_CODE_REASON_TOO_LONG",
    "HEALTH_CODE_UNTIL_PAST",
    "HEALTH_CODE_UNTIL_NAIVE",
    "HEALTH_CODE_UNTIL_FORMAT",
    "HEALTH_CODE_PERSON_UNKNOWN",
    "HEALTH_AUTHORITY_MISSING",
)


def test_a_good_change_is_kept_in_utc_with_its_reason_trimmed() -> None:
    until = datetime(2021, 9, 20, 18, 0, tzinfo=timezone(timedelta(hours=8)))
    change = check_change(" Red ", "  密接者 ", until, NOW)
    assert change.colour is CodeColour.RED
    assert change.reason == "密接者"
    assert change.until == datetime(2021, 9, 20, 10, 0, tzinfo=UTC)
    assert change.until.tzinfo is UTC
    assert check_change("green", "核酸阴性", None, NOW).until is None


@pytest.mark.parametrize(
    ("colour", "reason", "until", "code"),
    [
        ("purple", "x", None, "HEALTH_CODE_COLOUR_UNKNOWN"),
        ("", "x", None, "HEALTH_CODE_COLOUR_UNKNOWN"),
        ("red", " \n ", None, "HEALTH_CODE_REASON_REQUIRED"),
        ("red", "x" * 201, None, "HEALTH_CODE_REASON_TOO_LONG"),
        ("red", "x", NOW, "HEALTH_CODE_UNTIL_PAST"),
        ("red", "x", NOW - timedelta(minutes=1), "HEALTH_CODE_UNTIL_PAST"),
        ("red", "x", datetime(2021, 9, 20, 18, 0), "HEALTH_CODE_UNTIL_NAIVE"),  # noqa: DTZ001
    ],
)
def test_a_bad_change_is_refused_with_its_code(
    colour: str, reason: str, until: datetime | None, code: str
) -> None:
    with pytest.raises(HealthCodeInputError) as refused:
        check_change(colour, reason, until, NOW)
    assert refused.value.code == code


def test_a_form_gets_every_fault_at_once_by_field() -> None:
    faults = change_faults("blue", "", NOW - timedelta(days=1), NOW)
    assert faults == {
        "colour": "HEALTH_CODE_COLOUR_UNKNOWN",
        "reason": "HEALTH_CODE_REASON_REQUIRED",
        "until": "HEALTH_CODE_UNTIL_PAST",
    }
    assert change_faults("yellow", "时空伴随", None, NOW) == {}


def test_until_as_typed_is_read_in_the_deployments_time_zone() -> None:
    assert parse_until("", FANGZI) is None
    typed = parse_until("2021-09-20T18:00", FANGZI)
    assert typed is not None
    assert typed.astimezone(UTC) == datetime(2021, 9, 20, 10, 0, tzinfo=UTC)
    offset = parse_until("2021-09-20T18:00+00:00", FANGZI)
    assert offset == datetime(2021, 9, 20, 18, 0, tzinfo=UTC)
    assert parse_until("2021-09-20T18:00", None) is not None
    with pytest.raises(HealthCodeInputError) as refused:
        parse_until("next tuesday", FANGZI)
    assert refused.value.code == "HEALTH_CODE_UNTIL_FORMAT"


@pytest.mark.parametrize("code", CODES)
def test_each_refusal_has_a_zh_cn_and_an_en_message(code: str) -> None:
    message = catalog()[f"error.{code}"]
    assert message["zh-CN"]
    assert message["en"]
    assert message["zh-CN"] != message["en"]
