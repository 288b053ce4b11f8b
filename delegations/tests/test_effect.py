"""DEL-6 and DEL-3: what a grant gives — exactly its scope on exactly its tenant, and nothing after it ends.

Before and after each transition the caretaker's visible tenants (through the tenant API) are exactly the
expected set, and billing is never visible.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import member
from delegations import services
from delegations.access import SCOPE_RIGHTS
from delegations.models import CaretakerGrant
from portal import access
from tenants.models import Tenant

from .factories import grant_row, granted, requested

NEVER_DELEGATED = {"view_billing", "book", "manage_confidential"}


@pytest.fixture
def seen(api):
    """The tenant numbers a user sees through the API."""

    def numbers(user):
        response = api(user).get("/api/v1/tenants/?page_size=500")
        assert response.status_code == 200, response.content
        access.forget(user)
        return {row["number"] for row in response.json()["results"]}

    return numbers


def test_del6_request_accept_revoke(w, seen):
    assert seen(w.tech) == set()
    grant = requested(w)
    assert seen(w.tech) == set()
    grant = services.accept_delegation(actor=w.owner, grant=grant)
    assert seen(w.tech) == {"T-100001"}
    services.revoke_caretaker_access(actor=w.owner, grant=grant)
    assert seen(w.tech) == set()


def test_del6_grant_link_resign_expire(w, seen, run_on_commit):
    from django.core import mail

    from .conftest import link_token

    with run_on_commit():
        grants = granted(
            w, tenants=[w.tenant, w.tenant2], expires_on=timezone.localdate() + timedelta(days=3)
        )
    assert seen(w.tech) == set()
    token = link_token(next(m.body for m in mail.outbox if "?token=" in m.body))
    services.accept_grant_link(actor=w.tech, token=token)
    assert seen(w.tech) == {"T-100001", "T-100002"}
    services.resign_caretaker_access(actor=w.tech, grant=grants[0])
    assert seen(w.tech) == {"T-100002"}
    services.extend_caretaker_access(actor=w.owner, grant=grants[1])
    assert seen(w.tech) == {"T-100002"}
    CaretakerGrant.objects.filter(pk=grants[1].pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    # Read time already treats it as ended (DEL-4) — the sweep then makes the rows agree.
    assert seen(w.tech) == set()
    assert services.expire_due_grants() == 1
    assert seen(w.tech) == set()


def test_del6_past_expiry_is_invisible_before_the_sweep(w, api):
    grant = grant_row(tenant=w.tenant, caretaker=w.tech, expires_at=timezone.now() + timedelta(hours=1))
    assert api(w.tech).get(f"/api/v1/tenants/{w.tenant.number}/").status_code == 200
    CaretakerGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    access.forget(w.tech)
    assert api(w.tech).get(f"/api/v1/tenants/{w.tenant.number}/").status_code == 404
    assert not access.can(w.tech, "view", w.tenant)


@pytest.mark.parametrize("end", ["decline", "withdraw", "lapse"])
def test_del6_unanswered_or_refused_requests_give_nothing(w, seen, end):
    grant = requested(w)
    if end == "decline":
        services.decline_delegation(actor=w.owner, grant=grant)
    elif end == "withdraw":
        services.withdraw_delegation(actor=w.tech, grant=grant)
    else:
        CaretakerGrant.objects.filter(pk=grant.pk).update(created_at=timezone.now() - timedelta(days=31))
        services.lapse_stale_requests()
    assert seen(w.tech) == set()


@pytest.mark.parametrize("scope", ["read", "technical", "full_technical"])
def test_del3_scope_gives_exactly_its_rights_and_never_billing(w, api, scope):
    member(w.partner, "tech", user=w.tech)
    grant = services.accept_delegation(actor=w.owner, grant=requested(w, scope=scope))
    tenant = Tenant.objects.get(pk=w.tenant.pk)
    held = access.rights(w.tech, tenant)
    assert held == SCOPE_RIGHTS[scope]
    assert not held & NEVER_DELEGATED
    assert not access.can(w.tech, "view_billing", tenant) and not access.can(w.tech, "book", tenant)
    # Nothing on the other tenant of the same account.
    assert access.rights(w.tech, Tenant.objects.get(pk=w.tenant2.pk)) == frozenset()
    # Prices and offers stay hidden in the API.
    response = api(w.tech).get(f"/api/v1/tenants/{w.tenant.number}/offers/")
    assert response.status_code == 403, response.content
    # The customer's account (billing, members) stays out of reach.
    assert not access.can(w.tech, "manage_members", w.customer)
    assert not access.can(w.tech, "view_billing", w.customer)
    services.revoke_caretaker_access(actor=w.owner, grant=grant)
    assert access.rights(w.tech, tenant) == frozenset()


def test_del3_deploy_only_for_caretakers_with_the_partner_role_tech(w):
    outsider_grant = grant_row(tenant=w.tenant, caretaker=w.outsider, scope="full_technical")
    assert "deploy" not in access.rights(w.outsider, w.tenant)
    assert "change" in access.rights(w.outsider, w.tenant)
    grant_row(tenant=w.tenant2, caretaker=w.tech, scope="technical")
    assert "deploy" in access.rights(w.tech, w.tenant2)
    assert outsider_grant.status == "active"


def test_del6_two_caretakers_on_one_tenant_are_independent(w, seen):
    first = services.accept_delegation(actor=w.owner, grant=requested(w))
    colleague = member(w.partner, "tech", email="colleague@agentur.example")
    second = services.accept_delegation(actor=w.owner, grant=requested(w, actor=colleague))
    services.revoke_caretaker_access(actor=w.owner, grant=first)
    assert seen(w.tech) == set()
    assert seen(colleague) == {"T-100001"}
    assert second.status == "active"


def test_del6_html_pages_follow_the_grant(w, client):
    client.force_login(w.tech)
    detail = f"/tenants/{w.tenant.number}/"
    assert client.get(detail).status_code == 404
    grant = services.accept_delegation(actor=w.owner, grant=requested(w))
    assert client.get(detail).status_code == 200
    assert w.tenant.number.encode() in client.get("/tenants/").content
    services.revoke_caretaker_access(actor=w.owner, grant=grant)
    assert client.get(detail).status_code == 404
    assert w.tenant.number.encode() not in client.get("/tenants/").content
