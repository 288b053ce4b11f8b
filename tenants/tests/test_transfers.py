"""Tenant transfer (TEN-1, issue 8 §5) for both sides over the API and the page: request, approve, decline,
history and offered actions; a completed transfer ends the old owner's caretaker grants (audited, the
caretaker told by mail through the outbox)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core import mail
from django.urls import reverse

from accounts.tests.factories import AccountFactory, PartnerAccountFactory, member
from delegations.models import CaretakerGrant, GrantStatus
from delegations.tests.factories import grant_row
from portal import access
from portal.models import AuditEvent
from tenants.models import Tenant, TenantTransfer
from tenants.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tw(db):
    source, target = AccountFactory(name="Alt GmbH"), AccountFactory(name="Neu GmbH")
    tenant = TenantFactory(account=source)
    caretaker_partner = PartnerAccountFactory()
    caretaker = member(caretaker_partner, "tech", email="care@partner.example")
    return SimpleNamespace(
        source=source,
        target=target,
        tenant=tenant,
        source_owner=member(source, "owner"),
        source_member=member(source, "member"),
        target_owner=member(target, "owner"),
        stranger=member(AccountFactory(), "owner"),
        caretaker=caretaker,
        active=grant_row(tenant=tenant, caretaker=caretaker, scope="technical"),
        pending=grant_row(
            tenant=tenant,
            caretaker=member(caretaker_partner, "tech"),
            scope="read",
            status=GrantStatus.PENDING,
        ),
    )


def _post(client, user, url, data=None, **headers):
    client.force_login(user)
    return client.post(url, data or {}, content_type="application/json", **headers)


def test_both_sides_over_the_api_and_the_grants_end(client, tw, django_capture_on_commit_callbacks):
    url = f"/api/v1/tenants/{tw.tenant.number}/transfers/"
    # a member who is not an owner is refused; an unknown number is a field error, not a 500
    assert _post(client, tw.source_member, url, {"to_account": tw.target.number}).status_code == 403
    unknown = _post(client, tw.source_owner, url, {"to_account": "K-999999"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_account"
    made = _post(client, tw.source_owner, url, {"to_account": tw.target.number}, HTTP_IDEMPOTENCY_KEY="t-1")
    assert made.status_code == 201, made.content
    again = _post(client, tw.source_owner, url, {"to_account": tw.target.number}, HTTP_IDEMPOTENCY_KEY="t-1")
    assert again.json()["id"] == made.json()["id"]
    body = made.json()
    assert body["from_approved"] and not body["to_approved"] and body["actions"] == ["decline"]
    # the receiving owner sees it in its list with approve offered; a stranger does not see it
    client.force_login(tw.target_owner)
    incoming = client.get("/api/v1/transfers/").json()["results"]
    assert [(row["id"], row["actions"]) for row in incoming] == [(body["id"], ["approve", "decline"])]
    client.force_login(tw.stranger)
    assert client.get("/api/v1/transfers/").json()["results"] == []
    assert _post(client, tw.stranger, f"/api/v1/transfers/{body['id']}/approve/").status_code == 404
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = _post(client, tw.target_owner, f"/api/v1/transfers/{body['id']}/approve/")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "completed" and done.json()["actions"] == []
    assert Tenant.objects.get(pk=tw.tenant.pk).account == tw.target
    # the old owner's grants ended, audited, the caretaker told by mail
    assert CaretakerGrant.objects.get(pk=tw.active.pk).status == GrantStatus.REVOKED
    assert CaretakerGrant.objects.get(pk=tw.pending.pk).status == GrantStatus.DECLINED
    assert not access.can(tw.caretaker, "view", Tenant.objects.get(pk=tw.tenant.pk))
    revoked = AuditEvent.objects.get(action="delegation.revoked", grant_id=tw.active.pk)
    assert revoked.changes["reason"]  # "the tenant was transferred …", in the language it was recorded in
    assert any(tw.caretaker.email in message.to for message in mail.outbox)
    # history: both sides read it; a second answer is refused by the table
    client.force_login(tw.target_owner)
    history = client.get(f"/api/v1/tenants/{tw.tenant.number}/transfers/").json()["results"]
    assert [row["status"] for row in history] == ["completed"]
    late = _post(client, tw.source_owner, f"/api/v1/transfers/{body['id']}/decline/")
    assert late.status_code == 409 and late.json()["code"] == "transfer_not_pending"


def test_decline_keeps_the_tenant_and_the_grants(client, tw):
    url = f"/api/v1/tenants/{tw.tenant.number}/transfers/"
    made = _post(client, tw.source_owner, url, {"to_account": tw.target.number}).json()
    declined = _post(client, tw.target_owner, f"/api/v1/transfers/{made['id']}/decline/")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert Tenant.objects.get(pk=tw.tenant.pk).account == tw.source
    assert CaretakerGrant.objects.get(pk=tw.active.pk).status == GrantStatus.ACTIVE


def test_transfer_pages_for_both_sides(client, tw):
    client.force_login(tw.source_owner)
    page = client.get(reverse("tenant_detail", args=[tw.tenant.number]))
    assert 'name="to_account"' in page.content.decode()
    response = client.post(
        reverse("tenant_transfer_request", args=[tw.tenant.number]), {"to_account": tw.target.number}
    )
    assert response.status_code == 302
    transfer = TenantTransfer.objects.get(tenant=tw.tenant)
    client.force_login(tw.source_member)
    page = client.get(reverse("tenant_detail", args=[tw.tenant.number])).content.decode()
    assert 'name="to_account"' not in page
    client.force_login(tw.target_owner)
    listing = client.get(reverse("tenant_transfers")).content.decode()
    assert (
        tw.tenant.number in listing
        and reverse("tenant_transfer_answer", args=[transfer.pk, "approve"]) in listing
    )
    response = client.post(reverse("tenant_transfer_answer", args=[transfer.pk, "approve"]))
    assert response.status_code == 302
    assert Tenant.objects.get(pk=tw.tenant.pk).account == tw.target
    listing = client.get(reverse("tenant_transfers")).content.decode()
    assert reverse("tenant_transfer_answer", args=[transfer.pk, "approve"]) not in listing
