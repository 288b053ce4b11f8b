"""Idempotency keys (API-2; issue 10 §3, issue 9): the fingerprint covers method, path, query string, acting
account and body; answers meant to be retried (401, 403, 409, 429, 5xx) are not stored; the user is the one
DRF's own authentication finds; and the record is written in the same transaction as the change it replays."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import OperationalError
from rest_framework.test import APIClient

from accounts.tests.factories import AccountFactory, member
from delegations.models import CaretakerGrant
from portal.middleware import IdempotencyMiddleware
from portal.models import IdempotencyRecord
from tenants.models import Tenant

from .conftest import assert_error_shape

pytestmark = pytest.mark.django_db
KEY = "issue-10-key-1"


@pytest.fixture
def two_accounts(api):
    first, second = AccountFactory(), AccountFactory()
    owner = member(first, "owner")
    member(second, "owner", user=owner)
    return owner, first, second


def test_api2_the_acting_account_is_part_of_the_fingerprint(two_accounts, api):
    owner, first, second = two_accounts
    created = api(owner, first).post(
        "/api/v1/tenants/", {"name": "Shop"}, format="json", HTTP_IDEMPOTENCY_KEY=KEY
    )
    assert created.status_code == 201
    other = api(owner, second).post(
        "/api/v1/tenants/", {"name": "Shop"}, format="json", HTTP_IDEMPOTENCY_KEY=KEY
    )
    body = assert_error_shape(other, 422)
    assert body["code"] == "idempotency_key_reused"
    assert "Idempotent-Replayed" not in other
    assert list(Tenant.objects.values_list("account_id", flat=True)) == [first.pk]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("/api/v1/tenants/?account={a}", "/api/v1/tenants/?account={b}"),
        ("/api/v1/tenants/?x=1", "/api/v1/tenants/?x=2"),
        ("/api/v1/tenants/", "/api/v1/tenants/?x=1"),
    ],
)
def test_api2_the_query_string_is_part_of_the_fingerprint(two_accounts, first, second):
    owner, account_a, account_b = two_accounts
    client = APIClient()
    client.force_login(owner)
    one = client.post(
        first.format(a=account_a.number, b=account_b.number),
        {"name": "Shop"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=KEY,
    )
    assert one.status_code == 201
    two = client.post(
        second.format(a=account_a.number, b=account_b.number),
        {"name": "Shop"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=KEY,
    )
    assert_error_shape(two, 422)
    assert Tenant.objects.count() == 1


def test_api2_method_and_path_are_part_of_the_fingerprint(w, api):
    client = api(w.owner)
    client.post("/api/v1/tenants/", {"name": "Shop"}, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    other_path = client.post(
        "/api/v1/delegations/grants/",
        {"email": "c@example.org", "tenants": [w.tenant.number], "scope": "read"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=KEY,
    )
    assert_error_shape(other_path, 422)
    assert not CaretakerGrant.objects.exists()


# --- Answers meant to be retried are not stored --------------------------------------------------------


def test_api2_a_429_is_not_replayed_after_the_wait(w, api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "delegation_request_user": "1/hour",
        },
    }
    client = api(w.tech)
    client.post("/api/v1/delegations/requests/", {"tenant_number": "T-1", "scope": "read"}, format="json")
    body = {"tenant_number": "T-2", "scope": "read"}
    limited = client.post("/api/v1/delegations/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert limited.status_code == 429
    assert not IdempotencyRecord.objects.filter(key=KEY).exists()
    from portal.models import RequestCounter

    RequestCounter.objects.all().delete()  # the window has passed
    retried = client.post("/api/v1/delegations/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert retried.status_code == 202 and "Idempotent-Replayed" not in retried
    again = client.post("/api/v1/delegations/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert again.status_code == 202 and again["Idempotent-Replayed"] == "true"


def test_api2_a_409_conflict_is_not_stored(w, api):
    from delegations.tests.factories import accepted_request

    grant = accepted_request(w)
    conflict = api(w.owner).post(
        f"/api/v1/delegations/{grant.pk}/accept/", {}, format="json", HTTP_IDEMPOTENCY_KEY=KEY
    )
    assert conflict.status_code == 409
    assert not IdempotencyRecord.objects.filter(key=KEY).exists()


@pytest.mark.parametrize("status", [500, 502, 503])
def test_api2_server_errors_are_not_stored_and_roll_back(w, api, monkeypatch, status):
    from rest_framework.response import Response

    from tenants.api import views

    original = views.TenantViewSet.create

    def failing(self, request, *args, **kwargs):
        original(self, request, *args, **kwargs)  # the change happens, then the answer is an error
        return Response({"code": "unavailable", "detail": "down", "fields": {}}, status=status)

    monkeypatch.setattr(views.TenantViewSet, "create", failing)
    response = api(w.owner).post(
        "/api/v1/tenants/", {"name": "Shop"}, format="json", HTTP_IDEMPOTENCY_KEY=KEY
    )
    assert response.status_code == status
    assert not IdempotencyRecord.objects.filter(key=KEY).exists()
    assert not Tenant.objects.filter(name="Shop").exists()  # rolled back with it
    monkeypatch.setattr(views.TenantViewSet, "create", original)
    retried = api(w.owner).post("/api/v1/tenants/", {"name": "Shop"}, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert retried.status_code == 201 and Tenant.objects.filter(name="Shop").count() == 1


def test_api2_refused_credentials_store_nothing(w, client):
    response = client.post(
        "/api/v1/tenants/",
        {"name": "Shop"},
        content_type="application/json",
        HTTP_AUTHORIZATION="Token nope",
        HTTP_IDEMPOTENCY_KEY=KEY,
    )
    assert response.status_code == 401
    assert not IdempotencyRecord.objects.exists()


def test_api2_session_without_csrf_is_refused_and_not_stored(w):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(w.owner)
    response = client.post("/api/v1/tenants/", {"name": "Shop"}, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert response.status_code == 403
    assert not IdempotencyRecord.objects.exists() and not Tenant.objects.filter(name="Shop").exists()


def test_api2_the_user_comes_from_drfs_authentication(w, monkeypatch):
    """The middleware asks the API's authentication classes — it never parses a token itself."""
    seen = []
    from rest_framework.authentication import SessionAuthentication

    original = SessionAuthentication.authenticate

    def spy(self, request):
        seen.append(type(self).__name__)
        return original(self, request)

    monkeypatch.setattr(SessionAuthentication, "authenticate", spy)
    client = APIClient()
    client.force_login(w.owner)
    client.post("/api/v1/tenants/", {"name": "Shop"}, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert len(seen) >= 2  # once for the key's owner, once for the view
    assert IdempotencyRecord.objects.get(key=KEY).user == w.owner


# --- Same transaction as the change (issue 9) -----------------------------------------------------------------


def test_api2_record_and_change_commit_together(w, api, monkeypatch, run_on_commit):
    """A failure while writing the record rolls the change back: the retry gets the original answer (201),
    the grant exists once and its mail goes out once."""
    calls = {"n": 0}
    original = IdempotencyMiddleware.storable

    def failing_once(self, response):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("connection lost while saving the record")
        return original(self, response)

    monkeypatch.setattr(IdempotencyMiddleware, "storable", failing_once)
    client = api(w.owner)
    client.raise_request_exception = False
    body = {"email": "care@example.org", "tenants": [w.tenant.number], "scope": "read"}
    with run_on_commit():
        failed = client.post("/api/v1/delegations/grants/", body, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert failed.status_code == 500
    assert not CaretakerGrant.objects.exists() and not IdempotencyRecord.objects.exists()
    assert mail.outbox == []
    with run_on_commit():
        retried = client.post("/api/v1/delegations/grants/", body, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
        replayed = client.post("/api/v1/delegations/grants/", body, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert retried.status_code == replayed.status_code == 201
    assert replayed["Idempotent-Replayed"] == "true" and replayed.content == retried.content
    assert CaretakerGrant.objects.count() == 1
    assert len(mail.outbox) == 1  # the after-commit job ran once, after the commit


@pytest.mark.django_db(transaction=True)
def test_api2_view_runs_inside_the_records_transaction(api, monkeypatch):
    """With real transactions (the test's own is not wrapped around the request), the view runs in one."""
    from delegations.tests.factories import make_world

    w = make_world()
    from django.db import connection

    from tenants.api import views

    original = views.TenantViewSet.create
    seen = {}

    def spy(self, request, *args, **kwargs):
        seen["atomic"] = connection.in_atomic_block
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(views.TenantViewSet, "create", spy)
    api(w.owner).post("/api/v1/tenants/", {"name": "Shop"}, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert seen["atomic"] is True
