"""The grant and managed-account rules give the same answer as a queryset (visible) and for one object (can)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from delegations import access as delegation_access
from delegations import services
from delegations.models import CaretakerGrant, ManagedAccount, Notification
from portal import access

from .factories import grant_row, granted, requested

PEOPLE = (
    "owner",
    "admin",
    "billing",
    "technical",
    "tech",
    "sales",
    "support",
    "other_owner",
    "vendor_support",
    "outsider",
)


def test_del5_visible_and_can_agree_for_every_user_action_and_grant(w, django_user_model):
    requested(w)
    requested(w, "T-777777")  # unknown number
    granted(w, "someone@example.org", tenants=[w.tenant2])
    granted(w, w.tech.email, tenants=[w.tenant2])
    grant_row(
        tenant=w.other_tenant, caretaker=w.tech, scope="read", expires_at=timezone.now() + timedelta(days=1)
    )
    grant_row(tenant=w.tenant, caretaker=w.sales, scope="read", status="revoked")
    admin = django_user_model.objects.create_superuser(email="root@vendor.example", password="x")
    grants = list(CaretakerGrant.objects.all())
    for user in [getattr(w, name) for name in PEOPLE] + [admin]:
        for action in delegation_access.GRANT_ACTIONS:
            by_query = set(access.visible(user, CaretakerGrant, action).values_list("pk", flat=True))
            by_object = {g.pk for g in grants if access.can(user, action, g)}
            assert by_query == by_object, (user.email, action)


def test_acc4_visible_and_can_agree_for_managed_accounts(w):
    relation = services.request_management(actor=w.sales, customer_number=w.customer.number, scope="read")
    services.approve_management(actor=w.owner, relation=relation)
    services.request_management(actor=w.sales, customer_number=w.other_customer.number, scope="read")
    relations = list(ManagedAccount.objects.all())
    for user in [getattr(w, name) for name in PEOPLE]:
        for action in delegation_access.MANAGED_ACTIONS:
            by_query = set(access.visible(user, ManagedAccount, action).values_list("pk", flat=True))
            by_object = {r.pk for r in relations if access.can(user, action, r)}
            assert by_query == by_object, (user.email, action)


def test_notifications_are_only_their_users(w):
    Notification.objects.create(user=w.owner, kind="request_received")
    assert access.visible(w.owner, Notification).count() == 1
    assert access.visible(w.admin, Notification).count() == 0
    note = Notification.objects.get()
    assert access.can(w.owner, "view", note) and not access.can(w.admin, "view", note)
    assert services.mark_all_notifications_read(actor=w.owner) == 1
