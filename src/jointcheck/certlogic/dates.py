"""Date-times of CertLogic: parsing, normalisation, ``plusTime`` offsets, ``dccDateOfBirth``.

A date-time is an instant with millisecond precision (CertLogic spec, "Dates and
date-times"). It is held as integer milliseconds since 1970-01-01T00:00:00Z, so comparison
is integer comparison and years outside 1..9999 (which Python's ``datetime`` refuses, but
JavaScript's ``Date`` accepts) behave as the reference implementations do. The calendar
arithmetic is proleptic Gregorian in UTC, exactly as the ECMAScript ``Date`` methods named in
the spec ("Offset date-time (plusTime)": ``setUTCFullYear``, ``setUTCMonth``, ``setUTCDate``,
``setUTCHours``).
"""

from __future__ import annotations

import functools
import re
from datetime import date
from typing import Final

from jointcheck.certlogic.semantics import CertLogicError

MS_PER_HOUR: Final = 3_600_000
MS_PER_DAY: Final = 86_400_000
# ECMAScript's time value range (ECMA-262 "Time Values and Time Range"): beyond it a Date is
# invalid, so an offset that leaves it is an error rather than a silently wrong instant.
MAX_MS: Final = 8_640_000_000_000_000

TIME_UNITS: Final = ("year", "month", "day", "hour")

_DAYS_IN_MONTH: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# The 19 formats of the spec's plusTime list, plus the two partial dates: `YYYY`, `YYYY-MM`,
# `YYYY-MM-DD`, then `Thh:mm:ss`, optional `.S...` (any number of decimals), and an optional
# offset `Z`, `[+-]h`, `[+-]hh`, `[+-]hmm`, `[+-]hhmm`, `[+-]h:mm` or `[+-]hh:mm`. The
# regular expression backtracks so that `+130` reads as +01:30, as `hmm` requires.
_DATE_TIME: Final = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})"
    r"(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:(Z)|([+-])(\d{1,2})(?::?(\d{2}))?)?)?)?)?",
    re.ASCII,
)
_DCC_DOB: Final = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", re.ASCII)


class DateTime:
    """A CertLogic date-time value: an instant in UTC with millisecond precision.

    Two date-times are ``===`` only when they are the same value object, as JavaScript's
    ``===`` on ``Date`` objects; ordering is by instant (``after``, ``before``, ...).
    """

    __slots__ = ("ms",)

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def isoformat(self) -> str:
        """``YYYY-MM-DDThh:mm:ss.sssZ``, as JavaScript's ``Date.prototype.toISOString``."""
        days, rest = divmod(self.ms, MS_PER_DAY)
        year, month, day = civil_from_days(days)
        hours, rest = divmod(rest, MS_PER_HOUR)
        minutes, rest = divmod(rest, 60_000)
        seconds, millis = divmod(rest, 1000)
        if 0 <= year <= 9999:  # noqa: PLR2004 - the four-digit year range of ISO 8601
            year_text = f"{year:04d}"
        else:
            year_text = f"{'-' if year < 0 else '+'}{abs(year):06d}"
        return f"{year_text}-{month:02d}-{day:02d}T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"

    def __repr__(self) -> str:
        return f"DateTime({self.isoformat()!r})"


