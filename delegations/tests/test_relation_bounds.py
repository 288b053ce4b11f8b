"""Relations give their scope and nothing else, and end with it (issue 8 §5, ACC-4, DEL-6, TEN-1).

Every way in is tried — the service, the API and the page — for each scope of a managed-account relation and
for a caretaker grant of each scope: creating tenants needs a scope that allows it and never gives billing
or the reseller relation; rights end with the relation; a grant gives its tenant and nothing else (no account
profile); a partner names the customer a tenant is for."""

from __future__ import annotations

import pytest
from django.urls import reverse

from delegations import services
from delegations.access import SCOPE_RIGHTS, TENANT_CREATING_SCOPES
from delegations.tests.factories import grant_row
from portal import access
from portal.errors import DomainError
from tenants import services as tenant_services
from tenants.models import Tenant

pytestmark = pytest.mark.django_db

BILLING = {"view_billing", "book"}


def _relation(w, scope):
    relation = services.request_management(
        actor=w.sales, customer_number=w.customer.number, scope=scope, partner_account=w.partner
    )
    return services.approve_management(actor=w.owner, relation=relation)


@pytest.mark.parametrize("scope", sorted(SCOPE_RIGHTS))
def test_creating_tenants_needs_a_scope_that_allows_it_and_never_gives_billing(w, api, scope):
    relation = _relation(w, scope)
    allowed = scope in TENANT_CREATING_SCOPES
    access.forget(w.sales)
    # the page offers the customer only where the scope allows it
    page = api(w.sales).get(reverse("tenant_create")).content.decode()
    assert (w.customer.number in page) == allowed
    # the API
    response = api(w.sales).post(
        "/api/v1/tenants/", {"name": f"Über {scope}", "account": w.customer.number}, format="json"
    )
    if not allowed:
        assert response.status_code in (403, 404), response.content
        with pytest.raises(DomainError):
            tenant_services.create_tenant(
                actor=w.sales, account=w.customer, name="Nein", acting_for=w.partner
            )
        assert not Tenant.objects.filter(name__startswith="Über").exists()
        return
    assert response.status_code == 201, response.content
    tenant = Tenant.objects.get(number=response.json()["number"])
    assert tenant.reseller_id is None  # a managing partner never becomes reseller
    for user in (w.sales, w.tech, w.support):
        access.forget(user)
        assert not (access.rights(user, tenant) & BILLING), user
    # the rights end with the relation, also on the tenant the partner created
    services.dissolve_management(actor=w.owner, relation=relation, reason="")
    for user in (w.sales, w.tech, w.support):
        access.forget(user)
        assert access.rights(user, Tenant.objects.get(pk=tenant.pk)) == set()
    assert api(w.sales).get(f"/api/v1/tenants/{tenant.number}/").status_code == 404


def test_a_partner_names_the_customer_a_tenant_is_for(w, api):
    response = api(w.sales).post("/api/v1/tenants/", {"name": "Ohne Kunde"}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] in ("not_a_customer", "account_required")
    response = api(w.sales).post(
        "/api/v1/tenants/", {"name": "Beim Partner", "account": w.partner.number}, format="json"
    )
    assert response.status_code in (400, 404)
    assert not Tenant.objects.filter(account=w.partner).exists()


@pytest.mark.parametrize("scope", sorted(SCOPE_RIGHTS))
def test_a_grant_gives_its_tenant_and_nothing_else(w, api, scope):
    w.customer.street, w.customer.city = "Geheimweg 7", "Verborgenstadt"
    w.customer.contact_email = "kontakt@kunde-geheim.example"
    w.customer.save()
    grant_row(tenant=w.tenant, caretaker=w.tech, scope=scope)
    access.forget(w.tech)
    rights = access.rights(w.tech, w.tenant)
    assert "view" in rights and rights <= set(SCOPE_RIGHTS[scope]) and not rights & BILLING
    assert access.rights(w.tech, Tenant.objects.get(pk=w.tenant2.pk)) == set()
    assert access.rights(w.tech, w.customer) == set()
    client = api(w.tech)
    assert client.get(f"/api/v1/accounts/{w.customer.number}/").status_code == 404
    assert client.get(reverse("account_detail", args=[w.customer.number])).status_code == 404
    body = client.get(f"/api/v1/tenants/{w.tenant.number}/").content.decode()
    page = client.get(reverse("tenant_detail", args=[w.tenant.number])).content.decode()
    for secret in ("Geheimweg", "Verborgenstadt", "kunde-geheim"):
        assert secret not in body and secret not in page
    tenants = client.get("/api/v1/tenants/").json()["results"]
    assert [row["number"] for row in tenants] == [w.tenant.number]
