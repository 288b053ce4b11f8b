"""Bad input is never a 500, and API errors keep their shape ``{code, detail, fields}`` (API-1, issue 10 §2).

Each test tries several members of a class: dates far in the future on every date input (grants, accept,
extend, service end), extensions past the five-year maximum, deep JSON, OPTIONS with a body, control
characters in names that reach mail headers, NUL bytes in paths and queries, unknown API routes, oversized
bodies, and ordering the catalogue by a field the caller may not see.
"""

from __future__ import annotations

import datetime
import json

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Account
from accounts.tests.factories import member
from delegations import services as delegation_services
from delegations.models import CaretakerGrant
from delegations.services.common import MAX_EXPIRY
from delegations.tests.factories import accepted_request, grant_row, requested
from portal.errors import RuleViolation
from tenants import services as tenant_services
from tenants.tests.factories import ServiceTypeFactory, demo_catalogue, resold_tenant

from .conftest import assert_error_shape

pytestmark = pytest.mark.django_db

FAR_DATES = ["9999-12-31", "9999-12-30", "9000-01-01", "2999-06-30"]


# --- Dates far in the future -------------------------------------------------------------------


@pytest.mark.parametrize("date", FAR_DATES)
def test_api1_grant_with_a_far_expiry_is_400(w, api, date):
    response = api(w.owner).post(
        "/api/v1/delegations/grants/",
        {"email": "care@example.org", "tenants": [w.tenant.number], "scope": "read", "expires_on": date},
        format="json",
    )
    body = assert_error_shape(response, 400)
    assert body["code"] == "expiry_too_far"
    assert "expires_on" in body["fields"]
    assert not CaretakerGrant.objects.exists()


@pytest.mark.parametrize("date", FAR_DATES)
def test_api1_accept_with_a_far_expiry_is_400(w, api, date):
    grant = requested(w)
    body = assert_error_shape(
        api(w.owner).post(f"/api/v1/delegations/{grant.pk}/accept/", {"expires_on": date}, format="json"),
        400,
    )
    assert body["code"] == "expiry_too_far"
    grant.refresh_from_db()
    assert grant.status == "pending"


@pytest.mark.parametrize("date", FAR_DATES)
def test_api1_extend_to_a_far_date_is_400(w, api, date):
    grant = accepted_request(w, expires_on=timezone.localdate() + datetime.timedelta(days=10))
    before = grant.expires_at
    body = assert_error_shape(
        api(w.owner).post(f"/api/v1/delegations/{grant.pk}/extend/", {"expires_on": date}, format="json"), 400
    )
    assert body["code"] == "expiry_too_far"
    grant.refresh_from_db()
    assert grant.expires_at == before


@pytest.mark.parametrize("date", ["9999-12-31", "3000-01-01"])
def test_ui1_html_date_forms_answer_a_form_error_not_500(w, client, date):
    client.force_login(w.owner)
    grant = requested(w)
    accept = client.post(f"/delegations/{grant.pk}/action/accept/", {"expires_on": date})
    assert accept.status_code in (200, 302, 400)
    grant.refresh_from_db()
    assert grant.status == "pending"
    form = client.post(
        "/delegations/grant/",
        {"email": "care@example.org", "tenants": [w.tenant2.pk], "scope": "read", "expires_on": date},
    )
    assert form.status_code in (200, 400)
    assert not CaretakerGrant.objects.filter(caretaker_email="care@example.org").exists()
    active = grant_row(
        tenant=w.tenant2, caretaker=w.tech, expires_at=timezone.now() + datetime.timedelta(days=5)
    )
    extend = client.post(f"/delegations/{active.pk}/extend/", {"expires_on": date})
    assert extend.status_code in (200, 302, 400)
    active.refresh_from_db()
    assert active.expires_at < timezone.now() + datetime.timedelta(days=6)


def test_del4_repeated_one_click_extensions_stop_at_the_five_year_maximum(w, api):
    near_limit = timezone.localdate() + datetime.timedelta(days=5 * 365 - 20)
    grant = accepted_request(w, expires_on=near_limit)
    client = api(w.owner)
    codes = []
    for _ in range(5):
        response = client.post(f"/api/v1/delegations/{grant.pk}/extend/", {}, format="json")
        codes.append(response.status_code)
        if response.status_code != 200:
            assert assert_error_shape(response)["code"] == "expiry_too_far"
    grant.refresh_from_db()
    assert 400 in codes
    assert grant.expires_at - timezone.now() <= MAX_EXPIRY
    # The service refuses it too, whoever calls it (HTML one-click link, admin).
    with pytest.raises(RuleViolation):
        for _ in range(3):
            delegation_services.extend_caretaker_access(actor=w.owner, grant=grant)


