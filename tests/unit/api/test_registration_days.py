"""The span of days a street's list of registrations is asked for (R3, R5): one day, today by
default, or a span of at most the retention days; bad spans have a code (house rule 2)."""

from __future__ import annotations

from datetime import date

import pytest

from jointcheck.api.street_registrations import days_asked
from jointcheck.errors import InputError

TODAY = date(2021, 9, 6)


def test_nothing_asked_is_today_and_one_end_is_one_day() -> None:
    assert days_asked(None, None, None, TODAY, 28) == (TODAY, TODAY)
    assert days_asked(date(2021, 9, 1), None, None, TODAY, 28) == (date(2021, 9, 1),) * 2
    assert days_asked(None, None, date(2021, 9, 2), TODAY, 28) == (date(2021, 9, 2),) * 2


def test_a_span_of_the_retention_days_is_taken_and_one_day_more_is_refused() -> None:
    assert days_asked(None, date(2021, 8, 10), TODAY, TODAY, 28) == (date(2021, 8, 10), TODAY)
    with pytest.raises(InputError) as refused:
        days_asked(None, date(2021, 8, 9), TODAY, TODAY, 28)
    assert refused.value.code == "REGISTRATIONS_SPAN_TOO_LONG"


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [(TODAY, TODAY, None), (TODAY, None, TODAY), (None, TODAY, date(2021, 9, 5))],
)
def test_a_day_with_a_span_or_a_span_ending_before_it_begins_is_refused(
    day: date | None, first: date | None, last: date | None
) -> None:
    with pytest.raises(InputError) as refused:
        days_asked(day, first, last, TODAY, 28)
    assert refused.value.code == "REGISTRATIONS_DAYS"
