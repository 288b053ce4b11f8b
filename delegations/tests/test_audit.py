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