@pytest.fixture
def deployed(db):
    from accounts.tests.factories import AccountFactory, PartnerAccountFactory

    demo_catalogue()
    partner = PartnerAccountFactory()
    customer = AccountFactory()
    tenant = resold_tenant(customer, partner)
    sales, tech = member(partner, "sales"), member(partner, "tech")
    domain = tenant_services.add_domain(
        actor=sales, tenant=tenant, name="shop.example", service_types=["archive"]
    )
    tenant_services.deploy_tenant(actor=tech, tenant=tenant)
    return sales, tenant, domain.services.get(service_type__code="archive")


@pytest.mark.parametrize("date", FAR_DATES)
def test_ten7_service_end_date_far_in_the_future_is_refused(deployed, api, date):
    sales, tenant, service = deployed
    body = assert_error_shape(
        api(sales).post(
            f"/api/v1/services/{service.pk}/end/", {"end_date": date, "confirm": True}, format="json"
        ),
        400,
    )
    assert body["code"] == "end_date_too_far"
    assert "end_date" in body["fields"]
    service.refresh_from_db()
    assert service.status == "deployed"


@pytest.mark.parametrize("date", ["9999-12-31", "3000-01-01"])
def test_ten7_html_service_end_far_date_is_a_form_error(deployed, client, date):
    sales, tenant, service = deployed
    client.force_login(sales)
    response = client.post(
        f"/tenants/{tenant.number}/domains/{service.domain_id}/end/",
        {"service": service.pk, "end_date": date, "confirm": "on"},
    )
    assert response.status_code in (200, 400)
    service.refresh_from_db()
    assert service.status == "deployed"


# --- Request bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000,
        "[" * 5000 + "]" * 5000,
        '{"a":' * 5000 + "1" + "}" * 5000,
        json.dumps({"name": "x", "deep": json.loads("[" * 200 + "]" * 200)}),
    ],
    ids=["unclosed", "deep-list", "deep-object", "deep-200"],
)
@pytest.mark.parametrize(
    "url", ["/api/v1/tenants/", "/api/v1/delegations/grants/", "/api/v1/managed-accounts/"]
)
def test_api1_deeply_nested_json_is_400(w, api, body, url):
    response = api(w.owner).generic("POST", url, body, content_type="application/json")
    assert_error_shape(response, 400)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/accounts/{account}/members/{email}/",
        "/api/v1/accounts/{account}/members/",
        "/api/v1/accounts/{account}/",
        "/api/v1/tenants/{tenant}/",
        "/api/v1/delegations/grants/",
        "/api/v1/managed-accounts/",
        "/api/v1/auth/token/",
    ],
)
@pytest.mark.parametrize("body", ['{"roles": ["member"]}', "not json at all", "[" * 5000])
def test_api1_options_with_a_body_is_never_500(w, api, url, body):
    url = url.format(account=w.customer.number, email=w.admin.email, tenant=w.tenant.number)
    response = api(w.owner).generic("OPTIONS", url, body, content_type="application/json")
    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        assert_error_shape(response)


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
@pytest.mark.parametrize("with_key", [False, True])
def test_api1_oversized_bodies_answer_413_in_the_error_shape(w, api, settings, content_type, with_key):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    payload = (
        json.dumps({"name": "x" * 20_000}) if content_type == "application/json" else "name=" + "x" * 20_000
    )
    extra = {"HTTP_IDEMPOTENCY_KEY": "big-1"} if with_key else {}
    response = api(w.owner).generic("POST", "/api/v1/tenants/", payload, content_type=content_type, **extra)
    body = assert_error_shape(response, 413)
    assert body["code"] == "request_too_large"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here/",
        "/api/v1/tenants/T-000001/nonsense/",
        "/api/v2/tenants/",
        "/api/",
        "/api/v1/delegations/abc/accept/",
    ],
)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_api1_unknown_api_routes_answer_404_json(w, api, path, method):
    response = getattr(api(w.owner), method)(path)
    assert_error_shape(response, 404)


def test_api1_unknown_api_routes_answer_json_also_without_log_in(client):
    assert_error_shape(client.get("/api/v1/nothing-here/"), 404)


