"""One rate limiter for every abuse-prone write (issue 10 §1 throttles): caretaker and management requests
(DEL-1, ACC-4), invitations (ACC-2), password resets (UI-1) — each per requester and per target.

The rates are the one table in settings, ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (DRF's format,
``"10/hour"``; environment variables ``THROTTLE_*``), and the limit is enforced here, in the service layer,
so the HTML forms, the API and any other caller share it. Counters are fixed windows in the
``RequestCounter`` table, incremented inside the caller's transaction: a request that is refused, or fails
later, rolls its count back; a counted request commits with the change it made.

Why not a cache-based library (django-ratelimit)? Its counter is not transactional (a refused or failed
request still counts), it needs a shared cache the embedded development set-up does not have, and test
databases would share one Redis. The refusal carries the wait: the message names it in minutes and
``Retry-After`` says the same number of seconds (``RateLimited.retry_after``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal.errors import RateLimited
from portal.models import RequestCounter

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# What each limit protects, for the message ("Too many <what> from <whom>").
SUBJECTS = {
    "delegation_request": gettext_lazy("access requests"),
    "management_request": gettext_lazy("management requests"),
    "invitation": gettext_lazy("invitations"),
    "password_reset": gettext_lazy("password reset requests"),
}
WHO = {
    "user": gettext_lazy("you"),
    "account": gettext_lazy("your partner account"),
    "target": gettext_lazy("this recipient"),
    "client": gettext_lazy("your network address"),
}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/hour"`` → (10, 3600), the same format as DRF's SimpleRateThrottle."""
    number, period = rate.split("/")
    return int(number), PERIODS[period.strip()[0].lower()]


def rate_for(scope: str) -> tuple[int, int]:
    rates = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})
    if scope not in rates:
        raise ImproperlyConfigured(f"No rate for {scope!r} in REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'].")
    return parse_rate(rates[scope])


def _window(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def _count(scope: str, identity: str, start: datetime) -> int:
    updated = RequestCounter.objects.filter(scope=scope, identity=identity, window_start=start).update(
        count=F("count") + 1
    )
    if not updated:
        try:
            with transaction.atomic():
                RequestCounter.objects.create(scope=scope, identity=identity, window_start=start, count=1)
        except IntegrityError:  # a concurrent first attempt created the row
            RequestCounter.objects.filter(scope=scope, identity=identity, window_start=start).update(
                count=F("count") + 1
            )
    return RequestCounter.objects.get(scope=scope, identity=identity, window_start=start).count


def hit(scope: str, identity: str, *, now: datetime | None = None) -> None:
    """Count one attempt for ``identity`` under ``scope``; raise RateLimited when it exceeds the rate.

    ``scope`` is ``<subject>_<who>``, e.g. ``invitation_target``. Must run inside the caller's transaction (the
    row stays locked until it commits, which serialises concurrent attempts of the same identity).
    """
    now = now or timezone.now()
    limit, seconds = rate_for(scope)
    start = _window(now, seconds)
    identity = str(identity)[:64]
    if _count(scope, identity, start) <= limit:
        return
    minutes = max(1, math.ceil((start + timedelta(seconds=seconds) - now).total_seconds() / 60))
    subject, _sep, who = scope.rpartition("_")
    raise RateLimited(
        ngettext(
            "Too many %(what)s from %(who)s: at most %(limit)d per %(period)s. "
            "Please try again in %(minutes)d minute.",
            "Too many %(what)s from %(who)s: at most %(limit)d per %(period)s. "
            "Please try again in %(minutes)d minutes.",
            minutes,
        )
        % {
            "what": SUBJECTS.get(subject, _("requests")),
            "who": WHO.get(who, _("you")),
            "limit": limit,
            "period": _period_name(seconds),
            "minutes": minutes,
        },
        code="rate_limited",
        retry_after=minutes * 60,
    )


def _period_name(seconds: int) -> str:
    return {1: _("second"), 60: _("minute"), 3600: _("hour"), 86400: _("day")}[seconds]


def purge(before: datetime) -> int:
    """Drop counters of windows that started before ``before`` (called by the hourly lapse sweep)."""
    return RequestCounter.objects.filter(window_start__lt=before).delete()[0]
