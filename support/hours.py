"""Core hours of the support desk (SUP-3): one function answers "within core hours at instant t?" and "when
does the desk open next?".

Settings (``SUPPORT_CORE_HOURS``): time zone, weekdays, opening and closing wall-clock time, and the country
and state whose public holidays (the ``holidays`` package) close the desk; closure days come from the admin
(``ClosureDay``). Opening times are wall-clock times in the desk's zone, so an opening on the day of a DST
change is built with that day's offset (zoneinfo), never by adding hours to a UTC instant. The interval is
[start, end): 08:30 is open, 16:30 is closed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.utils import timezone

DEFAULTS = {
    "timezone": "Europe/Berlin",
    "weekdays": [0, 1, 2, 3, 4],
    "start": "08:30",
    "end": "16:30",
    "holiday_country": "DE",
    "holiday_subdivision": "HH",
}
HORIZON_DAYS = 60  # no desk is closed longer; beyond it "next opening" is unknown (None)


@dataclass(frozen=True)
class CoreHours:
    open_now: bool
    next_opening: dt.datetime | None  # when not open now: the next opening instant (aware, desk's zone)
    closes_at: dt.datetime | None  # when open now: today's closing instant
    closed_reason: str = ""  # "weekend", "holiday: <name>", "closure: <reason>", "outside hours"


def config() -> dict:
    return {**DEFAULTS, **getattr(settings, "SUPPORT_CORE_HOURS", {})}


def _time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


@lru_cache(maxsize=16)
def _holidays(country: str, subdivision: str | None, year: int) -> dict:
    return dict(holidays.country_holidays(country, subdiv=subdivision or None, years=year))


def _closures(first: dt.date, last: dt.date) -> dict[dt.date, str]:
    from .models import ClosureDay

    return dict(ClosureDay.objects.filter(date__range=(first, last)).values_list("date", "reason"))


def _closed_reason(day: dt.date, cfg: dict, closures: dict) -> str:
    if day.weekday() not in cfg["weekdays"]:
        return "weekend"
    name = _holidays(cfg["holiday_country"], cfg["holiday_subdivision"], day.year).get(day)
    if name:
        return f"holiday: {name}"
    if day in closures:
        return f"closure: {closures[day] or day.isoformat()}"
    return ""


def core_hours(at: dt.datetime | None = None, *, closures: dict | None = None) -> CoreHours:
    """Is the desk open at ``at`` (default now), and if not, when does it open next? One query for the closure
    days of the horizon (or none when ``closures`` is given)."""
    cfg = config()
    zone = ZoneInfo(cfg["timezone"])
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise ValueError("core_hours needs an aware datetime")
    local = at.astimezone(zone)
    today = local.date()
    if closures is None:
        closures = _closures(today, today + dt.timedelta(days=HORIZON_DAYS))
    start, end = _time(cfg["start"]), _time(cfg["end"])
    reason = _closed_reason(today, cfg, closures)
    opens = dt.datetime.combine(today, start, tzinfo=zone)
    closes = dt.datetime.combine(today, end, tzinfo=zone)
    if not reason and opens <= local < closes:
        return CoreHours(open_now=True, next_opening=None, closes_at=closes)
    if not reason and local < opens:
        return CoreHours(open_now=False, next_opening=opens, closes_at=None, closed_reason="outside hours")
    for offset in range(1, HORIZON_DAYS + 1):
        day = today + dt.timedelta(days=offset)
        if not _closed_reason(day, cfg, closures):
            return CoreHours(
                open_now=False,
                next_opening=dt.datetime.combine(day, start, tzinfo=zone),
                closes_at=None,
                closed_reason=reason or "outside hours",
            )
    return CoreHours(
        open_now=False, next_opening=None, closes_at=None, closed_reason=reason or "outside hours"
    )
