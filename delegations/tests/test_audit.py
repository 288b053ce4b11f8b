"""DEL-7: every state change and every change a delegate makes is recorded with actor, account and grant;
the customer sees its tenants' trail including what caretakers did."""

from __future__ import annotations

from delegations import services
from portal.models import AuditEvent
from portal.selectors import audit_events_visible_to
from tenants import services as tenant_services

from .factories import requested


def test_del7_a_caretakers_change_names_the_grant_and_the_customer_sees_it(w, client):
    grant = services.accept_delegation(actor=w.owner, grant=requested(w))
    w.tech.active_account = w.partner
    tenant_services.rename_tenant(actor=w.tech, tenant=w.tenant, name="Webshop neu")
    event = AuditEvent.objects.get(action="tenant.renamed")
    assert (event.actor, event.acting_account, event.grant, event.tenant, event.account) == (
        w.tech,
        w.partner,
        grant,
        w.tenant,
        w.customer,
    )
    seen_by_owner = set(audit_events_visible_to(w.owner).values_list("action", flat=True))
    assert {"delegation.requested", "delegation.accepted", "tenant.renamed"} <= seen_by_owner
    services.revoke_caretaker_access(actor=w.owner, grant=grant)
    trail = list(audit_events_visible_to(w.owner).filter(grant=grant).values_list("action", flat=True))
    assert trail == ["delegation.revoked", "tenant.renamed", "delegation.accepted", "delegation.requested"]
    client.force_login(w.owner)
    page = client.get(f"/audit/?tenant={w.tenant.number}")
    assert b"tenant.renamed" in page.content


def test_del7_an_unknown_numbers_request_stays_in_the_requesters_trail_only(w):
    requested(w, "T-313131")
    assert audit_events_visible_to(w.tech).filter(action="delegation.requested").count() == 1
    assert not audit_events_visible_to(w.owner).filter(action="delegation.requested").exists()


def test_del7_the_account_acted_for_is_the_grants_side_not_the_selected_account(w):
    """A customer owner who is also a partner member, with the partner account selected, still acts for the
    customer when it answers, extends or revokes; the caretaker resigns for its partner account."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import Membership
    from portal import access

    Membership.objects.create(user=w.owner, account=w.partner, role="tech")
    access.forget(w.owner)
    w.owner.active_account = w.partner

    def acting(action, grant):
        return AuditEvent.objects.get(action=action, grant=grant).acting_account

    grant = services.accept_delegation(
        actor=w.owner, grant=requested(w), expires_on=timezone.localdate() + timedelta(days=10)
    )
    services.extend_caretaker_access(actor=w.owner, grant=grant)
    services.revoke_caretaker_access(actor=w.owner, grant=grant)
    declined = services.decline_delegation(actor=w.owner, grant=requested(w))
    resigned = services.accept_delegation(actor=w.owner, grant=requested(w))
    services.resign_caretaker_access(actor=w.tech, grant=resigned)
    assert [
        acting("delegation.accepted", grant),
        acting("delegation.extended", grant),
        acting("delegation.revoked", grant),
        acting("delegation.declined", declined),
        acting("delegation.resigned", resigned),
    ] == [w.customer, w.customer, w.customer, w.customer, w.partner]


def test_del7_every_other_state_change_is_recorded_with_actor_account_and_grant(w):
    from datetime import timedelta

    from django.utils import timezone

    (grant,) = services.grant_caretaker_access(
        actor=w.owner, tenants=[w.tenant], email="x@example.org", scope="read"
    )
    withdrawn = services.withdraw_delegation(actor=w.tech, grant=requested(w))
    stale = requested(w, w.tenant2.number)
    services.lapse_stale_requests(now=timezone.now() + timedelta(days=31))
    rows = {
        action: AuditEvent.objects.get(action=action, grant=g)
        for action, g in (
            ("delegation.granted", grant),
            ("delegation.withdrawn", withdrawn),
            ("delegation.lapsed", stale),
        )
    }
    assert [(e.actor, e.acting_account, e.account) for e in rows.values()] == [
        (w.owner, w.customer, w.customer),
        (w.tech, w.partner, w.customer),
        (None, None, w.customer),  # the job is the actor; the grant and the customer's trail are named
    ]
    assert set(
        audit_events_visible_to(w.owner)
        .filter(grant__in=[grant, withdrawn, stale])
        .values_list("action", flat=True)
    ) >= {"delegation.granted", "delegation.withdrawn", "delegation.lapsed"}


def test_acc4_every_management_change_is_recorded_for_the_customer(w):
    def event(action):
        return AuditEvent.objects.get(action=action)

    declined = services.request_management(actor=w.sales, customer_number=w.customer.number, scope="read")
    services.decline_management(actor=w.owner, relation=declined)
    withdrawn = services.request_management(actor=w.sales, customer_number=w.customer.number, scope="read")
    services.withdraw_management(actor=w.sales, relation=withdrawn)
    relation = services.request_management(actor=w.sales, customer_number=w.customer.number, scope="read")
    services.approve_management(actor=w.owner, relation=relation)
    services.notify_partner_of_dissolution(
        actor=w.vendor_support, relation=relation, notice="Asked by the owner"
    )
    services.dissolve_management(actor=w.vendor_support, relation=relation)
    actions = ["declined", "withdrawn", "approved", "partner_notified", "dissolved"]
    assert [(event(f"management.{a}").actor, event(f"management.{a}").account) for a in actions] == [
        (w.owner, w.customer),
        (w.sales, w.customer),
        (w.owner, w.customer),
        (w.vendor_support, w.customer),
        (w.vendor_support, w.customer),
    ]
    assert event("management.withdrawn").acting_account == w.partner
    assert event("management.partner_notified").changes["notice"] == "Asked by the owner"
    seen = set(audit_events_visible_to(w.owner).values_list("action", flat=True))
    assert {f"management.{a}" for a in actions} <= seen
