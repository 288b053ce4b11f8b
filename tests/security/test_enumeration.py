"""No enumeration (issue 10 §1, DEL-1, ACC-4): what a caller is told, lists, the audit trail and searches look
the same whether a typed number (customer, tenant, e-mail) exists or not, and names stay hidden until the
owner approves."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from accounts.tests.factories import AccountFactory, PartnerAccountFactory, member
from delegations import services
from delegations.models import ManagedAccount
from portal.models import AuditEvent
from tenants.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/managed-accounts/"


def _strip_ids(rows):
    ignored = {"id", "created_at", "customer"}
    return [{k: v for k, v in row.items() if k not in ignored} for row in rows]


# --- Management requests --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "other",
    ["K-999999", "partner", "vendor", "pending-again", "lowercase"],
    ids=["unknown", "a-partner-number", "the-vendor-number", "second-time", "case-variant"],
)
def test_acc4_management_request_answers_the_same_bytes(w, api, other):
    client = api(w.sales)
    real = client.post(URL, {"customer_number": w.customer.number, "scope": "read"}, format="json")
    number = {
        "K-999999": "K-999999",
        "partner": w.partner.number,
        "vendor": w.vendor.number,
        "pending-again": w.customer.number,
        "lowercase": w.other_customer.number.lower(),
    }[other]
    response = client.post(URL, {"customer_number": number, "scope": "read"}, format="json")
    assert (response.status_code, response.content) == (real.status_code, real.content)
    assert real.status_code == 202
    assert w.customer.name.encode() not in real.content


def test_acc4_partner_sees_no_name_before_the_owner_approves(w, api):
    client = api(w.sales)
    client.post(URL, {"customer_number": w.customer.number, "scope": "read"}, format="json")
    client.post(URL, {"customer_number": "K-999999", "scope": "read"}, format="json")
    rows = client.get(URL).json()["results"]
    assert {row["customer"] for row in rows} == {w.customer.number, "K-999999"}
    assert all(row["customer_name"] is None for row in rows)
    assert _strip_ids([r for r in rows if r["customer"] == "K-999999"]) == _strip_ids(
        [r for r in rows if r["customer"] == w.customer.number]
    )
    for row in rows:
        detail = client.get(f"{URL}{row['id']}/")
        assert detail.json()["customer_name"] is None
        assert w.customer.name not in detail.content.decode()
    # HTML list and detail, and a search by the customer's name, reveal nothing either.
    web = Client()
    web.force_login(w.sales)
    page = web.get("/delegations/managed/").content.decode()
    assert w.customer.name not in page and "K-999999" in page and w.customer.number in page
    assert web.get("/delegations/managed/", {"q": "Kunde"}).context["rows"] == []
    real = ManagedAccount.objects.get(customer_account=w.customer)
    assert w.customer.name not in web.get(f"/delegations/managed/{real.pk}/").content.decode()
    # The owner sees the name at once; the partner once approved.
    assert api(w.owner).get(URL).json()["results"][0]["customer_name"] == w.customer.name
    services.approve_management(actor=w.owner, relation=real)
    assert client.get(f"{URL}{real.pk}/").json()["customer_name"] == w.customer.name
    assert w.customer.name in web.get("/delegations/managed/").content.decode()


def test_acc4_declined_request_still_names_no_customer(w, api, run_on_commit):
    with run_on_commit():
        relation = services.request_management(actor=w.sales, customer_number=w.customer.number, scope="read")
        services.decline_management(actor=w.owner, relation=relation)
    assert api(w.sales).get(f"{URL}{relation.pk}/").json()["customer_name"] is None
    partner_mails = [m for m in mail.outbox if w.sales.email in m.to]
    assert partner_mails and all(w.customer.name not in m.subject + m.body for m in partner_mails)


def test_acc4_requesters_own_trail_looks_the_same_for_real_and_unknown_numbers(w):
    services.request_management(actor=w.sales, customer_number=w.customer.number, scope="read")
    services.request_management(actor=w.sales, customer_number="K-999999", scope="read")
    from portal.selectors import audit_events_visible_to

    rows = {
        e.changes["customer"]: (
            e.action,
            e.target_repr.replace(e.changes["customer"], "#"),
            sorted(e.changes),
        )
        for e in audit_events_visible_to(w.sales).filter(action="management.requested")
    }
    assert rows[w.customer.number] == rows["K-999999"]
    assert all(w.customer.name not in e.target_repr for e in AuditEvent.objects.all())


def test_acc4_unknown_and_unanswered_requests_lapse_alike(w):
    from datetime import timedelta

    from django.utils import timezone

    from delegations.services.sweeps import lapse_stale_requests

    real = services.request_management(actor=w.sales, customer_number=w.customer.number, scope="read")
    unknown = services.request_management(actor=w.sales, customer_number="K-999999", scope="read")
    lapse_stale_requests(now=timezone.now() + timedelta(days=31))
    real.refresh_from_db()
    unknown.refresh_from_db()
    assert real.status == unknown.status == "lapsed"


# --- Caretaker requests in the audit trail -------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["T-100001", "t-100001", " T-100001 "])
def test_del1_audit_filter_by_tenant_looks_the_same_for_real_and_unknown_numbers(w, typed):
    """``/audit/?tenant=T-…`` shows the requester's own request row whether or not the tenant exists."""
    client = Client()
    client.force_login(w.tech)
    for number in (w.tenant.number, "T-999999"):
        client.post("/delegations/request/", {"tenant_number": number, "scope": "read"})

    def trail(number):
        page = client.get("/audit/", {"tenant": number})
        assert page.status_code == 200
        events = list(page.context["page"])
        return [(e.action, e.actor_id, e.acting_account_id, sorted(e.changes)) for e in events]

    assert len(trail(typed.replace("100001", "999999"))) == 1
    assert trail(typed) == trail(typed.replace("100001", "999999"))


