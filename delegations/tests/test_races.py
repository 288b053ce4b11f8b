"""Races on PostgreSQL with real threads and connections (DEL-2, DEL-4, DEL-6): the locks, not luck, decide.

Each test widens the window in which the first transaction holds its locks (a short sleep inside the
permission recomputation), so the second really has to wait or skip.
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
from tenants.models import TenantUserObjectPermission
from tenants.tests.factories import TenantFactory

from .conftest import link_token
from .factories import grant_row, granted, make_world

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def w(require_postgres):
    return make_world()


@pytest.fixture
def slow_recompute(monkeypatch):
    """Hold the locks a little longer inside every permission recomputation."""
    original = access.sync_tenant_permissions

    def slow(tenant_ids):
        time.sleep(0.3)
        return original(tenant_ids)

    monkeypatch.setattr(access, "sync_tenant_permissions", slow)


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


def _consistent():
    """The rows agree with the states: nothing for rebuild_permissions to repair."""
    assert access.rebuild_all() == {"added": 0, "removed": 0}


def _fresh_round():
    """Forget the previous round's grants and the rights they gave (a bare delete leaves guardian rows behind)."""
    CaretakerGrant.objects.all().delete()
    access.rebuild_all()


def _token(w):
    granted(w, tenants=[w.tenant])
    return link_token(next(m.body for m in mail.outbox if "?token=" in m.body))


def test_del2_two_concurrent_link_posts_activate_once(w, slow_recompute):
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
    _consistent()


@pytest.mark.parametrize("ending", ["withdraw", "revoke"])
def test_del4_accept_against_the_customer_ending_it(w, slow_recompute, ending):
    for _round in range(3):
        mail.outbox.clear()
        _fresh_round()
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
        has_rights = TenantUserObjectPermission.objects.filter(user=w.tech, content_object=w.tenant).exists()
        assert has_rights == (final.status == "active")
        _consistent()


def test_del4_extend_against_the_expiry_sweep(w, slow_recompute):
    for _round in range(3):
        _fresh_round()
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
        has_rights = TenantUserObjectPermission.objects.filter(user=w.tech).exists()
        assert has_rights == (final.status == "active")
        _consistent()


def test_del4_two_expiry_sweeps_at_once(w, slow_recompute):
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
    assert not TenantUserObjectPermission.objects.exists()
    _consistent()


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
