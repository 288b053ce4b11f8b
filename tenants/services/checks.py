"""The asynchronous consistency check (TEN-7 "check domain and services").

``start_consistency_check`` creates a queued CheckRun and its outbox job (portal.outbox) in one transaction; while a run
of the tenant is queued or running it returns that one instead (a partial unique constraint backs this up).
``run_consistency_check`` is the task's body: it claims the run, reads the tenant's domains, bookings and
user counts in a constant number of queries, checks domain by domain (progress is committed as it goes, so a
page can poll it — at most once per ``PROGRESS_INTERVAL`` seconds, so the queries do not grow with the
domains), and stores the findings and ``done`` in one transaction at the end. It is idempotent and safe to
retry: a finished run is left alone; a re-delivered run (worker lost) starts over and replaces whatever a previous attempt left; of two concurrent attempts only the first to
finish writes. A database error propagates so the task retries with back-off; any other unexpected error
marks the run ``failed`` with the error instead of retrying forever.
A run whose worker died is handed over again by the outbox sweep; one whose heartbeat stopped for good is
failed by ``fail_stale_check_runs``.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from portal import access
from portal.audit import record_event
from portal.outbox import enqueue

from .. import catalogue, dns
from ..checks import check_domain
from ..models import BookedService, CheckRun, CheckStatus, Domain, Finding, Tenant

logger = logging.getLogger(__name__)

# Seconds between two progress writes (also the heartbeat ``fail_stale_check_runs`` looks at). The check
# page polls every 2 s, so writing more often shows nothing more; writing per domain cost one UPDATE each.
PROGRESS_INTERVAL = 1.0


def _stale_before():
    return timezone.now() - timedelta(minutes=settings.PORTAL_CHECK_STALE_MINUTES)


def _fail(run: CheckRun, error: str) -> None:
    CheckRun.objects.filter(pk=run.pk, status__in=[CheckStatus.QUEUED, CheckStatus.RUNNING]).update(
        status=CheckStatus.FAILED, error=error[:2000], finished_at=timezone.now()
    )


@transaction.atomic
def start_consistency_check(*, actor: User, tenant: Tenant) -> tuple[CheckRun, bool]:
    """Start a check of the tenant's domains and services (``run_check``: tech, customer admins, technical
    caretakers). Returns ``(run, created)``; ``created`` is False when a run was already queued or running."""
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)  # serializes concurrent starts per tenant
    access.require(actor, "run_check", tenant)
    active = CheckRun.objects.filter(
        tenant=tenant, status__in=[CheckStatus.QUEUED, CheckStatus.RUNNING]
    ).first()
    if active is not None:
        if active.updated_at >= _stale_before():
            return active, False
        _fail(active, _("The check stopped responding and was abandoned."))
    try:
        with transaction.atomic():
            run = CheckRun.objects.create(tenant=tenant, requested_by=actor)
    except IntegrityError:  # started concurrently (databases without row locks): return that one
        return CheckRun.objects.get(
            tenant=tenant, status__in=[CheckStatus.QUEUED, CheckStatus.RUNNING]
        ), False
    record_event(actor=actor, action="tenant.check.started", target=tenant, data={"run": run.pk})
    enqueue("tenants.run_consistency_check", key=f"check-run:{run.pk}", run_id=run.pk)
    return run, True


def _claim(run_id: int) -> CheckRun | None:
    with transaction.atomic():
        run = CheckRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status in (CheckStatus.DONE, CheckStatus.FAILED):
            return None  # finished already (a duplicate or late delivery): nothing to do
        run.status = CheckStatus.RUNNING
        run.attempts += 1
        run.started_at = timezone.now()
        run.progress = 0
        run.checked_domains = 0
        run.save(
            update_fields=["status", "attempts", "started_at", "progress", "checked_domains", "updated_at"]
        )
        return run


def run_consistency_check(*, run_id: int, checker=None) -> CheckRun | None:
    """Execute a queued run (the Celery task's body). Returns the run, or None if there was nothing to do."""
    run = _claim(run_id)
    if run is None:
        return None
    try:
        findings = _collect(run, checker or dns.get_checker())
    except DatabaseError:
        raise  # transient (lock, lost connection): the task retries, and a retry starts the run over
    except Exception as exc:
        logger.exception("Consistency check %s failed", run_id)
        _fail(run, f"{type(exc).__name__}: {exc}")
        return CheckRun.objects.get(pk=run_id)
    with transaction.atomic():
        current = CheckRun.objects.select_for_update().get(pk=run_id)
        if current.status != CheckStatus.RUNNING or current.attempts != run.attempts:
            return current  # another attempt finished or took over meanwhile: its result stands
        Finding.objects.filter(run=current).delete()
        for finding in findings:
            finding.run = current
        Finding.objects.bulk_create(findings)
        current.status = CheckStatus.DONE
        current.progress = 100
        current.checked_domains = current.total_domains
        current.finished_at = timezone.now()
        current.save(update_fields=["status", "progress", "checked_domains", "finished_at", "updated_at"])
        counts: dict[str, int] = defaultdict(int)
        for finding in findings:
            counts[finding.severity] += 1
        record_event(
            actor=access.SYSTEM,
            action="tenant.check.finished",
            target=current.tenant,
            data={"run": current.pk, "findings": len(findings), **counts},
        )
    return current


def _collect(run: CheckRun, checker) -> list[Finding]:
    domains = list(
        Domain.objects.filter(tenant_id=run.tenant_id, released_at__isnull=True).order_by("name", "pk")
    )
    total = len(domains)
    CheckRun.objects.filter(pk=run.pk).update(total_domains=total, updated_at=timezone.now())
    services_by_domain: dict[int, list[BookedService]] = defaultdict(list)
    for service in (
        BookedService.objects.filter(domain__in=domains).select_related("service_type").order_by("pk")
    ):
        services_by_domain[service.domain_id].append(service)
    users = dict(
        Domain.objects.filter(pk__in=[domain.pk for domain in domains])
        .annotate(users=Count("registered_users"))
        .values_list("pk", "users")
    )
    graph = catalogue.requirement_graph()
    types = catalogue.load_catalogue()
    base = catalogue.base_service()
    findings: list[Finding] = []
    last_write = time.monotonic()
    for index, domain in enumerate(domains, start=1):
        findings.extend(
            check_domain(
                domain,
                services_by_domain.get(domain.pk, []),
                users.get(domain.pk, 0),
                graph=graph,
                catalogue_types=types,
                base_id=base.pk if base else None,
                checker=checker,
            )
        )
        # Committed at once (no surrounding transaction): the page polls this while the check runs. Not after
        # the last domain: finishing sets 100 % in the same transaction as the findings.
        if index < total and time.monotonic() - last_write >= PROGRESS_INTERVAL:
            CheckRun.objects.filter(pk=run.pk, status=CheckStatus.RUNNING).update(
                checked_domains=index, progress=min(99, index * 100 // total), updated_at=timezone.now()
            )
            last_write = time.monotonic()
    return findings


def fail_stale_check_runs() -> int:
    """Scheduled job: runs whose heartbeat stopped longer than PORTAL_CHECK_STALE_MINUTES ago fail."""
    return CheckRun.objects.filter(
        status__in=[CheckStatus.QUEUED, CheckStatus.RUNNING], updated_at__lt=_stale_before()
    ).update(
        status=CheckStatus.FAILED,
        error=_("The check stopped responding and was abandoned."),
        finished_at=timezone.now(),
    )
