"""Report deliveries in the background. Implements REP-4.

``deliver`` is an outbox task (portal.outbox): recorded in the transaction that scheduled or re-sent the
delivery, claimed once, retried on ``WebhookError`` (a non-2xx answer, a refused connection, a timeout) with
exponential back-off and jitter for about a day (60 s doubling to 4 h, 16 retries), then ``failed`` and shown
so in the delivery log. The beat jobs are set-based and idempotent (one delivery per destination and period).
Beat schedule: portal/settings CELERY_BEAT_SCHEDULE, section "reports".
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from portal.outbox import outbox_task

from .webhooks import WebhookError


@outbox_task(
    name="reports.tasks.deliver",
    max_retries=settings.REPORTS_WEBHOOK_MAX_RETRIES,
    retry_on=(WebhookError,),
    retry_base_seconds=60,
    retry_max_seconds=4 * 3600,
)
def deliver(delivery_id: int) -> str:
    from reports.services import send_delivery

    return send_delivery(delivery_id, max_attempts=deliver.max_attempts)


@shared_task(name="reports.tasks.schedule_license_deliveries")
def schedule_license_deliveries() -> int:
    """Nightly: yesterday's new licences to every destination that wants them."""
    from reports.models import Content
    from reports.services import schedule_deliveries

    yesterday = timezone.localdate() - timedelta(days=1)
    return schedule_deliveries(content=Content.LICENSES, period_start=yesterday, period_end=yesterday)


@shared_task(name="reports.tasks.schedule_statement_deliveries")
def schedule_statement_deliveries() -> int:
    """On the 1st: last month's statement to every destination that wants it."""
    from reports.models import Content
    from reports.services import schedule_deliveries

    first_of_this_month = timezone.localdate().replace(day=1)
    last_month_end = first_of_this_month - timedelta(days=1)
    return schedule_deliveries(
        content=Content.STATEMENT, period_start=last_month_end.replace(day=1), period_end=last_month_end
    )