def is_leap_year(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    if month == 2 and is_leap_year(year):  # noqa: PLR2004 - February
        return 29
    return _DAYS_IN_MONTH[month - 1]


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date; ``day`` may overflow the month.

    The overflow is what the ECMAScript ``MakeDay`` does: 2021-02-29 is 2021-03-01.
    """
    y = year - (month <= 2)  # noqa: PLR2004 - the year starts in March for this algorithm
    era = y // 400
    yoe = y - era * 400
    mp = month - 3 if month > 2 else month + 9  # noqa: PLR2004
    doy = (153 * mp + 2) // 5
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468 + day - 1


def civil_from_days(days: int) -> tuple[int, int, int]:
    """The (year, month, day) of a day count since 1970-01-01 (inverse of the above)."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9  # noqa: PLR2004
    return yoe + era * 400 + (month <= 2), month, day  # noqa: PLR2004


_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()


def _checked(ms: int, text: str) -> int:
    if -MAX_MS <= ms <= MAX_MS:
        return ms
    raise CertLogicError(f"date-time out of range: {text}")


# Strings recur (the validation clock in every rule of a check, a certificate's dates in each
# of its rules): parsing is pure, so remember the last ones. Errors are not cached.
@functools.lru_cache(maxsize=1024)
def parse_date_time(text: str) -> int:
    """Milliseconds since the epoch of a date(-time) string in one of the spec's formats.

    Spec, "Offset date-time (plusTime)": a partial date is read as ``dccDateOfBirth`` reads it
    (the last day it allows); a missing time is 00:00:00.000; a missing offset is ``Z``;
    decimals beyond the third are dropped (rounding down to the millisecond). A string in no
    allowed format, or naming an impossible date or time, is an error.
    """
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        raise CertLogicError(f"not an allowed date or date-time format: {text}")
    year_s, month_s, day_s, hour_s, minute_s, second_s, frac, _z, sign, off_h, off_m = (
        match.groups()
    )
    ms = _days(int(year_s), month_s, day_s, text) * MS_PER_DAY
    if hour_s is not None:
        ms += _time_of_day(int(hour_s), int(minute_s), int(second_s), frac, text)
        if sign is not None:
            ms += _offset(sign, int(off_h), int(off_m or "0"), text)
    if -MAX_MS <= ms <= MAX_MS:
        return ms
    raise CertLogicError(f"date-time out of range: {text}")


def _days(year: int, month_s: str | None, day_s: str | None, text: str) -> int:
    """Days since the epoch of a (partial) date; a partial date means its last day."""
    if month_s is None:
        return days_from_civil(year, 12, 31)
    month = int(month_s)
    if not 1 <= month <= 12:  # noqa: PLR2004
        raise CertLogicError(f"not a valid date: {text}")
    if day_s is None:
        return days_from_civil(year, month, days_in_month(year, month))
    day = int(day_s)
    if year == 0:  # outside Python's date; the arithmetic below is proleptic Gregorian too
        if not 1 <= day <= days_in_month(year, month):
            raise CertLogicError(f"not a valid date: {text}")
        return days_from_civil(year, month, day)
    try:
        return date(year, month, day).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        raise CertLogicError(f"not a valid date: {text}") from None


def _offset(sign: str, hours: int, minutes: int, text: str) -> int:
    """What to add to a local time to reach UTC."""
    if hours > 23 or minutes > 59:  # noqa: PLR2004
        raise CertLogicError(f"not a valid timezone offset: {text}")
    offset = hours * MS_PER_HOUR + minutes * 60_000
    return -offset if sign == "+" else offset


def _time_of_day(hour: int, minute: int, second: int, frac: str | None, text: str) -> int:
    millis = int(frac[:3].ljust(3, "0")) if frac else 0
    if hour > 23 or minute > 59 or second > 59:  # noqa: PLR2004
        # ISO 8601 (and ECMAScript's date-time string format) allow 24:00:00, the day's end.
        if hour == 24 and minute == second == millis == 0:  # noqa: PLR2004
            return MS_PER_DAY
        raise CertLogicError(f"not a valid time of day: {text}")
    return ((hour * 60 + minute) * 60 + second) * 1000 + millis


def dcc_date_of_birth(text: str) -> int:
    """Spec, "DCC Date of birth": the last instant-at-midnight consistent with ``dob``.

    ``YYYY`` -> ``YYYY-12-31``, ``YYYY-MM`` -> the last day of that month, ``YYYY-MM-DD`` as
    ``plusTime`` reads it; always at 00:00:00.000Z.
    """
    if _DCC_DOB.fullmatch(text) is None:
        raise CertLogicError(f"can't parse {text!r} as a DCC date of birth")
    return parse_date_time(text)


def plus_time(ms: int, amount: int, unit: str) -> int:
    """``dateTime.setUTC<postfix>(dateTime.getUTC<postfix>() + amount)`` (spec, plusTime)."""
    if unit == "day":
        return _checked(ms + amount * MS_PER_DAY, "plusTime result")
    if unit == "hour":
        return _checked(ms + amount * MS_PER_HOUR, "plusTime result")
    days, time_of_day = divmod(ms, MS_PER_DAY)
    year, month, day = civil_from_days(days)
    if unit == "year":
        year += amount
    elif unit == "month":
        carry, month0 = divmod(month - 1 + amount, 12)
        year, month = year + carry, month0 + 1
    else:
        raise CertLogicError(f"unknown time unit: {unit!r}")
    # The day of the month is kept and may overflow into the next month (MakeDay): the spec's
    # table has 2020-02-29 + 1 year = 2021-03-01.
    shifted = days_from_civil(year, month, 1) + day - 1
    return _checked(shifted * MS_PER_DAY + time_of_day, "plusTime result")
