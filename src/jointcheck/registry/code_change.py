"""Checks of a health-code change (issue 4), pure: a known colour, a reason, and an end
("until") that is timezone-aware and lies after the change (house rule 3).

The edges call ``change_faults`` to answer a form with every reason code at once, and
``HealthRecordService.change_code`` calls ``check_change`` again so that no edge skips them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from jointcheck.credentials.model import CodeColour
from jointcheck.errors import InputError

MAX_REASON = 200
# A datetime without an offset is refused: an "until" of 18:00 in Fangzi and one of 18:00 UTC
# are eight hours apart, and a status change is not a guess.
UNTIL_NAIVE = "HEALTH_CODE_UNTIL_NAIVE"


class HealthCodeInputError(InputError):
    """A change the health authority asked for that cannot be made as asked (422 at the API)."""


@dataclass(frozen=True, slots=True)
class CodeChange:
    """A checked change: a known colour, a reason, an end in the future or none."""

    colour: CodeColour
    reason: str
    until: datetime | None


def check_colour(colour: str) -> CodeColour:
    try:
        return CodeColour(colour.strip().lower())
    except ValueError:
        raise HealthCodeInputError(
            "a colour is green, yellow or red", code="HEALTH_CODE_COLOUR_UNKNOWN"
        ) from None


def check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise HealthCodeInputError(
            "a colour is changed with a reason", code="HEALTH_CODE_REASON_REQUIRED"
        )
    if len(reason) > MAX_REASON:
        raise HealthCodeInputError(
            f"a reason has at most {MAX_REASON} characters", code="HEALTH_CODE_REASON_TOO_LONG"
        )
    return reason


def check_until(until: datetime | None, now: datetime) -> datetime | None:
    if until is None:
        return None
    if until.tzinfo is None or until.utcoffset() is None:
        raise HealthCodeInputError("'until' needs a time zone offset", code=UNTIL_NAIVE)
    if until <= now:
        raise HealthCodeInputError("'until' lies in the past", code="HEALTH_CODE_UNTIL_PAST")
    # Inside, every time is UTC (house rule 3).
    return until.astimezone(UTC)


def check_change(colour: str, reason: str, until: datetime | None, now: datetime) -> CodeChange:
    """The change asked for, checked; the first fault raises ``HealthCodeInputError``."""
    return CodeChange(check_colour(colour), check_reason(reason), check_until(until, now))


def change_faults(
    colour: str, reason: str, until: datetime | None, now: datetime
) -> dict[str, str]:
    """Every fault of a change form at once, by field (a page marks each field)."""
    faults: dict[str, str] = {}
    for name, check in (
        ("colour", lambda: check_colour(colour)),
        ("reason", lambda: check_reason(reason)),
        ("until", lambda: check_until(until, now)),
    ):
        try:
            check()
        except HealthCodeInputError as exc:
            faults[name] = exc.code
    return faults


def parse_until(value: str, zone: tzinfo | None) -> datetime | None:
    """An "until" as typed on the page or the command line (ISO 8601): a value without an
    offset is read in ZONE, the deployment's time zone (Asia/Shanghai), as people say it."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise HealthCodeInputError(
            "'until' is a date and time such as 2021-09-20T18:00", code="HEALTH_CODE_UNTIL_FORMAT"
        ) from None
    if parsed.tzinfo is None and zone is not None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed
