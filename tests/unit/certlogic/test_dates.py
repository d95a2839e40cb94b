"""Date-time parsing, normalisation and offsetting (spec, "Offset date-time (plusTime)" and
"DCC Date of birth"), observed through ``plusTime`` and ``dccDateOfBirth`` themselves."""

from __future__ import annotations

import pytest

from jointcheck.certlogic import CertLogicError, DateTime, compile_expression, evaluate


def plus_time(text: str, amount: int = 0, unit: str = "day") -> str:
    value = evaluate({"plusTime": [text, amount, unit]}, None)
    compiled = compile_expression({"plusTime": [{"var": ""}, amount, unit]})(text)
    assert isinstance(value, DateTime)
    assert isinstance(compiled, DateTime)
    assert compiled.isoformat() == value.isoformat()
    return value.isoformat()


def dob(text: str) -> str:
    value = evaluate({"dccDateOfBirth": [{"var": ""}]}, text)
    assert isinstance(value, DateTime)
    return value.isoformat()


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2021", "2021-12-31T00:00:00.000Z"),
        ("2021-02", "2021-02-28T00:00:00.000Z"),
        ("2020-02", "2020-02-29T00:00:00.000Z"),
        ("2021-06-01", "2021-06-01T00:00:00.000Z"),
        ("2021-06-01T12:34:56", "2021-06-01T12:34:56.000Z"),
        ("2021-06-01T12:34:56Z", "2021-06-01T12:34:56.000Z"),
        ("2021-06-01T12:34:56+2", "2021-06-01T10:34:56.000Z"),
        ("2021-06-01T12:34:56-02", "2021-06-01T14:34:56.000Z"),
        ("2021-06-01T12:34:56+130", "2021-06-01T11:04:56.000Z"),
        ("2021-06-01T12:34:56+0130", "2021-06-01T11:04:56.000Z"),
        ("2021-06-01T12:34:56+1:30", "2021-06-01T11:04:56.000Z"),
        ("2021-06-01T12:34:56+01:30", "2021-06-01T11:04:56.000Z"),
        ("2021-06-01T12:34:56.7", "2021-06-01T12:34:56.700Z"),
        ("2021-06-01T12:34:56.7Z", "2021-06-01T12:34:56.700Z"),
        ("2021-06-01T12:34:56.7+2", "2021-06-01T10:34:56.700Z"),
        ("2021-06-01T12:34:56.7+02", "2021-06-01T10:34:56.700Z"),
        ("2021-06-01T12:34:56.7+230", "2021-06-01T10:04:56.700Z"),
        ("2021-06-01T12:34:56.7+0230", "2021-06-01T10:04:56.700Z"),
        ("2021-06-01T12:34:56.7+2:30", "2021-06-01T10:04:56.700Z"),
        ("2021-06-01T12:34:56.7-02:30", "2021-06-01T15:04:56.700Z"),
        # Decimals beyond the third are dropped: rounding down, never up.
        ("2021-06-01T12:34:56.123999999Z", "2021-06-01T12:34:56.123Z"),
        ("2021-12-31T23:59:59.9999+00:00", "2021-12-31T23:59:59.999Z"),
        # An offset can move the instant across a day, month and year boundary.
        ("2022-01-01T01:00:00+02:00", "2021-12-31T23:00:00.000Z"),
        ("2021-06-01T24:00:00Z", "2021-06-02T00:00:00.000Z"),
    ],
)
def test_every_allowed_format_normalises_to_utc_milliseconds(text, instant):
    assert plus_time(text) == instant


