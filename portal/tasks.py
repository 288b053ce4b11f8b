"""Portal housekeeping jobs. Implements API-2 (stored idempotency responses are kept for a while, then purged)."""

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
