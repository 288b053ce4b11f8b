"""SPEC §7 demo delegations: present, coherent, idempotent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from delegations import selectors, services
from delegations.models import CaretakerGrant, ManagedAccount, Notification
from portal import access
from portal.demo import seed_demo


@pytest.mark.django_db
def test_demo_delegations_are_seeded_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        world = seed_demo()
    counts = (CaretakerGrant.objects.count(), ManagedAccount.objects.count(), Notification.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo()
    assert (
        CaretakerGrant.objects.count(),
        ManagedAccount.objects.count(),
        Notification.objects.count(),
    ) == counts
    users, accounts = world["users"], world["accounts"]
    owner, tech = users["owner@shop.example"], users["tech@partner.example"]
    # A caretaker request pending for owner@shop.example, with an in-app notice.
    incoming = list(selectors.incoming_requests_for(owner))
    assert [(g.tenant_number, g.caretaker_email, g.scope) for g in incoming] == [
        ("T-000004", tech.email, "technical")
    ]
    assert Notification.objects.filter(user=owner, kind="request_received").exists()
    # An active grant expiring in about five days: the 7-day reminder is due.
    soon = CaretakerGrant.objects.get(tenant_number="T-000002", status="active")
    assert timedelta(days=4) < soon.expires_at - timezone.now() < timedelta(days=6)
    assert services.send_expiry_reminders()["7d"] == 1
    # History: a declined request and a revoked grant.
    assert set(selectors.history_for(owner).values_list("status", flat=True)) == {"declined", "revoked"}
    # Agentur Nord manages Radhaus Meyer KG; the partner caretakes T-000008.
    assert selectors.managing_partner_of(accounts["bikes"]) == accounts["partner"]
    assert "T-000008" in set(
        access.visible(tech, world["tenants"]["T-000001"].__class__).values_list("number", flat=True)
    )