@pytest.mark.parametrize(
    "text",
    [
        "",
        "21-06-01",
        "2021-6-1",
        "2021-09-99",
        "2022-13",
        "2021-02-29",
        "2021-06-01T12:34",
        "2021-06-01 12:34:56",
        "2021-06-01T25:00:00",
        "2021-06-01T12:60:00",
        "2021-06-01T12:34:56.",
        "2021-06-01T12:34:56+1:3",
        "2021-06-01T12:34:56+24:00",
        "2021-06-01T12:34:56UTC",
        "2021-06-01Z",
    ],
)
def test_strings_outside_the_allowed_formats_are_errors(text):
    with pytest.raises(CertLogicError):
        evaluate({"plusTime": [text, 0, "day"]}, None)
    with pytest.raises(CertLogicError):
        compile_expression({"plusTime": [{"var": ""}, 0, "day"]})(text)


@pytest.mark.parametrize(
    ("text", "amount", "unit", "result"),
    [
        # The spec's leap-day table.
        ("2020-02-29", 1, "day", "2020-03-01T00:00:00.000Z"),
        ("2020-02-29", 1, "month", "2020-03-29T00:00:00.000Z"),
        ("2020-02-29", 1, "year", "2021-03-01T00:00:00.000Z"),
        # setUTCMonth keeps the day of the month and lets it overflow.
        ("2021-01-31", 1, "month", "2021-03-03T00:00:00.000Z"),
        ("2021-03-31", -1, "month", "2021-03-03T00:00:00.000Z"),
        ("2021-11-15", 3, "month", "2022-02-15T00:00:00.000Z"),
        ("2021-02-15", -14, "month", "2019-12-15T00:00:00.000Z"),
        ("2021-06-01T23:30:00Z", 1, "hour", "2021-06-02T00:30:00.000Z"),
        ("2021-06-01T00:30:00Z", -1, "hour", "2021-05-31T23:30:00.000Z"),
        ("2021-06-01T10:00:00+02:00", 180, "day", "2021-11-28T08:00:00.000Z"),
        ("2021-06-01T10:00:00.042Z", -18, "year", "2003-06-01T10:00:00.042Z"),
        # Partial dates offset from the last day they allow.
        ("2004", 18, "year", "2022-12-31T00:00:00.000Z"),
        ("2004-02", 1, "month", "2004-03-29T00:00:00.000Z"),
        # Years outside 0000..9999 as JavaScript's toISOString writes them.
        ("0001-01-01", -2, "year", "-000001-01-01T00:00:00.000Z"),
        ("9999-12-31", 1, "day", "+010000-01-01T00:00:00.000Z"),
    ],
)
def test_offsets_follow_the_javascript_date_methods(text, amount, unit, result):
    assert plus_time(text, amount, unit) == result


def test_an_offset_beyond_the_ecmascript_time_range_is_an_error():
    with pytest.raises(CertLogicError, match="out of range"):
        evaluate({"plusTime": ["2021-01-01", 300_000, "year"]}, None)
    with pytest.raises(CertLogicError, match="out of range"):
        compile_expression({"plusTime": [{"var": ""}, 100_000_000, "day"]})("2021-01-01")


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("1990", "1990-12-31T00:00:00.000Z"),
        ("2000-02", "2000-02-29T00:00:00.000Z"),
        ("1900-02", "1900-02-28T00:00:00.000Z"),
        ("2004-04", "2004-04-30T00:00:00.000Z"),
        ("2004-04-07", "2004-04-07T00:00:00.000Z"),
    ],
)
def test_date_of_birth_is_the_last_date_consistent_with_it(text, instant):
    assert dob(text) == instant


@pytest.mark.parametrize("text", ["", "2004-01-01T00:00:00Z", "04", "2004-00", "1979-XX-XX"])
def test_date_of_birth_accepts_only_its_three_formats(text):
    with pytest.raises(CertLogicError):
        dob(text)


def test_plus_time_and_date_of_birth_need_a_string():
    for operand in (None, 20210601, ["2021-06-01"]):
        with pytest.raises(CertLogicError, match="must be a string"):
            evaluate({"plusTime": [{"var": "d"}, 0, "day"]}, {"d": operand})
        with pytest.raises(CertLogicError, match="must be a string"):
            compile_expression({"dccDateOfBirth": [{"var": "d"}]})({"d": operand})
