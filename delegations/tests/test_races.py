"""Races on PostgreSQL with real threads and connections (DEL-2, DEL-4, DEL-6): the locks, not luck, decide.

Each test widens the window in which the first transaction holds its locks (a short sleep right after the
grant row is locked, and inside a sweep's batch), records when each thread got its lock, and asserts that the
second really waited for the first (or, for the sweeps' SKIP LOCKED, really skipped its rows).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from delegations import services
from delegations.models import CaretakerGrant, GrantInvitation, Notification
from portal import access
from portal.errors import DomainError
from portal.models import AuditEvent
from tenants.models import Tenant
from tenants.tests.factories import TenantFactory

from .conftest import link_token
from .factories import grant_row, granted, make_world

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def w(require_postgres):
    return make_world()


HOLD = 0.4  # seconds each lock holder keeps its locks


@pytest.fixture
def slow_locks(monkeypatch):
    """Hold every grant-row lock (and each sweep batch's locks) ``HOLD`` seconds longer; returns the record of
    (what, monotonic time the lock was held) so a test can show the second thread waited."""
    from delegations.services import grants as grant_services
    from delegations.services import sweeps as sweep_services

    taken: list[tuple[str, float, list]] = []
    original_lock, original_audit = grant_services.lock_grant, sweep_services._audit_rows

    def slow_lock(pk):
        grant = original_lock(pk)
        taken.append(("grant", time.monotonic(), [pk]))
        time.sleep(HOLD)
        return grant

    def slow_batch(ids, *args, **kwargs):
        taken.append(("sweep", time.monotonic(), list(ids)))
        time.sleep(HOLD)
        return original_audit(ids, *args, **kwargs)

    monkeypatch.setattr(grant_services, "lock_grant", slow_lock)
    monkeypatch.setattr(sweep_services, "_audit_rows", slow_batch)
    return taken


def waited(taken) -> bool:
    """The later lock came at least (almost) HOLD after the earlier one: the second thread waited."""
    times = sorted(moment for _what, moment, _ids in taken)
    return len(times) >= 2 and times[-1] - times[0] >= HOLD * 0.8


def concurrently(*calls):
    """Run the calls in threads started together; returns ("ok", value) or ("error", exception) per call."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = ("ok", call())
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(r is not None for r in results), results
    return results


def _has_rights(w) -> bool:
    """What the authority answers now for the caretaker on the tenant (a fresh user object: no cache)."""
    tech = type(w.tech).objects.get(pk=w.tech.pk)
    return access.can(tech, "view", Tenant.objects.get(pk=w.tenant.pk))


def _fresh_round(taken):
    CaretakerGrant.objects.all().delete()
    taken.clear()


def _token(w):
    granted(w, tenants=[w.tenant])
    return link_token(next(m.body for m in mail.outbox if "?token=" in m.body))


def test_del2_two_concurrent_link_posts_activate_once(w, slow_locks):
    token = _token(w)

    def post():
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(w.tech)
        response = client.post(
            "/api/v1/delegations/accept-link/", {"token": token}, content_type="application/json"
        )
        return response.status_code, response.json()

    results = concurrently(post, post)
    statuses = sorted(value[0] for kind, value in results)
    assert statuses == [200, 409], results
    assert [value[1]["code"] for _kind, value in results if value[0] == 409] == ["link_used"]
    assert CaretakerGrant.objects.get().status == "active"
    assert AuditEvent.objects.filter(action="delegation.accepted").count() == 1
    assert GrantInvitation.objects.get().used_by == w.tech
    assert _has_rights(w)
    assert waited(slow_locks), slow_locks  # the second POST waited for the first one's locks


@pytest.mark.parametrize("ending", ["withdraw", "revoke"])
def test_del4_accept_against_the_customer_ending_it(w, slow_locks, ending):
    for _round in range(3):
        mail.outbox.clear()
        _fresh_round(slow_locks)
        token = _token(w)
        grant = CaretakerGrant.objects.get()

        def accept():
            return services.accept_grant_link(actor=w.tech, token=token)

        def end():
            call = services.withdraw_delegation if ending == "withdraw" else services.revoke_caretaker_access
            return call(actor=w.owner, grant=grant)

        results = concurrently(accept, end)
        assert all(kind == "ok" or isinstance(value, DomainError) for kind, value in results), results
        final = CaretakerGrant.objects.get(pk=grant.pk)
        assert final.status in {"active", "withdrawn", "revoked"}
        assert _has_rights(w) == (final.status == "active")
        assert waited(slow_locks), slow_locks


def test_del4_extend_against_the_expiry_sweep(w, slow_locks):
    for _round in range(3):
        _fresh_round(slow_locks)
        grant = grant_row(tenant=w.tenant, caretaker=w.tech, expires_at=timezone.now() + timedelta(seconds=2))
        sweep_time = timezone.now() + timedelta(seconds=3)
        results = concurrently(
            lambda: services.extend_caretaker_access(actor=w.owner, grant=grant),
            lambda: services.expire_due_grants(now=sweep_time),
        )
        final = CaretakerGrant.objects.get(pk=grant.pk)
        extended, swept = results
        if final.status == "active":
            assert extended[0] == "ok" and final.expires_at > sweep_time and swept == ("ok", 0)
        else:
            assert final.status == "expired" and swept == ("ok", 1)
            assert extended[0] == "error" and extended[1].code == "grant_not_active"
        assert _has_rights(w) == (final.status == "active")
        if swept == ("ok", 1):  # the sweep held the row first: the extension waited for it
            assert waited(slow_locks), slow_locks


def test_del4_two_expiry_sweeps_at_once(w, slow_locks):
    now = timezone.now()
    tenants = [TenantFactory(account=w.customer) for _ in range(40)]
    for tenant in tenants:
        grant_row(tenant=tenant, caretaker=w.tech, scope="read", expires_at=now - timedelta(seconds=1))
    results = concurrently(
        lambda: services.expire_due_grants(batch_size=7), lambda: services.expire_due_grants(batch_size=7)
    )
    assert all(kind == "ok" for kind, _ in results), results
    assert sum(value for _kind, value in results) == 40
    assert not CaretakerGrant.objects.filter(status="active").exists()
    assert AuditEvent.objects.filter(action="delegation.expired").count() == 40
    batches = [set(ids) for what, _moment, ids in slow_locks if what == "sweep"]
    assert (
        sum(len(b) for b in batches) == 40 and len(set().union(*batches)) == 40
    )  # SKIP LOCKED: no row twice
    tech = type(w.tech).objects.get(pk=w.tech.pk)
    assert not access.visible(tech, Tenant).exists()


def test_del4_two_reminder_sweeps_at_once_send_exactly_one_reminder(w):
    now = timezone.now()
    tenants = [TenantFactory(account=w.customer) for _ in range(25)]
    for tenant in tenants:
        grant_row(tenant=tenant, caretaker=w.tech, scope="read", expires_at=now + timedelta(days=5))
    mail.outbox.clear()
    results = concurrently(
        lambda: services.send_expiry_reminders(now=now, batch_size=4),
        lambda: services.send_expiry_reminders(now=now, batch_size=4),
        lambda: services.send_expiry_reminders(now=now, batch_size=4),
    )
    assert all(kind == "ok" for kind, _ in results), results
    assert sum(value["7d"] for _kind, value in results) == 25
    # Both sides: the caretaker and the customer's owner and admin, once per grant.
    assert Notification.objects.filter(kind="grant_reminder_7d").count() == 25 * 3
    assert len([m for m in mail.outbox]) == 25 * 3
    assert not CaretakerGrant.objects.filter(reminder_7d_sent_at__isnull=True).exists()
