"""Subscription period arithmetic (SUB-1, SUB-4). A period is ``[start, end)``; ``end`` is the renewal day.

The renewal day is anchored to the day the subscription started: begun on 31 January, a monthly subscription
renews on 28 (or 29) February, 31 March, 30 April, …; an annual one begun on 29 February renews on 28 February
and returns to the 29th in leap years.
"""

from __future__ import annotations

import calendar
import datetime as dt

MONTHS = {"monthly": 1, "annual": 12}


def anchored(year: int, month: int, anchor_day: int) -> dt.date:
    """The anchor day in that month, or the month's last day when it has fewer days."""
    return dt.date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def add_term(day: dt.date, term: str, anchor_day: int) -> dt.date:
    """The renewal day one term after ``day`` (a renewal day itself, or the start)."""
    months = MONTHS[term]
    index = day.year * 12 + (day.month - 1) + months
    return anchored(index // 12, index % 12 + 1, anchor_day)


def first_period(start: dt.date, term: str) -> tuple[dt.date, dt.date]:
    return start, add_term(start, term, start.day)
