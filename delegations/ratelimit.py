"""Rate limit for caretaker requests, per user and per partner account (DEL-1).

The rates are DRF's throttle rates in settings (``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` keys
``delegation_request_user`` and ``delegation_request_account``, format ``"10/hour"``) but the limit is
enforced here, in the service layer, so the HTML form, the API and any other caller share it. Counters are
fixed windows in the ``RequestCounter`` table, incremented inside the caller's transaction: a request that
is refused, or fails later, rolls its count back.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.errors import RateLimited

from .models import RequestCounter

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/hour"`` → (10, 3600), the same format as DRF's SimpleRateThrottle."""
    number, period = rate.split("/")
    return int(number), PERIODS[period.strip()[0].lower()]


def rate_for(scope: str) -> tuple[int, int]:
    rates = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})
    return parse_rate(rates[scope])


def _window(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def hit(scope: str, identity: str, *, now: datetime | None = None) -> None:
    """Count one attempt for ``identity`` under ``scope``; raise RateLimited when it exceeds the rate.

    Must run inside the caller's transaction (the row stays locked until it commits, which serialises
    concurrent attempts of the same identity).
    """
    now = now or timezone.now()
    limit, seconds = rate_for(scope)
    start = _window(now, seconds)
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
    count = RequestCounter.objects.get(scope=scope, identity=identity, window_start=start).count
    if count > limit:
        wait = max(1, math.ceil((start + timedelta(seconds=seconds) - now).total_seconds() / 60))
        who = _("you") if scope.endswith("_user") else _("your partner account")
        raise RateLimited(
            ngettext(
                "Too many access requests from %(who)s: at most %(limit)d per %(period)s. "
                "Please try again in %(minutes)d minute.",
                "Too many access requests from %(who)s: at most %(limit)d per %(period)s. "
                "Please try again in %(minutes)d minutes.",
                wait,
            )
            % {"who": who, "limit": limit, "period": _period_name(seconds), "minutes": wait},
            code="rate_limited",
        )


def _period_name(seconds: int) -> str:
    return {1: _("second"), 60: _("minute"), 3600: _("hour"), 86400: _("day")}[seconds]


def purge(before: datetime) -> int:
    """Drop counters of windows that started before ``before`` (called by the lapse sweep)."""
    return RequestCounter.objects.filter(window_start__lt=before).delete()[0]
