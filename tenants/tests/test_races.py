"""Races on PostgreSQL with real threads and connections (TEN-4, TEN-6, TEN-7): locks and constraints, not
luck, decide. Each test widens the window in which the first transaction holds its locks; where one side loses,
the test also shows that it waited for the winner (it took at least the winner's window)."""

from __future__ import annotations

import datetime
import time

import pytest

from portal.errors import DomainError
from portal.tests.races import concurrently
from tenants import catalogue, services
from tenants.models import BookedService, CheckRun, Domain

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres(require_postgres):
    return None


HOLD = 0.3


def _loser_waited(results) -> bool:
    """The refused call took at least (about) the winner's window: it waited for the lock or the row."""
    return next(seconds for kind, _value, seconds in results if kind == "error") >= HOLD * 0.9


@pytest.fixture
def slow_booking(monkeypatch):
    """Hold the domain lock a little longer inside every booking (between the checks and the inserts)."""
    original = catalogue.plan_booking

    def slow(*args, **kwargs):
        plan = original(*args, **kwargs)
        time.sleep(HOLD)
        return plan

    monkeypatch.setattr(catalogue, "plan_booking", slow)


def _outcomes(results):
    return sorted(kind for kind, _value, _seconds in results)


def test_ten4_same_domain_added_twice_at_once_only_one_wins(world, slow_booking):
    results = concurrently(
        *[
            lambda: services.add_domain(actor=world.sales, tenant=world.tenant, name="race.example")
            for _ in range(2)
        ]
    )
    assert _outcomes(results) == ["error", "ok"]
    error = next(value for kind, value, _s in results if kind == "error")
    assert isinstance(error, DomainError) and error.code == "domain_taken"
    assert _loser_waited(results), results
    assert Domain.objects.filter(name="race.example").count() == 1
    assert BookedService.objects.count() == 1


def test_ten7_same_service_booked_twice_at_once_only_one_wins(world, slow_booking):
    domain = services.add_domain(actor=world.sales, tenant=world.tenant, name="shop.example")
    results = concurrently(
        *[
            lambda: services.book_services(actor=world.sales, domain=domain, service_types=["archive"])
            for _ in range(2)
        ]
    )
    assert _outcomes(results) == ["error", "ok"]
    error = next(value for kind, value, _s in results if kind == "error")
    assert error.code == "already_booked"
    assert _loser_waited(results), results
    assert domain.services.filter(service_type__code="archive").count() == 1


def test_ten7_service_ended_twice_at_once_ends_once(world, clock):
    clock.today("2025-06-10")
    domain = services.add_domain(
        actor=world.sales, tenant=world.tenant, name="shop.example", service_types=["archive"]
    )
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    archive = domain.services.get(service_type__code="archive")
    results = concurrently(
        lambda: services.end_service(actor=world.sales, service=archive, end_date=datetime.date(2025, 6, 30)),
        lambda: services.end_service(actor=world.sales, service=archive, end_date=datetime.date(2025, 7, 31)),
    )
    assert _outcomes(results) == ["error", "ok"]
    assert next(value for kind, value, _s in results if kind == "error").code == "already_ending"
    archive.refresh_from_db()
    assert archive.status == "ending"


def test_ten7_two_checks_started_at_once_share_one_run(world, monkeypatch):
    from tenants import tasks

    monkeypatch.setattr(tasks.run_consistency_check, "delay", lambda **kwargs: None)
    results = concurrently(
        *[lambda: services.start_consistency_check(actor=world.tech, tenant=world.tenant) for _ in range(3)]
    )
    assert _outcomes(results) == ["ok", "ok", "ok"]
    runs = {value[0].pk for _kind, value, _s in results}
    assert len(runs) == 1
    assert sorted(value[1] for _kind, value, _s in results) == [False, False, True]
    assert CheckRun.objects.count() == 1


def test_ten7_end_of_service_job_run_concurrently_ends_each_once(world, clock):
    clock.today("2025-06-10")
    for index in range(20):
        services.add_domain(
            actor=world.sales, tenant=world.tenant, name=f"d{index}.example", service_types=["archive"]
        )
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    for service in BookedService.objects.filter(service_type__code="archive"):
        services.end_service(actor=world.sales, service=service)
    results = concurrently(
        *[
            lambda: services.complete_ended_services(today=datetime.date(2025, 7, 1), batch_size=3)
            for _ in range(3)
        ]
    )
    assert _outcomes(results) == ["ok", "ok", "ok"]
    assert sum(value for _kind, value, _s in results) == 20
    assert BookedService.objects.filter(status="ended").count() == 20


def test_ten6_first_users_added_at_once_start_billing_once(world, clock):
    clock.today("2025-06-10")
    domain = services.add_domain(actor=world.sales, tenant=world.tenant, name="shop.example")
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    results = concurrently(
        lambda: services.add_registered_user(actor=world.sales, domain=domain, email="a@shop.example"),
        lambda: services.add_registered_user(actor=world.sales, domain=domain, email="b@shop.example"),
        lambda: services.add_registered_user(actor=world.sales, domain=domain, email="a@shop.example"),
    )
    assert _outcomes(results) == ["error", "ok", "ok"]
    assert next(value for kind, value, _s in results if kind == "error").code == "user_already_registered"
    from portal.models import AuditEvent

    started = [
        event.changes["billing_started"]
        for event in AuditEvent.objects.filter(action="tenant.domain.user_added")
        if event.changes["billing_started"]
    ]
    assert len(started) == 1  # the domain lock makes exactly one of them the first user
    assert domain.services.get().billing_start == datetime.date(2025, 6, 10)
