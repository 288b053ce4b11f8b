"""Celery tasks of the tenants app. Implements TEN-7 (consistency check in the background; services ended
when their end date has passed). Each task takes ids, imports its service inside, and returns early when
the work is done already, so a retry or a second delivery is harmless. The check is an outbox task
(portal.outbox): enqueued in the transaction that creates the run, handed over again by the outbox sweep
if the broker was down or the message got lost.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from portal.outbox import outbox_task


@outbox_task(
    name="tenants.run_consistency_check",
    retry_on=(DatabaseError,),  # transient lock or connection trouble; a retry starts the run over
    max_retries=5,
    # A run that outlives its stale time is failed by the stale-run job anyway: stop it there.
    soft_time_limit=settings.PORTAL_CHECK_STALE_MINUTES * 60 - 30,
    time_limit=settings.PORTAL_CHECK_STALE_MINUTES * 60,
)
def run_consistency_check(run_id: int) -> str:
    from tenants.services.checks import run_consistency_check as run

    result = run(run_id=run_id)
    return result.status if result is not None else "skipped"


@shared_task(name="tenants.complete_ended_services")
def complete_ended_services() -> int:
    from tenants.services.booking import complete_ended_services as complete

    return complete()


@shared_task(name="tenants.fail_stale_check_runs")
def fail_stale_check_runs() -> int:
    from tenants.services.checks import fail_stale_check_runs as fail

    return fail()


@shared_task(name="tenants.notify_deploy_needed", acks_late=True)
def notify_deploy_needed(domain_id: int, service_ids: list[int], actor_id: int | None = None) -> int:
    """Sales booked services that need deploying: tell those who may deploy them (UI-1 hand-off). Idempotent:
    one notice per user and booking (dedupe key); nothing once the services are deployed."""
    from tenants.notices import notify_deploy_needed as notify

    return notify(domain_id=domain_id, service_ids=service_ids, actor_id=actor_id)
