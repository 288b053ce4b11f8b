"""Permission matrix rows for the report pages and endpoints (REP-1..REP-4, LIC-12). Expected outcomes are
written by hand, not derived from portal.access: unseen → 404, seen but refused → 403, and a refused call
changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import Account
from accounts.tests.factories import UserFactory
from reports import services
from reports.models import Delivery, Destination
from reports.tests.helpers import license_, make_world, subscription

pytestmark = pytest.mark.django_db

ACTORS = [
    "vendor_admin",
    "vendor_support",
    "reseller_admin",
    "reseller_sales",
    "other_admin",
    "customer_owner",
    "customer_member",
    "outsider",
]

# Licences each actor finds in the licence report (3 of the reseller for the customer, 1 of the other reseller).
LICENSE_COUNT = {
    "vendor_admin": 4,
    "vendor_support": 4,
    "reseller_admin": 3,
    "reseller_sales": 3,
    "other_admin": 1,
    "customer_owner": 3,
    "customer_member": 0,  # plain members see only licences assigned to them (licenses.access)
    "outsider": 0,
}
# The reseller's statement (API and page).
STATEMENT = {
    "vendor_admin": 200,
    "vendor_support": 200,
    "reseller_admin": 200,
    "reseller_sales": 403,  # sees its account, not its statements
    "other_admin": 404,
    "customer_owner": 404,
    "customer_member": 404,
    "outsider": 404,
}
# The reseller's webhook destination: read, change, re-send a delivery.
DESTINATION_VIEW = {"vendor_admin": 200, "vendor_support": 200, "reseller_admin": 200}
DESTINATION_CHANGE = {"vendor_admin": 200, "vendor_support": 403, "reseller_admin": 200}
DELIVERY_RESEND = {"vendor_admin": 202, "vendor_support": 403, "reseller_admin": 202}
# LIC-12 on the customer account: vendor admins only; who sees the account gets 403.
ERASE = {
    "vendor_admin": 200,
    "vendor_support": 403,
    "reseller_admin": 403,  # sees its customer's account (reseller relation)
    "reseller_sales": 403,
    "other_admin": 404,
    "customer_owner": 403,
    "customer_member": 403,
    "outsider": 404,
}


@pytest.fixture
def world(settings):
    settings.REPORTS_WEBHOOK_ALLOW_PRIVATE = True  # the destination's URL below is never called
    w = make_world()
    for _ in range(2):
        license_(w.reseller, w.customer, w.product)
    subscription(w.reseller, w.customer, w.product, dt.date(2026, 3, 1))
    license_(w.other_reseller, w.other_customer, w.product)
    w.outsider = UserFactory()
    w.destination = services.create_destination(
        actor=w.reseller_admin, account=w.reseller, name="ERP", kind="webhook", url="http://127.0.0.1:9/hook"
    )
    w.delivery = Delivery.objects.create(
        destination=w.destination,
        content="licenses",
        period_start=dt.date(2026, 3, 1),
        period_end=dt.date(2026, 3, 1),
    )
    return w


@pytest.mark.parametrize("actor", ACTORS)
def test_rep_matrix_licence_report_and_statement(world, client, actor):
    w = world
    client.force_login(getattr(w, actor))
    body = client.get("/api/v1/reports/licenses/").json()
    assert body["count"] == LICENSE_COUNT[actor]
    page = client.get("/reports/licenses/")
    assert page.status_code == 200 and page.context["page"].paginator.count == LICENSE_COUNT[actor]
    response = client.get("/api/v1/statements/", {"month": "2026-03", "reseller": w.reseller.number})
    assert response.status_code == STATEMENT[actor]
    if response.status_code == 200:
        assert response.json()["total"] == "10.00"
    else:
        assert set(response.json()) == {"code", "detail", "fields"}
    page = client.get("/reports/statements/", {"month": "2026-03", "reseller": w.reseller.number})
    assert page.status_code == STATEMENT[actor]
    pdf = client.get(
        "/api/v1/statements/", {"month": "2026-03", "reseller": w.reseller.number, "format": "pdf"}
    )
    assert pdf.status_code == STATEMENT[actor]
    if pdf.status_code == 200:
        assert pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize("actor", ACTORS)
def test_rep_matrix_destinations_and_deliveries(world, client, actor):
    w = world
    client.force_login(getattr(w, actor))
    pk = w.destination.pk
    assert client.get(f"/api/v1/reports/destinations/{pk}/").status_code == DESTINATION_VIEW.get(actor, 404)
    assert client.get(f"/reports/destinations/{pk}/").status_code == DESTINATION_VIEW.get(actor, 404)
    listed = client.get("/api/v1/reports/destinations/").json()
    assert (listed["count"] == 1) == (actor in DESTINATION_VIEW)
    response = client.patch(
        f"/api/v1/reports/destinations/{pk}/", {"name": "Neu"}, content_type="application/json"
    )
    assert response.status_code == DESTINATION_CHANGE.get(actor, 404)
    assert (Destination.objects.get(pk=pk).name == "Neu") == (DESTINATION_CHANGE.get(actor) == 200)
    response = client.post(f"/api/v1/reports/deliveries/{w.delivery.pk}/resend/")
    assert response.status_code == DELIVERY_RESEND.get(actor, 404)
    w.delivery.refresh_from_db()
    assert w.delivery.resends == (1 if DELIVERY_RESEND.get(actor) == 202 else 0)
    assert client.get(f"/reports/deliveries/{w.delivery.pk}/").status_code == DESTINATION_VIEW.get(actor, 404)
    response = client.delete(f"/api/v1/reports/destinations/{pk}/")
    assert response.status_code == {200: 204}.get(
        DESTINATION_CHANGE.get(actor, 404), DESTINATION_CHANGE.get(actor, 404)
    )
    assert Destination.objects.filter(pk=pk).exists() == (DESTINATION_CHANGE.get(actor) != 200)


@pytest.mark.parametrize("actor", ACTORS)
def test_lic12_matrix_erasure(world, client, actor):
    w = world
    client.force_login(getattr(w, actor))
    response = client.post(
        f"/api/v1/accounts/{w.customer.number}/erase/",
        {"confirmation": w.customer.number},
        content_type="application/json",
    )
    assert response.status_code == ERASE[actor]
    assert (Account.objects.get(pk=w.customer.pk).anonymized_at is not None) == (ERASE[actor] == 200)
    page = client.get(f"/accounts/{w.customer.number}/erase/")
    assert page.status_code == ERASE[actor]
