"""REST API plumbing (API-1): one error body shape for every status, token log-in, the active account chosen
with ``X-Account`` (ACC-2)."""

from __future__ import annotations

import pytest

from accounts.tests.factories import AccountFactory, UserFactory, member
from tenants.models import Tenant
from tenants.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


def assert_error_body(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}, body
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["fields"], dict)
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def owner_client(client):
    account = AccountFactory()
    owner = member(account, "owner")
    client.force_login(owner)
    client.account = account
    client.user = owner
    return client


# --- error bodies ---------------------------------------------------------------------------------


def test_api1_400_validation_error_names_the_fields(owner_client):
    body = assert_error_body(
        owner_client.post("/api/v1/tenants/", {"environment": "moon"}, content_type="application/json"),
        400,
        "invalid",
    )
    assert set(body["fields"]) == {"name", "environment"}
    assert all(isinstance(messages, list) and messages for messages in body["fields"].values())
    assert not Tenant.objects.exists()


def test_api1_400_domain_rule_keeps_its_code_and_fields(owner_client):
    body = assert_error_body(
        owner_client.post(
            "/api/v1/tenants/", {"name": "T", "environment": "staging"}, content_type="application/json"
        ),
        400,
        "environment_mismatch",
    )
    assert "environment" in body["fields"]


