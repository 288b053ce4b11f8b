"""ACC-6, issue 8 §3: ``GET /api/v1/tenants/{number}/access/`` — who reaches a tenant and why, from the same
sources that decide access (``access.explain``): owners, admins and vendor staff see everyone, anyone else
who sees the tenant only their own entry; unseen tenants answer 404."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from delegations import services

from .factories import grant_row


def _entries(response):
    assert response.status_code == 200, response.content
    body = response.json()
    return body["complete"], {entry["user"]["email"]: entry for entry in body["entries"]}


def test_acc6_owner_sees_everyone_with_the_source_of_each_right(w, api):
    until = timezone.now() + timedelta(days=5)
    grant = grant_row(tenant=w.tenant, caretaker=w.tech, scope="technical", expires_at=until)
    relation = services.request_management(actor=w.sales, customer_number=w.customer.number, scope="read")
    services.approve_management(actor=w.owner, relation=relation)
    complete, entries = _entries(api(w.owner).get(f"/api/v1/tenants/{w.tenant.number}/access/"))
    assert complete is True
    assert {w.owner.email, w.admin.email, w.billing.email, w.technical.email} <= set(entries)
    owner = entries[w.owner.email]["reasons"]
    assert [(r["source"], r["role"], r["account"]["number"]) for r in owner] == [
        ("membership", "owner", w.customer.number)
    ]
    assert (
        "view_billing" in entries[w.billing.email]["rights"]
        and "change" not in entries[w.billing.email]["rights"]
    )
    # The caretaker: its grant, scope and expiry; deploy because it holds the partner role tech (DEL-3).
    tech = {r["source"]: r for r in entries[w.tech.email]["reasons"]}
    assert tech["caretaker_grant"]["grant_id"] == grant.pk and tech["caretaker_grant"]["scope"] == "technical"
    assert tech["caretaker_grant"]["expires_at"] is not None
    assert "deploy" in tech["caretaker_grant"]["rights"]
    # The managing partner's members, bounded by the relation's read scope; vendor staff as such.
    sales = {r["source"]: r for r in entries[w.sales.email]["reasons"]}
    assert sales["managed_account"]["relation_id"] == relation.pk and sales["managed_account"]["rights"] == [
        "view"
    ]
    assert entries[w.support.email]["rights"] == ["view"]
    assert [r["source"] for r in entries[w.vendor_support.email]["reasons"]] == ["vendor_staff"]
    assert w.outsider.email not in entries and w.other_owner.email not in entries


def test_acc6_a_caretaker_sees_only_its_own_entry(w, api):
    grant_row(tenant=w.tenant, caretaker=w.outsider, scope="read")
    complete, entries = _entries(api(w.outsider).get(f"/api/v1/tenants/{w.tenant.number}/access/"))
    assert complete is False
    assert list(entries) == [w.outsider.email]
    assert entries[w.outsider.email]["rights"] == ["view"]


def test_acc6_expired_unswept_and_ended_grants_are_not_listed(w, api):
    grant_row(tenant=w.tenant, caretaker=w.tech, expires_at=timezone.now() - timedelta(seconds=1))
    grant_row(tenant=w.tenant, caretaker=w.outsider, status="revoked")
    _complete, entries = _entries(api(w.owner).get(f"/api/v1/tenants/{w.tenant.number}/access/"))
    assert w.tech.email not in entries and w.outsider.email not in entries
    # ... and the caretaker itself gets 404: it no longer sees the tenant.
    assert api(w.tech).get(f"/api/v1/tenants/{w.tenant.number}/access/").status_code == 404


def test_acc6_vendor_staff_see_everyone_unseen_tenants_answer_404(w, api):
    complete, entries = _entries(api(w.vendor_support).get(f"/api/v1/tenants/{w.tenant.number}/access/"))
    assert complete is True and w.owner.email in entries
    for user in (w.outsider, w.other_owner, w.tech):
        response = api(user).get(f"/api/v1/tenants/{w.tenant.number}/access/")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert api(w.owner).get("/api/v1/tenants/T-999999/access/").status_code == 404
