"""A new customer with its first tenant as one service with an API (TEN-7, issue 8 §7): together or not at
all, the partner becomes reseller, the contact is invited as owner, ``Idempotency-Key`` replays the answer."""

from __future__ import annotations

import pytest

from accounts.models import Account, Membership
from accounts.tests.factories import AccountFactory, PartnerAccountFactory, member
from portal.models import AuditEvent
from tenants import services
from tenants.models import Tenant

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"
BODY = {"name": "Neukunde GmbH", "contact_email": "chefin@neukunde.example", "tenant_name": "Neukunde Shop"}


@pytest.fixture
def partner(db):
    return PartnerAccountFactory(name="Agentur Nord")


def _post(client, user, body, **headers):
    client.force_login(user)
    return client.post(URL, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en", **headers)


def test_sales_creates_customer_and_tenant_in_one_call(client, partner):
    sales = member(partner, "sales")
    response = _post(client, sales, BODY, HTTP_IDEMPOTENCY_KEY="new-1")
    assert response.status_code == 201, response.content
    body = response.json()
    account = Account.objects.get(number=body["customer"]["number"])
    tenant = Tenant.objects.get(number=body["tenant"]["number"])
    assert account.kind == "customer" and account.reseller == partner
    assert tenant.account == account and tenant.reseller == partner
    assert Membership.objects.filter(
        account=account, user__email=BODY["contact_email"], role="owner"
    ).exists()
    assert {"account.created", "tenant.created"} <= set(
        AuditEvent.objects.filter(actor=sales).values_list("action", flat=True)
    )
    again = _post(client, sales, BODY, HTTP_IDEMPOTENCY_KEY="new-1")
    assert again.status_code == 201 and again.json() == body
    assert Account.objects.filter(name=BODY["name"]).count() == 1


def test_all_or_nothing(client, partner):
    sales = member(partner, "sales")
    response = _post(
        client, sales, {**BODY, "environment": "staging"}
    )  # a new customer is a production account
    assert response.status_code == 400 and response.json()["code"] == "environment_mismatch"
    assert not Account.objects.filter(name=BODY["name"]).exists()
    assert not Tenant.objects.filter(name=BODY["tenant_name"]).exists()
    with pytest.raises(Exception):
        services.create_customer_with_tenant(
            actor=sales, partner=partner, customer_name="X GmbH", contact_email="x@x.example", name=""
        )
    assert not Account.objects.filter(name="X GmbH").exists()


@pytest.mark.parametrize("who", ["support", "tech", "customer_owner"])
def test_only_a_partners_sales_creates_customers(client, partner, who):
    user = member(AccountFactory(), "owner") if who == "customer_owner" else member(partner, who)
    response = _post(client, user, BODY)
    assert response.status_code == 403, response.content
    assert not Account.objects.filter(name=BODY["name"]).exists()


def test_bad_input_is_a_clear_error(client, partner):
    sales = member(partner, "sales")
    response = _post(client, sales, {"name": "", "contact_email": "kein-mail", "tenant_name": ""})
    assert response.status_code == 400
    assert {"name", "contact_email", "tenant_name"} <= set(response.json()["fields"])
    second = PartnerAccountFactory(name="Agentur Süd")
    member(second, "sales", user=sales)
    response = _post(client, sales, {**BODY, "partner": "K-999999"})  # not a partner the user sells for
    assert response.status_code == 400 and response.json()["code"] == "partner_required"
    response = _post(client, sales, {**BODY, "partner": second.number})
    assert response.status_code == 201
    assert Account.objects.get(number=response.json()["customer"]["number"]).reseller == second