def test_api1_unexpected_errors_answer_500_in_the_error_shape(w, api, monkeypatch):
    from accounts.api import views

    def boom(*args, **kwargs):
        raise RuntimeError("secret-internal-detail")

    monkeypatch.setattr(views.MeView, "get", boom)
    client = api(w.owner)
    client.raise_request_exception = False
    body = assert_error_shape(client.get("/api/v1/me/"), 500)
    assert body["code"] == "server_error"
    assert "secret-internal-detail" not in body["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tenants/%00/",
        "/api/v1/tenants/T-1%00/domains/",
        "/api/v1/tenants/?search=%00",
        "/api/v1/tenants/?customer=K%00",
        "/api/v1/accounts/K%00/",
        "/api/v1/delegations/?status=%00",
        "/api/v1/service-types/?q=%00",
        "/tenants/?q=%00",
        "/audit/?tenant=T%00",
    ],
)
def test_api1_nul_bytes_in_paths_and_queries_are_refused_not_500(w, api, path):
    client = api(w.owner)
    client.raise_request_exception = False
    response = client.get(path)
    assert response.status_code in (400, 404), (response.status_code, response.content[:300])
    if path.startswith("/api/"):
        assert_error_shape(response)


def test_api1_nul_bytes_in_json_strings_are_400(w, api):
    response = api(w.owner).post(
        "/api/v1/managed-accounts/", {"customer_number": "K-1\u0000", "scope": "read"}, format="json"
    )
    assert_error_shape(response, 400)


# --- Control characters in names (mail headers) --------------------------------------------------


@pytest.mark.parametrize("name", ["Evil\r\nBcc: x@evil.example", "Evil\nGmbH", "Evil\rGmbH", "Tab\x0bGmbH"])
def test_acc1_names_with_control_characters_are_refused(w, api, name):
    response = api(w.owner).patch(f"/api/v1/accounts/{w.customer.number}/", {"name": name}, format="json")
    body = assert_error_shape(response, 400)
    assert "name" in body["fields"]
    assert Account.objects.get(pk=w.customer.pk).name == "Kunde GmbH"
    tenant = api(w.owner).post("/api/v1/tenants/", {"name": name}, format="json")
    assert_error_shape(tenant, 400)
    invite = api(w.owner).post(
        f"/api/v1/accounts/{w.customer.number}/members/",
        {"email": "new@example.org", "roles": ["member"], "name": name},
        format="json",
    )
    assert_error_shape(invite, 400)


@pytest.mark.parametrize("name", ["Evil\r\nBcc: x@evil.example", "Evil\nGmbH"])
def test_acc2_mails_survive_names_with_line_breaks_from_old_data(w, name, django_capture_on_commit_callbacks):
    """Rows written before the check (or by a data import) still never break a mail header."""
    Account.objects.filter(pk=w.customer.pk).update(name=name)
    w.customer.refresh_from_db()
    from accounts import services as account_services

    with django_capture_on_commit_callbacks(execute=True):
        account_services.invite_member(
            actor=w.owner, account=w.customer, email="new@example.org", roles=["member"]
        )
        delegation_services.grant_caretaker_access(
            actor=w.owner, tenants=[w.tenant], email="care@example.org", scope="read"
        )
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        message.message()  # renders the headers: BadHeaderError here would crash the mail task
        assert "\n" not in message.subject and "\r" not in message.subject


# --- Ordering by what the caller may not see --------------------------------------------------------


@pytest.fixture
def priced_catalogue(db):
    # Position order a, b, c; price order c < a < b.
    ServiceTypeFactory(code="zz-a", name="Zeta A", monthly_price="50.00", position=101)
    ServiceTypeFactory(code="zz-b", name="Zeta B", monthly_price="90.00", position=102)
    ServiceTypeFactory(code="zz-c", name="Zeta C", monthly_price="10.00", position=103)


def _codes(response):
    assert response.status_code == 200, response.content
    rows = response.json()["results"] if isinstance(response.json(), dict) else response.json()
    return [row["code"] for row in rows if row["code"].startswith("zz-")]


@pytest.mark.parametrize(
    "ordering", ["monthly_price", "-monthly_price", "monthly_price,code", "-monthly_price,name"]
)
def test_del3_ordering_the_catalogue_by_price_reveals_nothing_without_prices(
    w, api, priced_catalogue, ordering
):
    caretaker = grant_row(
        tenant=w.tenant, caretaker=member(w.partner, "support", email="care@agentur.example")
    ).caretaker
    for viewer in (caretaker, w.tech, w.support, w.outsider):
        client = api(viewer)
        plain = _codes(client.get("/api/v1/service-types/", {"q": "zz-"}))
        ordered = _codes(client.get("/api/v1/service-types/", {"q": "zz-", "ordering": ordering}))
        assert "monthly_price" not in client.get("/api/v1/service-types/").json()["results"][0]
        assert ordered == plain == ["zz-a", "zz-b", "zz-c"], (viewer.email, ordered)
    # Those who see prices may sort by them.
    priced = _codes(api(w.owner).get("/api/v1/service-types/", {"q": "zz-", "ordering": "monthly_price"}))
    assert priced == ["zz-c", "zz-a", "zz-b"]
