"""The tenant operations API (TEN-3..TEN-8, API-1): a role matrix sales / support / tech / customer admin /
other partner × every operation (status codes: 404 unseen, 403 seen but refused), payloads, masking and
billing fields, and query counts that stay equal for 1 and 50 rows."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants import services
from tenants.models import BookedService, CheckRun, Domain, Offer, RegisteredUser
from tenants.services.offers import OfferLineInput

pytestmark = pytest.mark.django_db

ROLES = ["sales", "support", "tech", "customer_admin", "other_sales"]


@pytest.fixture(autouse=True)
def _english_client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # messages are asserted in English


@pytest.fixture
def api_world(world, clock, django_capture_on_commit_callbacks):
    """The world's tenant with a deployed domain (base + archive, one user), an ordered service waiting for
    deploy, a finished check and an offer."""
    clock.today("2025-06-10")
    domain = services.add_domain(
        actor=world.sales, tenant=world.tenant, name="shop.example", service_types=["archive"]
    )
    user = services.add_registered_user(actor=world.sales, domain=domain, email="info@shop.example")
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    services.book_services(actor=world.sales, domain=domain, service_types=["spam-filter"])
    with django_capture_on_commit_callbacks(execute=True):
        run, _ = services.start_consistency_check(actor=world.tech, tenant=world.tenant)
    offer = services.create_offer(actor=world.sales, tenant=world.tenant, lines=[OfferLineInput("archive")])
    return SimpleNamespace(
        **vars(world),
        domain=domain,
        user=user,
        archive=domain.services.get(service_type__code="archive"),
        run=run,
        offer=offer,
    )


def _call(client, method: str, url: str, data=None):
    kwargs = {"content_type": "application/json"} if data is not None else {}
    return getattr(client, method)(url, data if data is not None else None, **kwargs)


T = "/api/v1/tenants/{n}"
OPERATIONS = {
    # name: (method, url template, body, expected status per role)
    "list tenants": ("get", "/api/v1/tenants/", None, dict.fromkeys(ROLES, 200)),
    "tenant detail": ("get", T + "/", None, {**dict.fromkeys(ROLES, 200), "other_sales": 404}),
    "list domains": ("get", T + "/domains/", None, {**dict.fromkeys(ROLES, 200), "other_sales": 404}),
    "add domain": (
        "post",
        T + "/domains/",
        {"name": "new.example", "service_types": ["archive"]},
        {"sales": 201, "support": 403, "tech": 403, "customer_admin": 403, "other_sales": 404},
    ),
    "domain detail": (
        "get",
        T + "/domains/shop.example/",
        None,
        {**dict.fromkeys(ROLES, 200), "other_sales": 404},
    ),
    "mark confidential": (
        "patch",
        T + "/domains/shop.example/",
        {"confidential": True},
        {"sales": 403, "support": 403, "tech": 403, "customer_admin": 403, "other_sales": 404},
    ),
    "list services": (
        "get",
        T + "/domains/shop.example/services/",
        None,
        {**dict.fromkeys(ROLES, 200), "other_sales": 404},
    ),
    "tenant services": ("get", T + "/services/", None, {**dict.fromkeys(ROLES, 200), "other_sales": 404}),
    "book services": (
        "post",
        T + "/domains/shop.example/services/",
        {"service_types": ["encryption"]},
        {"sales": 201, "support": 403, "tech": 403, "customer_admin": 403, "other_sales": 404},
    ),
    "list users": (
        "get",
        T + "/domains/shop.example/users/",
        None,
        {**dict.fromkeys(ROLES, 200), "other_sales": 404},
    ),
    "add user": (
        "post",
        T + "/domains/shop.example/users/",
        {"email": "new@shop.example"},
        {"sales": 201, "support": 403, "tech": 201, "customer_admin": 201, "other_sales": 404},
    ),
    "remove user": (
        "delete",
        T + "/domains/shop.example/users/{user}/",
        None,
        {"sales": 204, "support": 403, "tech": 204, "customer_admin": 204, "other_sales": 404},
    ),
    "service detail": (
        "get",
        "/api/v1/services/{archive}/",
        None,
        {**dict.fromkeys(ROLES, 200), "other_sales": 404},
    ),
    "end preview": (
        "get",
        "/api/v1/services/{archive}/end-preview/",
        None,
        {**dict.fromkeys(ROLES, 200), "other_sales": 404},
    ),
    "end service": (
        "post",
        "/api/v1/services/{archive}/end/",
        {"end_date": "2025-06-30", "confirm": True},
        {"sales": 200, "support": 403, "tech": 403, "customer_admin": 403, "other_sales": 404},
    ),
    "cancel service": (
        "post",
        "/api/v1/services/{spam}/cancel/",
        {},
        {"sales": 200, "support": 403, "tech": 403, "customer_admin": 403, "other_sales": 404},
    ),
    "set discount": (
        "post",
        "/api/v1/services/{archive}/discount/",
        {"discount_percent": "10", "discount_reason": "nfr"},
        {"sales": 200, "support": 403, "tech": 403, "customer_admin": 403, "other_sales": 404},
    ),
    "deploy": (
        "post",
        T + "/deploy/",
        {},
        {"sales": 403, "support": 403, "tech": 200, "customer_admin": 403, "other_sales": 404},
    ),
    "start check": (
        "post",
        T + "/checks/",
        None,
        {"sales": 403, "support": 403, "tech": 202, "customer_admin": 202, "other_sales": 404},
    ),
    "list checks": ("get", T + "/checks/", None, {**dict.fromkeys(ROLES, 200), "other_sales": 404}),
    "check detail": ("get", "/api/v1/checks/{run}/", None, {**dict.fromkeys(ROLES, 200), "other_sales": 404}),
    "service types": ("get", "/api/v1/service-types/", None, dict.fromkeys(ROLES, 200)),
    "create offer": (
        "post",
        T + "/offers/",
        {"lines": [{"service_type": "archive", "quantity": 2}]},
        {"sales": 201, "support": 403, "tech": 403, "customer_admin": 403, "other_sales": 404},
    ),
    "list offers": (
        "get",
        T + "/offers/",
        None,
        {"sales": 200, "support": 403, "tech": 403, "customer_admin": 200, "other_sales": 404},
    ),
    "offer pdf": (
        "get",
        "/api/v1/offers/{offer}/pdf/",
        None,
        {"sales": 200, "support": 403, "tech": 403, "customer_admin": 200, "other_sales": 404},
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_ten7_api_role_matrix(api_world, client, role, operation):
    method, template, body, expected = OPERATIONS[operation]
    url = template.format(
        n=api_world.tenant.number,
        archive=api_world.archive.pk,
        spam=api_world.domain.services.get(service_type__code="spam-filter").pk,
        user=api_world.user.pk,
        run=api_world.run.pk,
        offer=api_world.offer.pk,
    )
    client.force_login(getattr(api_world, role))
    before = (
        Domain.objects.count(),
        BookedService.objects.count(),
        RegisteredUser.objects.count(),
        Offer.objects.count(),
    )
    states = list(BookedService.objects.order_by("pk").values_list("status", "end_date", "discount_percent"))
    response = _call(client, method, url, body)
    assert response.status_code == expected[role], (operation, role, response.content[:300])
    if response.status_code >= 400:
        body_ = response.json()
        assert set(body_) == {"code", "detail", "fields"}
        # Refused means nothing changed.
        assert before == (
            Domain.objects.count(),
            BookedService.objects.count(),
            RegisteredUser.objects.count(),
            Offer.objects.count(),
        )
        assert states == list(
            BookedService.objects.order_by("pk").values_list("status", "end_date", "discount_percent")
        )


def test_ten3_list_counts_and_ordering(api_world, client):
    services.add_domain(
        actor=api_world.sales, tenant=api_world.tenant, name="b.example", service_types=["archive"]
    )
    from tenants.tests.factories import resold_tenant

    empty = resold_tenant(api_world.customer, api_world.partner, name="Empty")
    client.force_login(api_world.sales)
    rows = client.get("/api/v1/tenants/?ordering=-services_count").json()["results"]
    assert [(r["number"], r["domains_count"], r["services_count"]) for r in rows] == [
        (api_world.tenant.number, 2, 5),  # base+archive+spam-filter, base+archive
        (empty.number, 0, 0),
    ]
    rows = client.get("/api/v1/tenants/?ordering=domains_count").json()["results"]
    assert rows[0]["number"] == empty.number
    detail = client.get(f"/api/v1/tenants/{api_world.tenant.number}/").json()
    assert detail["domains_count"] == 2 and detail["has_undeployed"] is True
    assert "book" in detail["permissions"] and "deploy" not in detail["permissions"]


def test_ten7_book_services_reports_missing_dependencies(api_world, client):
    client.force_login(api_world.sales)
    url = f"/api/v1/tenants/{api_world.tenant.number}/domains/shop.example/services/"
    response = client.post(url, {"service_types": ["signature"]}, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "missing_dependencies" and body["fields"]["missing"] == ["encryption"]
    response = client.post(
        url, {"service_types": ["signature"], "add_dependencies": True}, content_type="application/json"
    )
    assert response.status_code == 201
    assert [row["service_type"]["code"] for row in response.json()] == ["encryption", "signature"]
    assert all(row["status"] == "ordered" for row in response.json())


def test_ten7_end_service_asks_for_confirmation_and_defaults_the_date(api_world, client, clock):
    services.book_services(
        actor=api_world.sales, domain=api_world.domain, service_types=["encryption", "signature"]
    )
    services.deploy_tenant(actor=api_world.tech, tenant=api_world.tenant)
    encryption = api_world.domain.services.get(service_type__code="encryption")
    client.force_login(api_world.sales)
    preview = client.get(f"/api/v1/services/{encryption.pk}/end-preview/").json()
    assert preview["default_end_date"] == "2025-06-30" and preview["earliest_end_date"] == "2025-06-11"
    assert [row["service_type"] for row in preview["affected"]] == ["signature"]
    response = client.post(f"/api/v1/services/{encryption.pk}/end/", {}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "confirmation_required"
    assert response.json()["fields"]["affected"] == [
        api_world.domain.services.get(service_type__code="signature").number
    ]
    response = client.post(
        f"/api/v1/services/{encryption.pk}/end/", {"end_date": "2025-06-10"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] in {
        "end_date_too_early",
        "confirmation_required",
    }
    response = client.post(
        f"/api/v1/services/{encryption.pk}/end/", {"confirm": True}, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["end_date"] == "2025-06-30" and body["service"]["status"] == "ending"
    assert len(body["ending"]) == 2


def test_ten7_deploy_and_check_payloads(api_world, client, django_capture_on_commit_callbacks):
    client.force_login(api_world.tech)
    response = client.post(
        f"/api/v1/tenants/{api_world.tenant.number}/deploy/", {}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["services"] == [
        api_world.domain.services.get(service_type__code="spam-filter").number
    ]
    assert response.json()["billing_started"] == response.json()["services"]
    response = client.post(
        f"/api/v1/tenants/{api_world.tenant.number}/deploy/", {}, content_type="application/json"
    )
    assert response.status_code == 409 and response.json()["code"] == "nothing_to_deploy"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/tenants/{api_world.tenant.number}/checks/")
    assert response.status_code == 202
    run = response.json()
    assert run["status"] == "queued" and run["id"] != api_world.run.pk
    assert response["Location"] == f"/api/v1/checks/{run['id']}/"
    detail = client.get(run["url"]).json()  # the task ran after commit (eagerly in tests)
    assert detail["status"] == "done" and detail["progress"] == 100
    assert detail["findings"] == []  # MX points to us, users registered, billing consistent


def test_ten7_second_check_returns_the_running_one(api_world, client):
    CheckRun.objects.create(tenant=api_world.tenant, status="running")
    client.force_login(api_world.tech)
    first = client.post(f"/api/v1/tenants/{api_world.tenant.number}/checks/")
    second = client.post(f"/api/v1/tenants/{api_world.tenant.number}/checks/")
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["status"] == "running"


def test_ten7_check_findings_over_the_api(world, client, django_capture_on_commit_callbacks):
    services.add_domain(actor=world.sales, tenant=world.tenant, name="nomx.example")
    with django_capture_on_commit_callbacks(execute=True):
        run, _ = services.start_consistency_check(actor=world.tech, tenant=world.tenant)
    client.force_login(world.support)
    body = client.get(f"/api/v1/checks/{run.pk}/").json()
    assert body["status"] == "done" and body["findings_count"] == 1  # no MX; nothing deployed to bill yet
    messages = {f["code"]: f["message"] for f in body["findings"]}
    assert messages["mx_missing"] == "nomx.example has no MX record."
    assert body["findings"][0]["domain"]["name"] == "nomx.example"


def test_ten4_masked_names_and_lookup_by_id(world, client):
    domain = services.add_domain(
        actor=world.partner_admin,
        tenant=world.tenant,
        name="geheim.shop.example",
        expert=True,
        confidential=True,
    )
    services.add_registered_user(actor=world.partner_admin, domain=domain, email="chef@geheim.shop.example")
    base = f"/api/v1/tenants/{world.tenant.number}/domains/"
    client.force_login(world.support)
    rows = client.get(base).json()["results"]
    assert rows == [
        {
            **rows[0],
            "name": "••••.shop.example",
            "ascii_name": None,
            "masked": True,
            "confidential": True,
        }
    ]
    assert client.get(base + "geheim.shop.example/").status_code == 404  # no confirming guessed names
    assert client.get(base + f"{domain.pk}/").json()["name"] == "••••.shop.example"
    users = client.get(base + f"{domain.pk}/users/").json()["results"]
    assert users[0]["email"] == "chef@••••.shop.example"
    assert client.get(base + "?q=geheim").json()["results"] == []  # search does not confirm it either
    services_rows = client.get(f"/api/v1/tenants/{world.tenant.number}/services/").json()["results"]
    assert {row["domain"]["name"] for row in services_rows} == {"••••.shop.example"}
    client.force_login(world.partner_admin)
    assert client.get(base + "geheim.shop.example/").json()["name"] == "geheim.shop.example"
    assert client.get(base + "?q=geheim").json()["results"][0]["ascii_name"] == "geheim.shop.example"
    response = client.patch(base + f"{domain.pk}/", {"confidential": False}, content_type="application/json")
    assert response.status_code == 200 and response.json()["confidential"] is False


def test_del3_prices_and_discounts_are_hidden_without_view_billing(api_world, client):
    services.set_discount(actor=api_world.sales, service=api_world.archive, percent="10", reason="test")
    url = f"/api/v1/services/{api_world.archive.pk}/"
    client.force_login(api_world.sales)
    row = client.get(url).json()
    assert row["monthly_price"] == "6.50" and row["discount_percent"] == "10.00"
    assert row["discount_reason_display"] == "test" and row["billable"] is True
    client.force_login(api_world.tech)
    row = client.get(url).json()
    assert "monthly_price" not in row and "discount_percent" not in row and "discount_reason" not in row
    assert row["billing_start"] == "2025-06-10"
    types = client.get("/api/v1/service-types/").json()["results"]
    assert "monthly_price" not in types[0]
    client.force_login(api_world.customer_admin)
    types = client.get("/api/v1/service-types/").json()["results"]
    assert types[0]["code"] == "base" and types[0]["monthly_price"] == "9.90"
    assert next(t for t in types if t["code"] == "signature")["requires"] == ["encryption"]


def test_ten7_create_offer_returns_its_pdf_url(api_world, client):
    client.force_login(api_world.sales)
    response = client.post(
        f"/api/v1/tenants/{api_world.tenant.number}/offers/",
        {
            "title": "Angebot",
            "lines": [
                {
                    "service_type": "encryption",
                    "quantity": 2,
                    "discount_percent": "12.5",
                    "discount_reason": "nfr",
                },
                {"service_type": "archive"},
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    offer = response.json()
    assert offer["monthly_total"] == "32.58" and offer["annual_total"] == "390.96"
    assert offer["pdf_url"].endswith(f"/api/v1/offers/{offer['id']}/pdf/")
    pdf = client.get(offer["pdf_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    bad = client.post(
        f"/api/v1/tenants/{api_world.tenant.number}/offers/",
        {"lines": [{"service_type": "archive", "discount_percent": "5"}]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "discount_reason_required"
    assert "lines.0.discount_reason" in bad.json()["fields"]


def test_ten7_add_domain_validation_errors_name_the_field(api_world, client):
    client.force_login(api_world.sales)
    url = f"/api/v1/tenants/{api_world.tenant.number}/domains/"
    response = client.post(url, {"name": "not a domain"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_domain"
    assert "name" in response.json()["fields"]
    response = client.post(url, {"name": "shop.example"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "domain_taken"
    response = client.post(url, {"name": "Straße.example", "expert": True}, content_type="application/json")
    assert response.status_code == 201
    assert (
        response.json()["name"] == "straße.example"
        and response.json()["ascii_name"] == "xn--strae-oqa.example"
    )
    assert response.json()["services_count"] == 1 and response.json()["undeployed_count"] == 1


def test_api2_add_domain_is_idempotent_with_a_key(api_world, client):
    client.force_login(api_world.sales)
    url = f"/api/v1/tenants/{api_world.tenant.number}/domains/"
    first = client.post(
        url, {"name": "idem.example"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = client.post(
        url, {"name": "idem.example"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Domain.objects.filter(name="idem.example").count() == 1


def test_api1_schema_documents_the_operations(client, admin_user):
    client.force_login(admin_user)
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/tenants/{number}/domains/",
        "/api/v1/tenants/{number}/domains/{fqdn}/services/",
        "/api/v1/tenants/{number}/domains/{fqdn}/users/",
        "/api/v1/services/{id}/end/",
        "/api/v1/tenants/{number}/deploy/",
        "/api/v1/tenants/{number}/checks/",
        "/api/v1/checks/{id}/",
        "/api/v1/service-types/",
        "/api/v1/tenants/{number}/offers/",
        "/api/v1/offers/{id}/pdf/",
    ):
        assert path.replace("{id}", "{pk}") in paths or path in paths, path
    assert "202" in paths["/api/v1/tenants/{number}/checks/"]["post"]["responses"]


# --- Query counts: equal for 1 and 50 rows ----------------------------------------------------------------


def _queries(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    rows = body.get("count", len(body.get("findings", [])))
    return len(captured.captured_queries), rows


def _grow(world, size: int):
    """Bring the world to ``size`` tenants, domains on the first tenant, bookings, users, checks, offers."""
    from tenants.bench_data import create_bench_data

    if size > 1:
        create_bench_data(size - 1, partner=world.partner, customer=world.customer, prefix=f"q{size}")


LIST_URLS = [
    "/api/v1/tenants/",
    "/api/v1/tenants/?ordering=-services_count&q=T-",
    "/api/v1/service-types/",
]


@pytest.mark.parametrize("url", LIST_URLS)
def test_perf_tenant_list_query_count_is_constant(world, client, url, django_assert_max_num_queries):
    client.force_login(world.sales)
    one, rows_one = _queries(client, url)
    _grow(world, 50)
    fifty, rows_fifty = _queries(client, url)
    if "service-types" not in url:
        assert rows_fifty >= 49 > rows_one
    assert one == fifty, (one, fifty)
    with django_assert_max_num_queries(8):
        client.get(url)


def _tenant_with_rows(world, size: int, clock, capture):
    """``size`` domains (each with bookings and a user) on the world's tenant, ``size`` findings, offers."""
    clock.today("2025-06-10")
    for index in range(size):
        domain = services.add_domain(
            actor=world.sales, tenant=world.tenant, name=f"nomx{index}.example", service_types=["archive"]
        )
        services.add_registered_user(actor=world.sales, domain=domain, email=f"a@nomx{index}.example")
        services.create_offer(actor=world.sales, tenant=world.tenant, lines=[OfferLineInput("archive")])
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    CheckRun.objects.filter(tenant=world.tenant).delete()
    CheckRun.objects.bulk_create(
        CheckRun(tenant=world.tenant, status="done", progress=100) for _ in range(size - 1)
    )
    with capture(execute=True):
        run, _ = services.start_consistency_check(actor=world.tech, tenant=world.tenant)
    return Domain.objects.filter(tenant=world.tenant).order_by("pk").first(), run


