"""Permission matrix of support (SUP-5, SUP-6, CHK-1, ACC-1): actor × check → HTTP status, through the REST API
and the HTML pages. Expectations are written out by hand (a second opinion on support.access). Unseen objects
answer 404, seen-but-refused 403."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.tests.factories import (
    AccountFactory,
    PartnerAccountFactory,
    UserFactory,
    VendorAccountFactory,
    member,
)
from delegations.models import CaretakerGrant, ManagedAccount
from support import services
from support.models import CoverageCategory
from support.tests.factories import ContractFactory
from tenants.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db

CHECKS = [
    "lookup_page",
    "entitlement_api",
    "ticket_page",
    "ticket_api",
    "ticket_create_api",
    "ticket_status_api",
    "setup_check_api",
    "staging_create_api",
]

# actor: lookup page, entitlement API, ticket page, ticket API, create, status, set-up check, staging
MATRIX = {
    "customer-owner": (404, 404, 200, 200, 201, 403, 200, 201),
    "customer-admin": (404, 404, 200, 200, 201, 403, 200, 403),
    "customer-technical": (404, 404, 200, 200, 201, 403, 200, 403),
    "customer-member": (404, 404, 200, 200, 201, 403, 403, 403),
    "customer-billing": (404, 404, 200, 200, 403, 403, 403, 403),
    "managing-tech": (404, 404, 404, 404, 201, 404, 200, 403),
    "managing-sales-read": (404, 404, 404, 404, 403, 404, 200, 403),
    "caretaker-technical": (404, 404, 404, 404, 201, 404, 403, 404),
    "vendor-support": (200, 200, 200, 200, 403, 200, 200, 403),
    "vendor-admin": (200, 200, 200, 200, 403, 200, 200, 403),
    "superuser": (200, 200, 200, 200, 403, 200, 200, 201),
    "other-customer-owner": (404, 404, 404, 404, 404, 404, 404, 404),
    "outsider": (404, 404, 404, 404, 404, 404, 404, 404),
}


@pytest.fixture
def world():
    customer = AccountFactory(number="K-600001", contact_email="owner@kunde.example")
    ContractFactory(account=customer)
    tenant = TenantFactory(account=customer)
    first_owner = member(customer, "owner")
    ticket = services.create_ticket(
        actor=first_owner,
        subject_account=customer,
        category=CoverageCategory.objects.get(code="user_question"),
        subject="Frage",
        message="Wie geht das?",
    )
    return {"customer": customer, "tenant": tenant, "ticket": ticket, "first_owner": first_owner}


def _actor(world, name):
    customer, tenant = world["customer"], world["tenant"]
    if name.startswith("customer-"):
        return member(customer, name.split("-", 1)[1])
    if name == "managing-tech":
        partner = PartnerAccountFactory()
        ManagedAccount.objects.create(
            customer_account=customer, partner_account=partner, scope="technical", status="active"
        )
        return member(partner, "tech")
    if name == "managing-sales-read":
        partner = PartnerAccountFactory()
        ManagedAccount.objects.create(
            customer_account=customer, partner_account=partner, scope="read", status="active"
        )
        return member(partner, "sales")
    if name == "caretaker-technical":
        partner = PartnerAccountFactory()
        user = member(partner, "tech")
        CaretakerGrant.objects.create(
            tenant=tenant,
            tenant_number=tenant.number,
            customer_account=customer,
            caretaker=user,
            caretaker_email=user.email,
            partner_account=partner,
            origin="grant",
            scope="technical",
            status="active",
            requested_by=world["first_owner"],
        )
        return user
    if name.startswith("vendor-"):
        return member(VendorAccountFactory(), name.split("-", 1)[1])
    if name == "superuser":
        return member(VendorAccountFactory(), "admin", user=UserFactory(is_superuser=True, is_staff=True))
    if name == "other-customer-owner":
        return member(AccountFactory(), "owner")
    return UserFactory()


def _status(world, user, check) -> int:
    api, html = APIClient(), Client()
    api.force_authenticate(user)
    html.force_login(user)
    number, ticket = world["customer"].number, world["ticket"].number
    if check == "lookup_page":
        return html.get("/support/?q=K-600001").status_code
    if check == "entitlement_api":
        return api.get("/api/v1/support/entitlement/", {"q": number}).status_code
    if check == "ticket_page":
        return html.get(f"/support/tickets/{ticket}/").status_code
    if check == "ticket_api":
        return api.get(f"/api/v1/support/tickets/{ticket}/").status_code
    if check == "ticket_create_api":
        body = {"account": number, "category": "bug_analysis", "subject": "Fehler", "message": "Absturz"}
        return api.post("/api/v1/support/tickets/", body, format="json").status_code
    if check == "ticket_status_api":
        return api.post(
            f"/api/v1/support/tickets/{ticket}/status/", {"status": "waiting"}, format="json"
        ).status_code
    if check == "setup_check_api":
        return api.get(f"/api/v1/accounts/{number}/setup-check/").status_code
    if check == "staging_create_api":
        body = {"purpose": "staging", "contact_email": "staging@kunde.example"}
        return api.post(f"/api/v1/accounts/{number}/staging-accounts/", body, format="json").status_code
    raise AssertionError(check)


CASES = [(actor, check) for actor in MATRIX for check in CHECKS]


@pytest.mark.parametrize(("actor", "check"), CASES, ids=[f"{a}/{c}" for a, c in CASES])
def test_support_permission_matrix(world, actor, check):
    user = _actor(world, actor)
    expected = MATRIX[actor][CHECKS.index(check)]
    assert _status(world, user, check) == expected
