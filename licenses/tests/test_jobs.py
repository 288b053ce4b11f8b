"""SUB-4 renewals (set-based, exactly once per period, also concurrently on PostgreSQL), SUB-2 expiry of
cancelled subscriptions, LIC-3 demo expiry, the beat task through the outbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from licenses import services
from licenses.models import License, Subscription, SubscriptionRenewal
from portal.models import OutboxJob
from portal.tests.races import concurrently


def _subscription(issue, start, term="monthly", **kwargs):
    license = issue("subscription", term=term, started_on=start, **kwargs)
    return Subscription.objects.get(license=license)


def test_renewal_is_anchored_and_catches_up(world, issue):
    sub = _subscription(issue, dt.date(2025, 1, 31))
    assert sub.current_period_end == dt.date(2025, 2, 28)
    renewed = services.renew_due_subscriptions(day=dt.date(2025, 4, 1))
    sub.refresh_from_db()
    assert renewed == 2  # 28 Feb and 31 Mar
    assert (sub.current_period_start, sub.current_period_end) == (dt.date(2025, 3, 31), dt.date(2025, 4, 30))
    assert list(
        SubscriptionRenewal.objects.filter(subscription=sub)
        .order_by("period_start")
        .values_list("period_start", "period_end")
    ) == [
        (dt.date(2025, 2, 28), dt.date(2025, 3, 31)),
        (dt.date(2025, 3, 31), dt.date(2025, 4, 30)),
    ]
    assert timezone.localdate(License.objects.get(pk=sub.license_id).expires_at) == dt.date(2025, 4, 30)


def test_second_run_renews_nothing(world, issue):
    _subscription(issue, dt.date(2025, 1, 15))
    assert services.renew_due_subscriptions(day=dt.date(2025, 2, 15)) == 1
    assert services.renew_due_subscriptions(day=dt.date(2025, 2, 15)) == 0
    assert SubscriptionRenewal.objects.count() == 1


def test_a_renewal_row_written_by_another_run_blocks_the_period(world, issue):
    sub = _subscription(issue, dt.date(2025, 1, 15))
    SubscriptionRenewal.objects.create(
        subscription=sub, period_start=dt.date(2025, 2, 15), period_end=dt.date(2025, 3, 15)
    )
    assert services.renew_due_subscriptions(day=dt.date(2025, 2, 15)) == 0
    sub.refresh_from_db()
    assert sub.current_period_end == dt.date(2025, 2, 15)


def test_cancelled_voided_and_ended_do_not_renew(world, issue):
    cancelled = _subscription(issue, dt.date(2025, 1, 10))
    services.cancel_license(actor=world.sales, license=cancelled.license)
    voided = _subscription(issue, dt.date(2025, 1, 10))
    services.void_license(actor=world.sales, license=voided.license)
    assert services.renew_due_subscriptions(day=dt.date(2025, 3, 1)) == 0


def test_nfr_renews_on_its_own_term(world, issue):
    nfr = issue("nfr", product=world.nfr, holder=world.reseller, started_on=dt.date(2024, 2, 29))
    assert services.renew_due_subscriptions(day=dt.date(2025, 3, 1)) == 1
    nfr.subscription.refresh_from_db()
    assert nfr.subscription.current_period_end == dt.date(2026, 2, 28)


def test_expiry_of_demos_and_cancelled_subscriptions(world, issue):
    demo = issue("demo", demo_days=7)
    cancelled = issue("subscription")
    services.cancel_license(actor=world.sales, license=cancelled)
    running = issue("subscription")
    full = issue("full")
    later = timezone.now() + dt.timedelta(days=40)
    assert services.expire_due_licenses(now=later) == 2
    statuses = dict(License.objects.values_list("pk", "status"))
    assert statuses[demo.pk] == "expired" and statuses[cancelled.pk] == "expired"
    assert statuses[running.pk] == "active" and statuses[full.pk] == "active"
    assert Subscription.objects.get(license=cancelled).ended_on is not None
    assert services.expire_due_licenses(now=later) == 0


def test_beat_task_records_one_outbox_job_per_hour(world, issue, django_capture_on_commit_callbacks):
    from licenses import tasks

    _subscription(issue, dt.date(2020, 1, 1))
    with django_capture_on_commit_callbacks(execute=False):
        tasks.schedule_jobs()
        tasks.schedule_jobs()
    assert OutboxJob.objects.filter(task_name="licenses.tasks.renew_and_expire").count() == 1
    result = tasks.renew_and_expire()
    assert result["renewed"] > 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_renewals_renew_each_period_once(require_postgres, world, issue):
    subs = [_subscription(issue, dt.date(2025, 1, day)) for day in (1, 15, 28, 29, 30, 31)]
    day = dt.date(2025, 3, 2)
    results = concurrently(
        lambda: services.renew_due_subscriptions(day=day), lambda: services.renew_due_subscriptions(day=day)
    )
    assert all(kind == "ok" for kind, _value, _seconds in results), results
    assert sum(value for _kind, value, _seconds in results) == SubscriptionRenewal.objects.count()
    for sub in subs:
        sub.refresh_from_db()
        starts = list(
            SubscriptionRenewal.objects.filter(subscription=sub).values_list("period_start", flat=True)
        )
        assert len(starts) == len(set(starts))
        assert sub.current_period_end > day
