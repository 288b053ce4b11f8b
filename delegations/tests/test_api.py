"""The delegation API (API-1, API-2; DEL-1..DEL-5, ACC-4): status codes, bodies, no enumeration, idempotency,
404 for unseen, constant query counts."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from delegations.models import CaretakerGrant, ManagedAccount
from tenants.tests.factories import TenantFactory

from .conftest import link_token
from .factories import grant_row, granted, requested

URL = "/api/v1/delegations/"


def test_del1_api_answer_is_identical_whether_or_not_the_tenant_exists(w, api):
    client = api(w.tech)
    existing = client.post(
        f"{URL}requests/", {"tenant_number": w.tenant.number, "scope": "technical"}, format="json"
    )
    missing = client.post(
        f"{URL}requests/", {"tenant_number": "T-987654", "scope": "technical"}, format="json"
    )
    foreign = client.post(
        f"{URL}requests/", {"tenant_number": w.other_tenant.number, "scope": "technical"}, format="json"
    )
    repeated = client.post(
        f"{URL}requests/", {"tenant_number": w.tenant.number, "scope": "technical"}, format="json"
    )
    assert existing.status_code == missing.status_code == foreign.status_code == repeated.status_code == 202
    assert existing.content == missing.content == foreign.content == repeated.content  # byte for byte
    assert {k: v for k, v in existing.items() if k.lower() != "date"} == {
        k: v for k, v in missing.items() if k.lower() != "date"
    }
    assert existing.json()["code"] == "request_received"
    assert CaretakerGrant.objects.count() == 3


def test_del1_api_outgoing_list_shows_real_and_unknown_numbers_alike(w, api):
    client = api(w.tech)
    client.post(f"{URL}requests/", {"tenant_number": w.tenant.number, "scope": "read"}, format="json")
    client.post(f"{URL}requests/", {"tenant_number": "T-987654", "scope": "read"}, format="json")
    rows = client.get(f"{URL}?direction=outgoing&status=pending").json()["results"]
    assert sorted(r["tenant_number"] for r in rows) == ["T-100001", "T-987654"]
    shapes = [{k: v for k, v in r.items() if k not in ("id", "tenant_number", "created_at")} for r in rows]
    assert shapes[0] == shapes[1]
    assert shapes[0]["tenant_name"] is None and shapes[0]["customer"] is None
    assert shapes[0]["actions"] == ["withdraw"]
    # Nothing of it is visible to the tenant's owner for the unknown number, the real one waits there.
    incoming = api(w.owner).get(f"{URL}?direction=incoming").json()["results"]
    assert [(r["tenant_number"], r["tenant_name"], r["actions"]) for r in incoming] == [
        ("T-100001", "Kunde Webshop", ["accept", "decline"])
    ]


def test_del1_api_rate_limit_answers_429_with_a_clear_message(w, api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "delegation_request_user": "2/hour",
            "delegation_request_account": "50/hour",
        },
    }
    client = api(w.tech)
    for number in ("T-1", "T-2"):
        assert (
            client.post(
                f"{URL}requests/", {"tenant_number": number, "scope": "read"}, format="json"
            ).status_code
            == 202
        )
    response = client.post(f"{URL}requests/", {"tenant_number": "T-3", "scope": "read"}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited" and "at most 2 per hour" in response.json()["detail"]
    assert response["Retry-After"]


def test_del1_api_refuses_customers_and_bad_scopes(w, api):
    assert (
        api(w.owner)
        .post(f"{URL}requests/", {"tenant_number": "T-1", "scope": "read"}, format="json")
        .status_code
        == 403
    )
    response = api(w.tech).post(f"{URL}requests/", {"tenant_number": "T-1", "scope": "all"}, format="json")
    assert response.status_code == 400 and "scope" in response.json()["fields"]
    assert not CaretakerGrant.objects.exists()


def test_del2_api_grant_returns_201_and_the_link_accepts_via_api(w, api, run_on_commit):
    body = {
        "email": w.tech.email,
        "tenants": [w.tenant.number, "t-100002"],
        "scope": "read",
        "expires_on": None,
    }
    with run_on_commit():
        response = api(w.owner).post(f"{URL}grants/", body, format="json")
    assert response.status_code == 201, response.content
    grants = response.json()["grants"]
    assert sorted(g["tenant_number"] for g in grants) == ["T-100001", "T-100002"]
    assert {g["status"] for g in grants} == {"pending"} and grants[0]["actions"] == ["withdraw"]
    token = link_token(next(m.body for m in mail.outbox if "?token=" in m.body))
    wrong = api(w.sales).post(f"{URL}accept-link/", {"token": token}, format="json")
    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_email"
    accepted = api(w.tech).post(f"{URL}accept-link/", {"token": token}, format="json")
    assert accepted.status_code == 200
    assert {g["status"] for g in accepted.json()["grants"]} == {"active"}
    again = api(w.tech).post(f"{URL}accept-link/", {"token": token}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "link_used"
    bad = api(w.tech).post(f"{URL}accept-link/", {"token": token + "x"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "link_invalid"


def test_api2_idempotency_key_on_grants(w, api):
    client = api(w.owner)
    body = {"email": "x@example.org", "tenants": [w.tenant.number], "scope": "read"}
    first = client.post(f"{URL}grants/", body, format="json", HTTP_IDEMPOTENCY_KEY="grant-1")
    second = client.post(f"{URL}grants/", body, format="json", HTTP_IDEMPOTENCY_KEY="grant-1")
    assert first.status_code == second.status_code == 201
    assert first.content == second.content and second["Idempotent-Replayed"] == "true"
    assert CaretakerGrant.objects.count() == 1
    other = client.post(
        f"{URL}grants/", {**body, "scope": "technical"}, format="json", HTTP_IDEMPOTENCY_KEY="grant-1"
    )
    assert other.status_code == 422
    # Without the key a repeat is refused by the rule, not duplicated.
    assert client.post(f"{URL}grants/", body, format="json").status_code == 400
    assert CaretakerGrant.objects.count() == 1


def test_api2_idempotency_key_on_requests_counts_the_rate_limit_once(w, api):
    from portal.models import RequestCounter

    client = api(w.tech)
    body = {"tenant_number": w.tenant.number, "scope": "read"}
    first = client.post(f"{URL}requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="req-1")
    counted = sorted(RequestCounter.objects.values_list("scope", "count"))
    second = client.post(f"{URL}requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="req-1")
    assert first.status_code == second.status_code == 202
    assert first.content == second.content and second["Idempotent-Replayed"] == "true"
    assert (
        sorted(RequestCounter.objects.values_list("scope", "count")) == counted
    )  # the replay is not counted
    assert CaretakerGrant.objects.filter(status="pending").count() == 1


def test_api2_idempotency_key_on_management_requests(w, api):
    client = api(w.sales)
    body = {"customer_number": w.customer.number, "scope": "read"}
    first = client.post("/api/v1/managed-accounts/", body, format="json", HTTP_IDEMPOTENCY_KEY="mgmt-1")
    second = client.post("/api/v1/managed-accounts/", body, format="json", HTTP_IDEMPOTENCY_KEY="mgmt-1")
    assert first.status_code == second.status_code == 202
    assert first.content == second.content and second["Idempotent-Replayed"] == "true"
    assert ManagedAccount.objects.count() == 1


def test_del2_api_grant_of_unseen_or_unknown_tenants_is_refused(w, api):
    response = api(w.owner).post(
        f"{URL}grants/",
        {"email": "x@example.org", "tenants": [w.other_tenant.number, "T-000000"], "scope": "read"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_tenants" and "T-100009" in response.json()["detail"]
    partner_view = TenantFactory(account=w.customer, reseller=w.partner)

    # The partner sees this tenant (reseller) but may not delegate the customer's tenants.
    response = api(w.sales).post(
        f"{URL}grants/",
        {"email": "x@example.org", "tenants": [partner_view.number], "scope": "read"},
        format="json",
    )
    assert response.status_code == 403
    assert not CaretakerGrant.objects.exists()


def test_del4_api_transitions_and_their_errors(w, api):
    grant = requested(w)
    detail = f"{URL}{grant.pk}/"
    assert api(w.other_owner).post(f"{detail}accept/").status_code == 404  # unseen
    assert api(w.outsider).get(detail).status_code == 404
    assert api(w.tech).post(f"{detail}accept/").status_code == 403  # seen, not the answering side
    day = (timezone.localdate() + timedelta(days=10)).isoformat()
    response = api(w.owner).post(f"{detail}accept/", {"expires_on": day}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "active"
    assert response.json()["actions"] == ["revoke", "extend"]
    assert api(w.owner).post(f"{detail}accept/").status_code == 409
    later = (timezone.localdate() + timedelta(days=40)).isoformat()
    response = api(w.owner).post(f"{detail}extend/", {"expires_on": later}, format="json")
    assert response.status_code == 200
    new_end = timezone.localtime(datetime.fromisoformat(response.json()["expires_at"]))
    assert new_end.date() == timezone.localdate() + timedelta(days=41) and new_end.hour == 0
    tech_view = api(w.tech).get(detail).json()
    assert tech_view["tenant_name"] == "Kunde Webshop" and tech_view["actions"] == ["resign"]
    assert (
        api(w.tech).post(f"{detail}resign/", {"reason": "fertig"}, format="json").json()["status"]
        == "resigned"
    )
    assert api(w.owner).post(f"{detail}revoke/").status_code == 409
    other = requested(w, w.tenant2.number)
    assert api(w.owner).post(f"{URL}{other.pk}/decline/").json()["status"] == "declined"
    third = requested(w, "T-424242")
    assert api(w.tech).post(f"{URL}{third.pk}/withdraw/").json()["status"] == "withdrawn"
    assert (
        api(w.owner).post(f"{URL}{third.pk}/withdraw/").status_code == 404
    )  # unknown number: nobody else sees it


def test_del5_api_list_directions_and_status(w, api):
    incoming = requested(w)
    active = grant_row(tenant=w.tenant2, caretaker=w.tech, scope="read")
    invitation = granted(w, "x@example.org")[0]
    owner = api(w.owner)

    def ids(client, query):
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids(owner, "direction=incoming") == {incoming.pk}
    # Directions name the user's side, statuses the state: the customer initiated both of its grants.
    assert ids(owner, "direction=outgoing") == {invitation.pk, active.pk}
    assert ids(owner, "direction=outgoing&status=pending") == {invitation.pk}
    assert ids(owner, "direction=granted") == {incoming.pk, active.pk, invitation.pk}
    assert ids(owner, "direction=granted&status=active") == {active.pk}
    assert ids(owner, "direction=managed") == set()
    tech = api(w.tech)
    assert ids(tech, "direction=managed&status=active") == {active.pk}
    assert ids(tech, "direction=outgoing&status=pending") == {incoming.pk}
    assert ids(tech, "status=pending,active") == {incoming.pk, active.pk}
    CaretakerGrant.objects.filter(pk=active.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ids(tech, "status=expired") == {active.pk}
    assert ids(tech, "status=active") == set()
    assert tech.get(f"{URL}?direction=sideways").status_code == 400
    assert tech.get(f"{URL}?status=happy").status_code == 400
    assert ids(api(w.outsider), "") == set()
    assert ids(api(w.vendor_support), "") == {incoming.pk, active.pk, invitation.pk}


def test_del5_api_list_query_count_is_constant(w, api, django_assert_max_num_queries):
    client = api(w.owner)
    granted(w, "one@example.org")
    client.get(URL)  # warm caches (content types, permissions)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(f"{URL}?direction=granted").status_code == 200
    tenants = [TenantFactory(account=w.customer) for _ in range(30)]
    granted(w, "many@example.org", tenants=tenants)
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"{URL}?direction=granted")
    assert response.json()["count"] == 31
    assert len(many.captured_queries) == len(few.captured_queries)


def test_acc4_api_managed_accounts(w, api, run_on_commit):
    sales = api(w.sales)
    response = sales.post(
        "/api/v1/managed-accounts/", {"customer_number": w.customer.number, "scope": "read"}, format="json"
    )
    assert response.status_code == 202, response.content  # the same answer for unknown numbers (issue 10)
    relation = sales.get("/api/v1/managed-accounts/").json()["results"][0]
    assert (relation["customer"], relation["customer_name"], relation["partner"], relation["status"]) == (
        w.customer.number,
        None,  # no name before the owner approves
        w.partner.number,
        "pending",
    )
    assert relation["actions"] == ["withdraw"]
    assert api(w.owner).get("/api/v1/managed-accounts/").json()["results"][0]["actions"] == [
        "approve",
        "decline",
    ]
    assert api(w.outsider).post(f"/api/v1/managed-accounts/{relation['id']}/approve/").status_code == 404
    assert api(w.admin).post(f"/api/v1/managed-accounts/{relation['id']}/approve/").status_code == 403
    approved = api(w.owner).post(f"/api/v1/managed-accounts/{relation['id']}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    vendor = api(w.vendor_support)
    refused = vendor.post(f"/api/v1/managed-accounts/{relation['id']}/dissolve/")
    assert refused.status_code == 400 and refused.json()["code"] == "partner_not_notified"
    notified = vendor.post(
        f"/api/v1/managed-accounts/{relation['id']}/notify-partner/",
        {"notice": "Bitte melden"},
        format="json",
    )
    assert notified.status_code == 200 and notified.json()["partner_notified_at"]
    dissolved = vendor.post(
        f"/api/v1/managed-accounts/{relation['id']}/dissolve/", {"reason": "Inhaber"}, format="json"
    )
    assert dissolved.status_code == 200 and dissolved.json()["status"] == "dissolved"
    unknown = sales.post(
        "/api/v1/managed-accounts/", {"customer_number": "K-0", "scope": "read"}, format="json"
    )
    assert unknown.status_code == 202 and unknown.content == response.content
    assert ManagedAccount.objects.filter(customer_account__isnull=False).count() == 1
    assert (
        sales.post(
            "/api/v1/managed-accounts/",
            {"customer_number": w.customer.number, "scope": "read"},
            format="json",
        ).status_code
        == 202
    )
    second = ManagedAccount.objects.get(customer_account=w.customer, status="pending")
    assert api(w.owner).post(f"/api/v1/managed-accounts/{second.pk}/decline/").json()["status"] == "declined"


def test_api_unauthenticated_calls_are_refused(db, client):
    assert client.get(URL).status_code in (401, 403)
    assert client.post(f"{URL}requests/", {"tenant_number": "T-1", "scope": "read"}).status_code in (401, 403)


@pytest.mark.parametrize("path", ["delegations/", "managed-accounts/"])
def test_api_schema_lists_the_endpoints(db, client, path):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert f"/api/v1/{path}".encode() in response.content
