"""TEN-7 in production shape: a consistency check started through the service runs in a real Celery worker
on Redis (enqueued after commit), and the beat job ends services whose end date has passed."""

from __future__ import annotations

import datetime
import time

import pytest
from django.conf import settings

from portal.celery import app
from tenants import services
from tenants.models import BookedService, CheckRun


def test_ten7_beat_schedule_names_registered_tasks():
    schedule = settings.CELERY_BEAT_SCHEDULE
    for entry in ("tenants-complete-ended-services", "tenants-fail-stale-check-runs"):
        assert schedule[entry]["task"] in app.tasks
    assert "tenants.run_consistency_check" in app.tasks


def _wait_for(condition, timeout: float = 30.0) -> None:
    from django.db import OperationalError

    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except OperationalError:  # SQLite's shared in-memory test database: a table locked by the worker
            pass
        assert time.monotonic() < deadline, "the worker did not finish in time"
        time.sleep(0.1)


@pytest.mark.celery_worker
def test_ten7_real_worker_runs_a_consistency_check(celery_worker_redis, world, settings):
    from django.db import connection

    # Long enough to see it running; on SQLite (one in-memory database shared by two threads, table locks)
    # the test stays a reader while the worker writes.
    on_postgres = connection.vendor == "postgresql"
    settings.PORTAL_DNS_CHECK_DELAY = 0.2 if on_postgres else 0
    for name in ("ok.example", "nomx.example", "legacy.example"):
        domain = services.add_domain(actor=world.sales, tenant=world.tenant, name=name)
        if name != "nomx.example":
            services.add_registered_user(actor=world.sales, domain=domain, email=f"a@{name}")
    run, created = services.start_consistency_check(
        actor=world.tech, tenant=world.tenant
    )  # commits: enqueues
    assert created
    if on_postgres:
        _wait_for(lambda: CheckRun.objects.get(pk=run.pk).status in ("running", "done"))
        again, created_again = services.start_consistency_check(actor=world.tech, tenant=world.tenant)
        if CheckRun.objects.get(pk=run.pk).status == "running":
            assert (again.pk, created_again) == (run.pk, False)
    _wait_for(lambda: CheckRun.objects.get(pk=run.pk).status == "done")
    run.refresh_from_db()
    assert (run.progress, run.checked_domains, run.total_domains, run.attempts) == (100, 3, 3, 1)
    # The new domains have nothing deployed: no billing finding about missing users (issue 13 §6).
    assert sorted(run.findings.values_list("code", flat=True)) == ["mx_elsewhere", "mx_missing"]
    # A duplicate delivery of the same task changes nothing. The solo worker takes tasks in order, so once a
    # check queued after the duplicate is done, the duplicate has been processed.
    app.send_task("tenants.run_consistency_check", kwargs={"run_id": run.pk})
    from tenants.tests.factories import resold_tenant

    other = resold_tenant(world.customer, world.partner, name="Marker")
    marker, _created = services.start_consistency_check(actor=world.tech, tenant=other)
    _wait_for(lambda: CheckRun.objects.get(pk=marker.pk).status == "done")
    run.refresh_from_db()
    assert run.attempts == 1
    assert sorted(run.findings.values_list("code", flat=True)) == ["mx_elsewhere", "mx_missing"]


@pytest.mark.celery_worker
def test_ten7_real_worker_ends_services_through_the_beat_task(celery_worker_redis, world, clock):
    clock.today("2025-06-10")
    domain = services.add_domain(
        actor=world.sales, tenant=world.tenant, name="shop.example", service_types=["archive"]
    )
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    archive = domain.services.get(service_type__code="archive")
    services.end_service(actor=world.sales, service=archive, end_date=datetime.date(2025, 6, 11))
    # The end date has passed (the worker thread shares this process's clock).
    clock.today("2025-06-12")
    app.send_task(settings.CELERY_BEAT_SCHEDULE["tenants-complete-ended-services"]["task"])
    _wait_for(lambda: BookedService.objects.get(pk=archive.pk).status == "ended")
    assert BookedService.objects.get(domain=domain, service_type__is_base=True).status == "deployed"
