"""Calendar rules for booked services, always in Europe/Berlin. Implements TEN-6 (billing start as a date)
and TEN-7 (end date: default the last day of the current month, earliest tomorrow).

"Today" is the calendar date in Berlin, not in UTC: at 00:30 on 31 March (CEST) it is already the 31st,
although UTC still says the 30th. A service ending on day D runs through D and is ``ended`` from D + 1.
"""

from __future__ import annotations

import calendar
import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

BERLIN = ZoneInfo("Europe/Berlin")


def berlin_today(now: datetime.datetime | None = None) -> datetime.date:
    """The current calendar date in Europe/Berlin."""
    return timezone.localtime(now or timezone.now(), BERLIN).date()


def last_day_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def earliest_end_date(today: datetime.date | None = None) -> datetime.date:
    """A service can be ended from tomorrow on, never today or in the past."""
    return (today or berlin_today()) + datetime.timedelta(days=1)


# How far ahead an end date may be set: further out it is a typing error (year 9999), and a service would sit
# ``ending`` for ever.
MAX_END_AHEAD = datetime.timedelta(days=5 * 366)


def latest_end_date(today: datetime.date | None = None) -> datetime.date:
    return (today or berlin_today()) + MAX_END_AHEAD


def default_end_date(today: datetime.date | None = None) -> datetime.date:
    """The last day of the current month; on the last day of a month that is today, which is too early,
    so the last day of the next month."""
    today = today or berlin_today()
    candidate = last_day_of_month(today)
    if candidate < earliest_end_date(today):
        candidate = last_day_of_month(candidate + datetime.timedelta(days=1))
    return candidate