def test_del1_audit_dashboard_and_api_show_no_tenant_name_to_the_requester(w, api):
    api(w.tech).post(
        "/api/v1/delegations/requests/", {"tenant_number": w.tenant.number, "scope": "read"}, format="json"
    )
    web = Client()
    web.force_login(w.tech)
    for path in ("/audit/", f"/audit/?tenant={w.tenant.number}", "/", "/delegations/"):
        assert w.tenant.name not in web.get(path).content.decode(), path
    assert w.tenant.name not in api(w.tech).get("/api/v1/delegations/").content.decode()


# --- Lookups by number and address ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "/api/v1/tenants/{}/",
        "/api/v1/tenants/{}/domains/",
        "/api/v1/tenants/{}/checks/",
        "/api/v1/tenants/{}/offers/",
    ],
)
def test_api1_lookups_by_tenant_number_answer_alike_for_unseen_and_unknown(w, api, template):
    client = api(w.tech)
    unseen = client.get(template.format(w.other_tenant.number))
    unknown = client.get(template.format("T-999999"))
    assert (unseen.status_code, unseen.content) == (unknown.status_code, unknown.content)


@pytest.mark.parametrize("template", ["/api/v1/accounts/{}/", "/api/v1/accounts/{}/members/"])
def test_api1_lookups_by_customer_number_answer_alike_for_unseen_and_unknown(w, api, template):
    client = api(w.sales)
    unseen = client.get(template.format(w.other_customer.number))
    unknown = client.get(template.format("K-999999"))
    assert (unseen.status_code, unseen.content) == (unknown.status_code, unknown.content)


def test_ui1_password_reset_answers_alike_for_known_and_unknown_addresses(client):
    member(AccountFactory(), "owner", email="owner@shop.example")
    known = Client().post("/password-reset/", {"email": "owner@shop.example"})
    unknown = Client().post("/password-reset/", {"email": "nobody@shop.example"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])


def test_del2_grant_answers_alike_for_known_and_unknown_caretakers(w, api):
    """The customer granting access learns nothing about whether the caretaker's address has a log-in."""
    client = api(w.owner)
    known = client.post(
        "/api/v1/delegations/grants/",
        {"email": w.tech.email, "tenants": [w.tenant.number], "scope": "read"},
        format="json",
    )
    unknown = client.post(
        "/api/v1/delegations/grants/",
        {"email": "fresh@example.org", "tenants": [w.tenant2.number], "scope": "read"},
        format="json",
    )
    assert known.status_code == unknown.status_code == 201
    strip = {"id", "tenant_number", "tenant_name", "caretaker_email", "created_at"}
    assert [{k: v for k, v in g.items() if k not in strip} for g in known.json()["grants"]] == [
        {k: v for k, v in g.items() if k not in strip} for g in unknown.json()["grants"]
    ]


def test_del1_caretaker_request_answers_the_same_for_every_kind_of_number(w, api):
    resold = TenantFactory(account=AccountFactory(), reseller=PartnerAccountFactory())
    client = api(w.tech)
    bodies = {
        client.post(
            "/api/v1/delegations/requests/", {"tenant_number": number, "scope": "read"}, format="json"
        ).content
        for number in (w.tenant.number, w.other_tenant.number, "T-999999", resold.number, "t-100002")
    }
    assert len(bodies) == 1
