"""API-1 and UI-1 of support: the entitlement endpoint and the lookup page (SUP-5), tickets (SUP-6), set-up
check (CHK-1), staging accounts (ACC-1); stable error bodies for bad input; query counts of the lists."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.tests.factories import AccountFactory, VendorAccountFactory, member
from support import services
from support.models import CoverageCategory
from support.tests.factories import ContractFactory
from tenants.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    account = AccountFactory(number="K-700001", name="Shop GmbH", contact_email="owner@shop.example")
    ContractFactory(account=account, number="V-700001")
    return account


@pytest.fixture
def owner(shop):
    return member(shop, "owner", email="olga@shop.example")


@pytest.fixture
def staging(shop, owner):
    return services.create_staging_account(actor=owner, account=shop, contact_email="staging@shop.example")


@pytest.fixture
def staff():
    return member(VendorAccountFactory(), "support", email="sam@vendor.example")


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_sup5_api_staging_email_answers_via_leading_account_with_reasons(staff, staging, shop):
    body = _api(staff).get("/api/v1/support/entitlement/", {"q": " Staging@Shop.example "}).json()
    assert body["kind"] == "email" and body["normalized"] == "staging@shop.example"
    card = body["card"]
    assert card["verdict"] == "via_leading_account"
    assert card["ticket_account"] == "K-700001"
    assert card["account"]["leading_account"] == "K-700001"
    codes = [r["code"] for r in card["reasons"]]
    assert codes == [
        "staging_inherits_nothing",
        "leading_account",
        "support_contract_open_end",
        "create_from_leading",
    ]
    assert "K-700001" in card["reasons"][-1]["text"] and "staging@shop.example" in card["reasons"][-1]["text"]
    assert isinstance(card["within_core_hours"], bool)
    assert [a["identifier"] for a in card["related_accounts"]] == ["K-700001"]


def test_sup5_api_several_matches_list_without_card(staff, shop, staging):
    body = _api(staff).get("/api/v1/support/entitlement/", {"q": "shop.example"}).json()
    assert body["kind"] == "email_domain" and body["card"] is None
    assert {m["account"]["identifier"] for m in body["matches"]} == {"K-700001", "staging@shop.example"}


def test_sup5_api_malformed_query_is_a_clear_400(staff):
    response = _api(staff).get("/api/v1/support/entitlement/", {"q": "hello world"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unrecognized_query" and "q" in body["fields"] and body["detail"]


def test_sup6_api_ticket_create_list_messages_status(owner, shop, staff, staging):
    client = _api(owner)
    created = client.post(
        "/api/v1/support/tickets/",
        {
            "account": f"~{staging.pk}",
            "category": "bug_analysis",
            "subject": "Update-Probelauf",
            "message": "Fehler 42",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="ticket-1",
    )
    assert created.status_code == 201, created.json()
    ticket = created.json()
    assert ticket["account"] == "K-700001" and ticket["reference"] == "staging@shop.example"
    assert (
        ticket["verdict"] == "via_leading_account" and ticket["reasons"][-1]["code"] == "create_from_leading"
    )
    again = client.post(
        "/api/v1/support/tickets/",
        {
            "account": f"~{staging.pk}",
            "category": "bug_analysis",
            "subject": "Update-Probelauf",
            "message": "Fehler 42",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="ticket-1",
    )
    assert again.json()["number"] == ticket["number"]  # replayed, not filed twice
    assert [t["number"] for t in client.get("/api/v1/support/tickets/").json()["results"]] == [
        ticket["number"]
    ]
    url = f"/api/v1/support/tickets/{ticket['number']}/"
    assert client.post(url + "messages/", {"body": "Logs anbei"}, format="json").status_code == 201
    assert len(client.get(url + "messages/").json()) == 2
    assert client.post(url + "status/", {"status": "closed"}, format="json").status_code == 403
    assert _api(staff).post(url + "status/", {"status": "closed"}, format="json").json()["status"] == "closed"
    assert _api(staff).post(url + "status/", {"status": "closed"}, format="json").status_code == 409


def test_sup6_api_refusal_names_reason_chain(shop):
    account = AccountFactory(number="K-700002")
    ContractFactory(account=account, kind="update_service", number="V-700002")
    user = member(account, "owner")
    response = _api(user).post(
        "/api/v1/support/tickets/",
        {"account": "K-700002", "category": "user_question", "subject": "Frage", "message": "?"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "not_entitled" and "V-700002" in body["detail"]


def test_sup6_api_bad_input_is_400_not_500(owner, shop):
    client = _api(owner)
    assert client.post("/api/v1/support/tickets/", {}, format="json").status_code == 400
    bad_category = {"account": "K-700001", "category": "nope", "subject": "x", "message": "y"}
    assert (
        client.post("/api/v1/support/tickets/", bad_category, format="json").json()["code"]
        == "invalid_category"
    )
    bad_tenant = {
        "account": "K-700001",
        "tenant": "T-999",
        "category": "user_question",
        "subject": "x",
        "message": "y",
    }
    assert client.post("/api/v1/support/tickets/", bad_tenant, format="json").status_code == 400


@pytest.mark.parametrize("rows", [1, 20])
def test_sup6_ticket_list_query_count(owner, shop, rows, django_assert_max_num_queries):
    category = CoverageCategory.objects.get(code="user_question")
    for n in range(rows):
        services.create_ticket(
            actor=owner, subject_account=shop, category=category, subject=f"T{n}", message="m"
        )
    client = _api(owner)
    with django_assert_max_num_queries(12):
        assert len(client.get("/api/v1/support/tickets/").json()["results"]) == rows
    html = Client()
    html.force_login(owner)
    with django_assert_max_num_queries(25):
        assert html.get("/support/tickets/").status_code == 200


def test_chk1_api_setup_check(owner, shop):
    TenantFactory(account=shop, environment="staging")
    body = _api(owner).get("/api/v1/accounts/K-700001/setup-check/").json()
    assert body["cases"] == ["D"] and not body["ok"]
    assert body["findings"][0]["code"] == "staging_tenant_in_production_account"


def test_acc1_api_staging_domain_rule(owner, shop):
    response = _api(owner).post(
        "/api/v1/accounts/K-700001/staging-accounts/", {"contact_email": "x@other.example"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "email_domain_mismatch"
    ok = _api(owner).post(
        "/api/v1/accounts/K-700001/staging-accounts/",
        {"purpose": "simulation", "contact_email": "sim@shop.example"},
        format="json",
    )
    assert ok.status_code == 201 and ok.json()["name"] == "Shop GmbH (Simulation)"


def test_ui_lookup_page_card_and_keyboard(staff, staging, shop):
    client = Client()
    client.force_login(staff)
    page = client.get("/support/", {"q": "staging@shop.example"}).content.decode()
    assert 'data-verdict="via_leading_account"' in page
    assert "autofocus" in page and "data-support-search" in page
    assert "support.js" in page
    assert "Shop GmbH (Staging)" in page
    several = client.get("/support/", {"q": "shop.example"}).content.decode()
    assert "?q=shop.example&amp;account=K-700001" in several
    bad = client.get("/support/", {"q": "???"})
    assert bad.status_code == 200 and 'class="msg error" role="alert"' in bad.content.decode()
    assert client.get(f"/support/accounts/{shop.number}/").status_code == 200


def test_ui_account_page_shows_set_up_check_and_staging_button(owner, shop):
    client = Client()
    client.force_login(owner)
    page = client.get(f"/accounts/{shop.number}/").content.decode()
    assert 'id="setup-check"' in page
    assert f"/support/accounts/{shop.number}/staging/new/" in page
    form = client.get(f"/support/accounts/{shop.number}/staging/new/").content.decode()
    assert "Shop GmbH (Staging)" in form
    response = client.post(
        f"/support/accounts/{shop.number}/staging/new/",
        {"purpose": "staging", "name": "", "contact_email": "a@gmail.example"},
    )
    assert "shop.example" in response.content.decode()
    response = client.post(
        f"/support/accounts/{shop.number}/staging/new/",
        {"purpose": "staging", "name": "", "contact_email": "qa@shop.example"},
    )
    assert response.status_code == 302


def test_ui_customer_files_ticket_in_the_form(owner, shop):
    client = Client()
    client.force_login(owner)
    form = client.get("/support/tickets/new/").content.decode()
    assert "billable" in form
    response = client.post(
        "/support/tickets/new/",
        {
            "account": "K-700001",
            "tenant": "",
            "category": "user_question",
            "subject": "Frage",
            "message": "Hilfe",
        },
    )
    assert response.status_code == 302
    detail = client.get(response["Location"]).content.decode()
    assert "Frage" in detail and 'data-verdict="entitled"' in detail
