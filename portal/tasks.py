"""Portal housekeeping jobs. Implements API-2 (stored idempotency responses are kept for a while, then purged)
and the outbox's beat side (OPS-2): the sweep that hands over and takes back jobs, and the purge of old ones.
Beat schedule: portal/settings CELERY_BEAT_SCHEDULE, section "portal"."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone


@shared_task(name="portal.tasks.purge_idempotency_records")
def purge_idempotency_records() -> int:
    from portal.models import IdempotencyRecord

    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEEP_HOURS)
    return IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()[0]


@shared_task(name="portal.tasks.sweep_outbox")
def sweep_outbox() -> dict:
    """Every minute: hand over due jobs, re-send lost ones, take back jobs of dead workers (portal.outbox)."""
    from portal import outbox

    return outbox.sweep()


@shared_task(name="portal.tasks.purge_outbox")
def purge_outbox() -> int:
    """Hourly: done jobs and side-effect keys older than OUTBOX_KEEP_DAYS go; failed jobs stay."""
    from portal import outbox

    return outbox.purge()
