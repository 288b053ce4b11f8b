"""Races on PostgreSQL with real threads and connections (DEL-2, DEL-4, DEL-6): the locks, not luck, decide.

Each test widens the window in which a transaction holds its grant-row locks (a sleep of ``HOLD`` right after
the rows are locked, and inside a sweep's batch) and measures how long each thread took: a thread that also
held the lock for ``HOLD`` and finished after about twice that really waited for the other; the sweeps'
SKIP LOCKED partition the rows between them instead.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from delegations import services
from delegations.models import CaretakerGrant, GrantInvitation, Notification
from portal import access
from portal.errors import DomainError
from portal.models import AuditEvent
from portal.tests.races import concurrently
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
    original_pending = grant_services.lock_pending_grants

    def slow_lock(pk):
        grant = original_lock(pk)
        taken.append(("grant", time.monotonic(), [pk]))
        time.sleep(HOLD)
        return grant

    def slow_pending(invitation):
        grants = original_pending(invitation)
        taken.append(("link", time.monotonic(), [g.pk for g in grants]))
        time.sleep(HOLD)
        return grants

    def slow_batch(ids, *args, **kwargs):
        taken.append(("sweep", time.monotonic(), list(ids)))
        time.sleep(HOLD)
        return original_audit(ids, *args, **kwargs)

    monkeypatch.setattr(grant_services, "lock_grant", slow_lock)
    monkeypatch.setattr(grant_services, "lock_pending_grants", slow_pending)
    monkeypatch.setattr(sweep_services, "_audit_rows", slow_batch)
    return taken


def waited(results) -> bool:
    """Both calls held a grant lock for HOLD; if one of them finished only after about 2 × HOLD, it waited for
    the other's lock (in parallel both would finish after about HOLD)."""
    return max(seconds for _kind, _value, seconds in results) >= 2 * HOLD * 0.9


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
    statuses = sorted(value[0] for _kind, value, _seconds in results)
    assert statuses == [200, 409], results
    assert [value[1]["code"] for _kind, value, _seconds in results if value[0] == 409] == ["link_used"]
    assert CaretakerGrant.objects.get().status == "active"
    assert AuditEvent.objects.filter(action="delegation.accepted").count() == 1
    assert GrantInvitation.objects.get().used_by == w.tech
    assert _has_rights(w)
    # The second POST waited on the link row for the first one's commit (it never reaches the grant lock).
    loser = next(seconds for _kind, value, seconds in results if value[0] == 409)
    assert loser >= HOLD * 0.9, results


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
        assert all(kind == "ok" or isinstance(value, DomainError) for kind, value, _s in results), results
        final = CaretakerGrant.objects.get(pk=grant.pk)
        assert final.status in {"active", "withdrawn", "revoked"}
        assert _has_rights(w) == (final.status == "active")
        assert waited(results), results


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
            assert extended[0] == "ok" and final.expires_at > sweep_time and swept[:2] == ("ok", 0)
            assert swept[2] < HOLD, results  # SKIP LOCKED: the sweep passed the locked row without waiting
        else:
            assert final.status == "expired" and swept[:2] == ("ok", 1)
            assert extended[0] == "error" and extended[1].code == "grant_not_active"
        assert _has_rights(w) == (final.status == "active")
        if swept[:2] == ("ok", 1):  # the sweep held the row first: the extension waited for it
            assert waited(results), results


def test_del4_two_expiry_sweeps_at_once(w, slow_locks):
    now = timezone.now()
    tenants = [TenantFactory(account=w.customer) for _ in range(40)]
    for tenant in tenants:
        grant_row(tenant=tenant, caretaker=w.tech, scope="read", expires_at=now - timedelta(seconds=1))
    results = concurrently(
        lambda: services.expire_due_grants(batch_size=7), lambda: services.expire_due_grants(batch_size=7)
    )
    assert all(kind == "ok" for kind, _value, _s in results), results
    assert sum(value for _kind, value, _s in results) == 40
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
    assert all(kind == "ok" for kind, _value, _s in results), results
    assert sum(value["7d"] for _kind, value, _s in results) == 25
    # Both sides: the caretaker and the customer's owner and admin, once per grant.
    assert Notification.objects.filter(kind="grant_reminder_7d").count() == 25 * 3
    assert len([m for m in mail.outbox]) == 25 * 3
    assert not CaretakerGrant.objects.filter(reminder_7d_sent_at__isnull=True).exists()
