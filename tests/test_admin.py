"""Django admin for every model (UI-2): every changelist loads (also when searching), and adding an account
goes through the service (ACC-1: the number is generated, the rules show as form errors)."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin

from accounts.models import Account
from accounts.tests.factories import AccountFactory, PartnerAccountFactory, UserFactory, member
from portal.models import AuditEvent
from tenants import services as tenant_services
from tenants.tests.factories import resold_tenant

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def some_data(superuser):
    """A little of everything, so list columns and filters render real rows."""
    partner = PartnerAccountFactory()
    customer, target = AccountFactory(), AccountFactory()
    owner = member(customer, "owner")
    member(target, "owner")
    member(partner, "admin", "sales")
    tenant = resold_tenant(customer, partner)
    tenant_services.request_transfer(actor=owner, tenant=tenant, to_account=target)
    return {"tenant": tenant}


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=[m._meta.label for m, _a in REGISTERED])
def test_ui2_every_changelist_loads_for_the_superuser(client, superuser, some_data, model, model_admin):
    client.force_login(superuser)
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    response = client.get(url)
    assert response.status_code == 200, url
    if model_admin.search_fields:
        response = client.get(url, {"q": "example"})  # a broken search_fields entry only fails here
        assert response.status_code == 200, url
    if model_admin.has_add_permission(response.wsgi_request):
        assert client.get(f"{url}add/").status_code == 200, url


def _add_form(**fields):
    data = {
        "name": "Neu GmbH",
        "kind": "customer",
        "purpose": "production",
        "contact_email": "info@neu.example",
        "country": "DE",
        "number": "",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return data


@pytest.mark.django_db
def test_ui2_admin_add_account_goes_through_the_service(client, superuser):
    client.force_login(superuser)
    response = client.post("/admin/accounts/account/add/", _add_form())
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    account = Account.objects.get(name="Neu GmbH")
    assert re.fullmatch(r"K-1\d{5}", account.number)
    event = AuditEvent.objects.get(action="account.created", account=account)
    assert event.actor == superuser


@pytest.mark.django_db
def test_ui2_admin_add_shows_account_rules_on_the_form(client, superuser):
    client.force_login(superuser)
    production = AccountFactory()
    cases = [
        ({"purpose": "staging"}, "leading_account"),  # staging needs a leading account
        ({"purpose": "staging", "leading_account": str(production.pk), "contact_email": ""}, "contact_email"),
        ({"number": production.number}, "number"),
    ]
    for fields, field in cases:
        before = Account.objects.count()
        response = client.post("/admin/accounts/account/add/", _add_form(**fields))
        assert response.status_code == 200, fields
        assert field in response.context["adminform"].form.errors, fields
        assert Account.objects.count() == before
    # A staging account with its leading account and an e-mail goes without a number.
    response = client.post(
        "/admin/accounts/account/add/",
        _add_form(purpose="staging", leading_account=str(production.pk), contact_email="st@neu.example"),
    )
    assert response.status_code == 302
    assert Account.objects.get(contact_email="st@neu.example").number == ""
