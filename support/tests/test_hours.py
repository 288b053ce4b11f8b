"""SUP-3: core hours Mon–Fri 08:30–16:30 Europe/Berlin, public holidays (holidays package), closure days, next
opening — across both DST changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from support.hours import core_hours
from support.models import ClosureDay

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def berlin(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("when", "open_now"),
    [
        (berlin(2026, 6, 10, 8, 29), False),  # Wednesday
        (berlin(2026, 6, 10, 8, 30), True),
        (berlin(2026, 6, 10, 16, 29), True),
        (berlin(2026, 6, 10, 16, 30), False),
        (berlin(2026, 6, 13, 10, 0), False),  # Saturday
        (berlin(2026, 6, 14, 10, 0), False),  # Sunday
    ],
)
def test_sup3_core_hours_edges(when, open_now):
    assert core_hours(when, closures={}).open_now is open_now


def test_sup3_before_opening_next_opening_is_today():
    result = core_hours(berlin(2026, 6, 10, 8, 29), closures={})
    assert result.next_opening == berlin(2026, 6, 10, 8, 30)


def test_sup3_after_closing_next_opening_is_tomorrow():
    result = core_hours(berlin(2026, 6, 10, 16, 30), closures={})
    assert result.next_opening == berlin(2026, 6, 11, 8, 30)


def test_sup3_open_says_when_it_closes():
    result = core_hours(berlin(2026, 6, 10, 8, 30), closures={})
    assert result.closes_at == berlin(2026, 6, 10, 16, 30)
    assert result.next_opening is None


def test_sup3_weekend_next_opening_is_monday():
    result = core_hours(berlin(2026, 6, 12, 17, 0), closures={})  # Friday evening
    assert result.next_opening == berlin(2026, 6, 15, 8, 30)
    assert core_hours(berlin(2026, 6, 13, 9, 0), closures={}).closed_reason == "weekend"


def test_sup3_public_holiday_is_closed():
    # Good Friday and Easter Monday 2026 (3 and 6 April): closed; next opening Tuesday 7 April.
    result = core_hours(berlin(2026, 4, 3, 10, 0), closures={})
    assert not result.open_now
    assert result.closed_reason.startswith("holiday")
    assert result.next_opening == berlin(2026, 4, 7, 8, 30)


def test_sup3_state_holiday_from_settings(settings):
    # Reformation Day (31 October 2025, a Friday) is a holiday in Hamburg (the default state), not in Bavaria.
    assert not core_hours(berlin(2025, 10, 31, 10, 0), closures={}).open_now
    settings.SUPPORT_CORE_HOURS = {"holiday_subdivision": "BY"}
    assert core_hours(berlin(2025, 10, 31, 10, 0), closures={}).open_now


@pytest.mark.django_db
def test_sup3_closure_day_from_the_admin():
    ClosureDay.objects.create(date=dt.date(2026, 6, 11), reason="Betriebsausflug")
    result = core_hours(berlin(2026, 6, 10, 17, 0))
    assert result.next_opening == berlin(2026, 6, 12, 8, 30)
    closed = core_hours(berlin(2026, 6, 11, 10, 0))
    assert not closed.open_now and closed.closed_reason == "closure: Betriebsausflug"


def test_sup3_dst_spring_forward():
    # 29 March 2026: clocks go 02:00 → 03:00 (Sunday). Monday 30 March opens 08:30 CEST = 06:30 UTC.
    result = core_hours(dt.datetime(2026, 3, 28, 16, 0, tzinfo=UTC), closures={})  # Saturday
    assert result.next_opening == berlin(2026, 3, 30, 8, 30)
    assert result.next_opening.astimezone(UTC) == dt.datetime(2026, 3, 30, 6, 30, tzinfo=UTC)
    # Friday before is in CET: 08:30 = 07:30 UTC.
    assert core_hours(dt.datetime(2026, 3, 27, 7, 29, tzinfo=UTC), closures={}).open_now is False
    assert core_hours(dt.datetime(2026, 3, 27, 7, 30, tzinfo=UTC), closures={}).open_now is True
    # Monday after is in CEST: 06:30 UTC opens, 14:30 UTC closes.
    assert core_hours(dt.datetime(2026, 3, 30, 6, 29, tzinfo=UTC), closures={}).open_now is False
    assert core_hours(dt.datetime(2026, 3, 30, 6, 30, tzinfo=UTC), closures={}).open_now is True
    assert core_hours(dt.datetime(2026, 3, 30, 14, 30, tzinfo=UTC), closures={}).open_now is False


def test_sup3_dst_fall_back():
    # 25 October 2026: clocks go 03:00 → 02:00 (Sunday). Monday 26 October opens 08:30 CET = 07:30 UTC.
    result = core_hours(dt.datetime(2026, 10, 24, 12, 0, tzinfo=UTC), closures={})
    assert result.next_opening.astimezone(UTC) == dt.datetime(2026, 10, 26, 7, 30, tzinfo=UTC)
    assert (
        core_hours(dt.datetime(2026, 10, 23, 6, 30, tzinfo=UTC), closures={}).open_now is True
    )  # CEST Friday
    assert (
        core_hours(dt.datetime(2026, 10, 26, 6, 30, tzinfo=UTC), closures={}).open_now is False
    )  # CET Monday
    assert core_hours(dt.datetime(2026, 10, 26, 15, 29, tzinfo=UTC), closures={}).open_now is True
    assert core_hours(dt.datetime(2026, 10, 26, 15, 30, tzinfo=UTC), closures={}).open_now is False


def test_sup3_naive_datetime_is_refused():
    with pytest.raises(ValueError):
        core_hours(dt.datetime(2026, 6, 10, 10, 0), closures={})