def test_api1_401_without_credentials(client):
    response = client.get("/api/v1/me/")
    assert_error_body(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Token")
    assert_error_body(
        client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token nonsense"), 401, "authentication_failed"
    )


def test_api1_403_seen_but_refused(client):
    account = AccountFactory()
    client.force_login(member(account, "member"))
    body = assert_error_body(
        client.post(
            f"/api/v1/accounts/{account.number}/members/",
            {"email": "x@example.org", "roles": ["member"]},
            content_type="application/json",
        ),
        403,
        "not_permitted",
    )
    assert body["fields"] == {}


def test_api1_404_unseen_and_unknown_look_the_same(owner_client):
    hidden = TenantFactory()  # another account's tenant
    unseen = assert_error_body(owner_client.get(f"/api/v1/tenants/{hidden.number}/"), 404, "not_found")
    unknown = assert_error_body(owner_client.get("/api/v1/tenants/T-999999/"), 404, "not_found")
    assert unseen == unknown


def test_api1_405_method_not_allowed(owner_client):
    tenant = TenantFactory(account=owner_client.account)
    assert_error_body(owner_client.delete(f"/api/v1/tenants/{tenant.number}/"), 405, "method_not_allowed")
    assert Tenant.objects.filter(pk=tenant.pk).exists()


def test_api1_409_state_conflict(owner_client):
    colleague = member(owner_client.account, "member")
    assert_error_body(
        owner_client.post(
            f"/api/v1/accounts/{owner_client.account.number}/members/",
            {"email": colleague.email, "roles": ["billing"]},
            content_type="application/json",
        ),
        409,
        "already_member",
    )


# --- token log-in ---------------------------------------------------------------------------------


def test_api1_token_login_and_use(client):
    account = AccountFactory()
    user = member(account, "owner", email="owner@shop.example")
    response = client.post(
        "/api/v1/auth/token/",
        {"email": "Owner@Shop.Example", "password": "secret-pass-123"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    again = client.post(
        "/api/v1/auth/token/",
        {"email": "owner@shop.example", "password": "secret-pass-123"},
        content_type="application/json",
    )
    # Issue 10: every log-in is a token of its own (django-rest-knox), each expiring and revocable.
    assert again.json()["token"] != token and again.json()["expiry"]
    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200
    assert me.json()["user"]["email"] == user.email
    assert me.json()["active_account"]["number"] == account.number
    assert [m["roles"] for m in me.json()["memberships"]] == [["owner"]]


def test_api1_token_login_refuses_wrong_credentials(client):
    member(AccountFactory(), "owner", email="owner@shop.example")
    assert_error_body(
        client.post(
            "/api/v1/auth/token/",
            {"email": "owner@shop.example", "password": "wrong"},
            content_type="application/json",
        ),
        400,
        "invalid_credentials",
    )
    body = assert_error_body(
        client.post("/api/v1/auth/token/", {"email": "not-an-email"}, content_type="application/json"),
        400,
        "invalid",
    )
    assert set(body["fields"]) == {"email", "password"}
    inactive = UserFactory(email="gone@shop.example", is_active=False)
    inactive.set_password("secret-pass-123")
    inactive.save()
    assert_error_body(
        client.post(
            "/api/v1/auth/token/",
            {"email": "gone@shop.example", "password": "secret-pass-123"},
            content_type="application/json",
        ),
        400,
        "invalid_credentials",
    )


# --- X-Account ------------------------------------------------------------------------------------


@pytest.fixture
def two_account_user(client):
    first = AccountFactory(name="Alpha GmbH")
    second = AccountFactory(name="Beta GmbH")
    user = member(first, "owner")
    member(second, "admin", user=user)
    client.force_login(user)
    return client, first, second


def test_acc2_x_account_selects_the_active_account(two_account_user):
    client, first, second = two_account_user
    assert client.get("/api/v1/me/").json()["active_account"]["number"] == first.number
    chosen = client.get("/api/v1/me/", HTTP_X_ACCOUNT=second.number)
    assert chosen.json()["active_account"]["number"] == second.number
    assert client.get("/api/v1/me/", {"account": second.number}).json()["active_account"]["number"] == (
        second.number
    )
    # The active account is where a tenant is created when none is named.
    created = client.post(
        "/api/v1/tenants/",
        {"name": "Beta Shop"},
        content_type="application/json",
        HTTP_X_ACCOUNT=second.number,
    )
    assert created.status_code == 201, created.content
    assert Tenant.objects.get(number=created.json()["number"]).account == second


def test_acc2_x_account_of_a_foreign_account_is_refused(two_account_user):
    client, _first, _second = two_account_user
    foreign = AccountFactory()
    body = assert_error_body(client.get("/api/v1/me/", HTTP_X_ACCOUNT=foreign.number), 403)
    assert foreign.number in body["detail"]
    assert_error_body(
        client.post(
            "/api/v1/tenants/", {"name": "X"}, content_type="application/json", HTTP_X_ACCOUNT=foreign.number
        ),
        403,
    )
    assert not Tenant.objects.exists()


def test_api1_token_login_lockout_says_so(client, settings):
    """With django-axes on, the token endpoint answers 429 'locked_out' — not 'wrong password' (regression)."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    member(AccountFactory(), "owner", email="owner@shop.example")

    def attempt(password):
        return client.post(
            "/api/v1/auth/token/",
            {"email": "owner@shop.example", "password": password},
            content_type="application/json",
        )

    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert_error_body(attempt("wrong"), 400, "invalid_credentials")
    locked = assert_error_body(attempt("wrong"), 429, "locked_out")
    assert locked["detail"]
    refused = attempt("secret-pass-123")  # locked: the right password does not help now
    assert_error_body(refused, 429, "locked_out")
    assert int(refused["Retry-After"]) > 0


def test_acc2_x_account_from_a_user_without_memberships_is_refused(client):
    """Regression: a user without any membership had a foreign X-Account silently ignored."""
    client.force_login(UserFactory())
    account = AccountFactory()
    assert_error_body(client.get("/api/v1/me/", HTTP_X_ACCOUNT=account.number), 403)
    assert client.get("/api/v1/me/").json()["active_account"] is None


# --- members through the API: the rights ceiling and the last owner (ACC-2, ACC-3) --------------------


@pytest.fixture
def admin_client(client):
    account = AccountFactory()
    owner, admin, plain = member(account, "owner"), member(account, "admin"), member(account, "member")
    client.force_login(admin)
    return client, account, owner, plain


def _members_url(account, email=""):
    return f"/api/v1/accounts/{account.number}/members/" + (f"{email}/" if email else "")


def test_acc3_api_invite_beyond_the_ceiling_is_400(admin_client):
    client, account, _owner, _plain = admin_client
    body = assert_error_body(
        client.post(
            _members_url(account),
            {"email": "boss@example.org", "roles": ["owner"]},
            content_type="application/json",
        ),
        400,
        "rights_ceiling",
    )
    assert "roles" in body["fields"]
    created = client.post(
        _members_url(account),
        {"email": "Tech@Example.org", "roles": ["technical"]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["email"] == "tech@example.org"
    assert created.json()["roles"] == ["technical"]


def test_acc3_api_role_change_and_removal(admin_client):
    client, account, owner, plain = admin_client
    changed = client.put(
        _members_url(account, plain.email), {"roles": ["billing"]}, content_type="application/json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["roles"] == ["billing"]
    assert_error_body(
        client.put(_members_url(account, plain.email), {"roles": ["owner"]}, content_type="application/json"),
        400,
        "rights_ceiling",
    )
    assert_error_body(client.delete(_members_url(account, owner.email)), 400, "rights_ceiling")
    assert_error_body(client.delete(_members_url(account, "nobody@example.org")), 404, "not_found")
    assert client.delete(_members_url(account, plain.email)).status_code == 204
    assert not account.memberships.filter(user=plain).exists()
    # The last owner cannot leave.
    client.force_login(owner)
    assert_error_body(client.delete(_members_url(account, owner.email)), 409, "last_owner")
    assert account.memberships.filter(user=owner, role="owner").exists()
