"""The API's django-filter filters (issue 4: "Filtering with django-filter") over tenants, domains, booked
services, checks and the catalogue, and the audit event of a catalogue change (TEN-5). Each assertion
compares a filtered list with the unfiltered one, so a filter that stopped filtering fails."""

from __future__ import annotations

import pytest

from accounts.tests.factories import AccountFactory
from portal import access
from portal.models import AuditEvent
from tenants import services
from tenants.tests.factories import resold_tenant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def filter_world(world, clock, django_capture_on_commit_callbacks):
    """``live.example`` deployed (base + archive) with a cancelled spam filter, ``new.example`` ordered (base
    only), and a finished check."""
    clock.today("2025-06-10")
    live = services.add_domain(
        actor=world.sales, tenant=world.tenant, name="live.example", service_types=["archive"]
    )
    services.add_registered_user(actor=world.sales, domain=live, email="info@live.example")
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    services.book_services(actor=world.sales, domain=live, service_types=["spam-filter"])
    services.cancel_service(actor=world.sales, service=live.services.get(service_type__code="spam-filter"))
    services.add_domain(actor=world.sales, tenant=world.tenant, name="new.example", service_types=[])
    with django_capture_on_commit_callbacks(execute=True):
        services.start_consistency_check(actor=world.tech, tenant=world.tenant)
    return world


def _rows(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_ten3_tenant_list_filters(filter_world, client):
    w = filter_world
    other = resold_tenant(w.customer, w.partner, name="Zweitmandant")
    client.force_login(w.sales)
    url = "/api/v1/tenants/"
    assert len(_rows(client, url)) == 2
    assert [r["number"] for r in _rows(client, url, q="zweit")] == [other.number]
    assert [r["number"] for r in _rows(client, url, q=other.number.lower())] == [other.number]
    # ?account= selects the caller's active account in the API; the owning customer filters as ?customer=.
    stranger = resold_tenant(AccountFactory(), w.partner, name="Fremdkunde")
    assert {r["number"] for r in _rows(client, url, customer=w.customer.number)} == {
        w.tenant.number,
        other.number,
    }
    assert [r["number"] for r in _rows(client, url, customer=stranger.account.number)] == [stranger.number]
    assert _rows(client, url, customer="K-999999") == []
    environment = w.tenant.environment
    assert len(_rows(client, url, environment=environment)) == 3
    assert _rows(client, url, environment="test" if environment != "test" else "staging") == []


def test_ten4_domain_list_filters_by_deployment(filter_world, client):
    client.force_login(filter_world.sales)
    url = f"/api/v1/tenants/{filter_world.tenant.number}/domains/"
    assert {r["name"] for r in _rows(client, url)} == {"live.example", "new.example"}
    assert [r["name"] for r in _rows(client, url, deployed="true")] == ["live.example"]
    assert [r["name"] for r in _rows(client, url, deployed="false")] == ["new.example"]
    assert [r["name"] for r in _rows(client, url, q="new")] == ["new.example"]


def test_ten6_service_lists_filter_by_status_type_and_live(filter_world, client):
    client.force_login(filter_world.support)  # read-only roles filter too
    number = filter_world.tenant.number
    for url in (
        f"/api/v1/tenants/{number}/services/",
        f"/api/v1/tenants/{number}/domains/live.example/services/",
    ):
        every = _rows(client, url)
        assert {r["status"] for r in every} >= {"deployed", "cancelled"}
        cancelled = _rows(client, url, status="cancelled")
        assert [r["service_type"]["code"] for r in cancelled] == ["spam-filter"]
        assert {r["status"] for r in _rows(client, url, live="true")} <= {"ordered", "deployed", "ending"}
        assert len(_rows(client, url, live="true")) == len(every) - 1
        assert [r["status"] for r in _rows(client, url, live="false")] == ["cancelled"]
        archive = _rows(client, url, service_type="archive")
        assert [(r["service_type"]["code"], r["status"]) for r in archive] == [("archive", "deployed")]
        both = _rows(client, f"{url}?status=cancelled&status=deployed")
        assert len(both) == len([r for r in every if r["status"] in {"cancelled", "deployed"}])
    tenant_wide = _rows(client, f"/api/v1/tenants/{number}/services/", status="ordered")
    assert [(r["domain"]["name"], r["service_type"]["code"]) for r in tenant_wide] == [
        ("new.example", "base")
    ]


def test_ten7_check_list_filters_by_status(filter_world, client):
    client.force_login(filter_world.sales)
    url = f"/api/v1/tenants/{filter_world.tenant.number}/checks/"
    assert len(_rows(client, url)) == 1
    assert len(_rows(client, url, status="done")) == 1
    assert _rows(client, url, status="running") == []


def test_ten5_service_types_filter_by_base_and_search(types, world, client):
    client.force_login(world.sales)
    url = "/api/v1/service-types/"
    assert len(_rows(client, url)) == len(types)
    assert [r["code"] for r in _rows(client, url, is_base="true")] == ["base"]
    assert len(_rows(client, url, is_base="false")) == len(types) - 1
    assert [r["code"] for r in _rows(client, url, q="DMARC")] == ["dmarc-report"]
    assert [r["code"] for r in _rows(client, url, q="spam-f")] == ["spam-filter"]


def test_ten5_catalogue_change_is_audited_with_before_and_after(types):
    services.update_service_type(
        actor=access.SYSTEM,
        service_type=types["archive"],
        monthly_price="7.00",
        requires=[types["spam-filter"]],
    )
    event = AuditEvent.objects.get(action="tenant.catalogue.service_type_changed")
    assert event.changes["from"] == {"monthly_price": "6.50"}
    assert event.changes["to"] == {"monthly_price": "7.00"}
    assert event.changes["requires"] == ["spam-filter"]


def test_api1_schema_documents_the_list_filters(client, admin_user):
    client.force_login(admin_user)
    paths = client.get("/api/schema/?format=json").json()["paths"]

    def parameters(path):
        return {p["name"] for p in paths[path]["get"].get("parameters", []) if p["in"] == "query"}

    assert {"q", "environment", "customer", "ordering", "page"} <= parameters("/api/v1/tenants/")
    assert {"status", "service_type", "live"} <= parameters(
        "/api/v1/tenants/{number}/domains/{fqdn}/services/"
    )
    assert {"q", "deployed", "confidential"} <= parameters("/api/v1/tenants/{number}/domains/")
    assert {"status"} <= parameters("/api/v1/tenants/{number}/checks/")
    assert {"q", "is_base"} <= parameters("/api/v1/service-types/")
