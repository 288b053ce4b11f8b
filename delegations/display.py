"""How a grant's end reads — one function for every page, confirmation message and mail (DEL-2, DEL-4).

An expiry *date* means the access ends at the end of that day, Europe/Berlin: it is stored as midnight at the
start of the next day (``services.common.expiry_at``). Shown, that is the chosen day with "end of day" —
never "00:00" of the day after. An end at another time (e.g. set through the API) shows its time.
"""

from __future__ import annotations

import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def _date(day: datetime.date) -> str:
    # The format is part of the translation: "06.12.2026" in German, "6 Dec 2026" in English.
    return formats.date_format(day, pgettext("date format of a grant's end", "j M Y"))


def last_day(expires_at: datetime.datetime | datetime.date | None) -> datetime.date | None:
    """The last day the access runs (for a date: the date itself)."""
    if expires_at is None:
        return None
    if not isinstance(expires_at, datetime.datetime):
        return expires_at
    local = timezone.localtime(expires_at)
    return local.date() - datetime.timedelta(days=1) if local.time() == datetime.time.min else local.date()


def grant_end(expires_at: datetime.datetime | datetime.date | None) -> str:
    """ "until 6 Dec 2026 (end of day)" / "bis 06.12.2026 (Tagesende)"; "no end date" when there is none.

    Accepts the stored moment or the date a form chose: both read the same."""
    if expires_at is None:
        return _("no end date (until revoked)")
    if isinstance(expires_at, datetime.datetime):
        local = timezone.localtime(expires_at)
        if local.time() != datetime.time.min:
            return _("until %(date)s, %(time)s") % {
                "date": _date(local.date()),
                "time": formats.time_format(local.time(), "TIME_FORMAT"),
            }
    return _("until %(date)s (end of day)") % {"date": _date(last_day(expires_at))}