TENANT_LIST_URLS = [
    "{t}/domains/",
    "{t}/domains/{domain}/services/",
    "{t}/domains/{domain}/users/",
    "{t}/services/",
    "{t}/checks/",
    "{t}/offers/",
    "/api/v1/checks/{run}/",
]


@pytest.mark.parametrize("template", TENANT_LIST_URLS)
def test_perf_tenant_lists_query_count_is_constant(
    world, client, clock, template, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    """The same number of queries for 1 row and for 50 (domains, findings, offers; per-domain lists grow
    by booking more on one domain)."""
    client.force_login(world.partner_admin)
    counts = []
    for size in (1, 50):
        BookedService.objects.filter(domain__tenant=world.tenant).delete()
        RegisteredUser.objects.filter(domain__tenant=world.tenant).delete()
        Domain.objects.filter(tenant=world.tenant).delete()
        Offer.objects.filter(tenant=world.tenant).delete()
        domain, run = _tenant_with_rows(world, size, clock, django_capture_on_commit_callbacks)
        for index in range(size - 1):  # per-domain lists: more users on the first domain
            RegisteredUser.objects.create(domain=domain, email=f"u{index}@{domain.name}")
        url = template.format(t=f"/api/v1/tenants/{world.tenant.number}", domain=domain.pk, run=run.pk)
        counts.append(_queries(client, url))
    (one, rows_one), (fifty, rows_fifty) = counts
    assert rows_fifty > rows_one or "/domains/{domain}/services/" in template  # a domain has ≤ 7 live types
    assert one == fifty, (template, one, fifty)
    with django_assert_max_num_queries(12):
        client.get(template.format(t=f"/api/v1/tenants/{world.tenant.number}", domain=domain.pk, run=run.pk))
