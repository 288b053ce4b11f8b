"""Licence background jobs (SUB-2, SUB-4, SUB-5, LIC-3 demos).

Beat starts ``schedule_jobs`` hourly; it records one outbox job per hour (``portal.outbox.enqueue`` with a key,
so two beats in the same hour record one job), and the outbox runs it with its guarantees (claimed once,
retried on transient errors). The job itself is idempotent: the renewal's unique (subscription, period start)
row makes a second run, or a concurrent one, renew nothing twice; the expiry sweep only touches rows that can
still expire. Beat schedule: portal/settings CELERY_BEAT_SCHEDULE, section "licenses".
"""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from portal.outbox import enqueue, outbox_task


@shared_task(name="licenses.tasks.schedule_jobs")
def schedule_jobs() -> int:
    hour = timezone.localtime().strftime("%Y-%m-%dT%H")
    with transaction.atomic():
        job = enqueue("licenses.tasks.renew_and_expire", key=f"licenses.renew_and_expire:{hour}")
    return job.pk


@outbox_task(name="licenses.tasks.renew_and_expire")
def renew_and_expire() -> dict:
    """Renew due subscriptions, then expire demos and cancelled subscriptions past their end (set-based)."""
    from licenses.services import expire_due_licenses, renew_due_subscriptions

    return {"renewed": renew_due_subscriptions(), "expired": expire_due_licenses()}
