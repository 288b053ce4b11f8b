"""API tokens (issue 10 §1): they expire (configurable), can be revoked one by one (API and profile page), and
all of a user's tokens end on a password change, a password reset and "log out everywhere" — which ends every
session too. Only a digest is stored."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts import tokens
from accounts.models import ApiToken, User
from accounts.tests.factories import AccountFactory, member

from .conftest import assert_error_shape

pytestmark = pytest.mark.django_db
PASSWORD = "secret-pass-123"


@pytest.fixture
def owner():
    return member(AccountFactory(), "owner", email="owner@shop.example")


def issue(client, email="owner@shop.example", password=PASSWORD, **extra):
    return client.post(
        "/api/v1/auth/token/",
        {"email": email, "password": password, **extra},
        content_type="application/json",
    )


def me(client, token):
    return client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")


def test_api1_token_is_stored_only_as_a_digest_and_expires(owner, client, settings):
    response = issue(client)
    assert response.status_code == 200
    body = response.json()
    assert body["token"].startswith("pp_") and body["expiry"]
    row = ApiToken.objects.get(user=owner)
    assert body["token"] not in (row.digest, row.token_key) and body["token"].startswith(row.token_key)
    assert me(client, body["token"]).status_code == 200
    ApiToken.objects.filter(pk=row.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    assert_error_shape(me(client, body["token"]), 401)


def test_api1_token_lifetime_is_configurable(owner, client, settings):
    from knox.settings import knox_settings

    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(hours=2)}
    try:
        row, _raw = tokens.issue_api_token(user=owner)
        assert timedelta(minutes=119) < row.expiry - timezone.now() <= timedelta(hours=2)
    finally:
        knox_settings.reload()


def test_api1_revoke_one_token_over_the_api(owner, client):
    first, second = issue(client).json(), issue(client).json()
    listed = client.get("/api/v1/auth/tokens/", HTTP_AUTHORIZATION=f"Token {first['token']}").json()
    assert {row["token_key"] for row in listed} == {first["token_key"], second["token_key"]}
    assert all("token" not in row and "digest" not in row for row in listed)
    assert [row["current"] for row in listed if row["token_key"] == first["token_key"]] == [True]
    revoked = client.delete(
        f"/api/v1/auth/tokens/{second['token_key']}/", HTTP_AUTHORIZATION=f"Token {first['token']}"
    )
    assert revoked.status_code == 204
    assert_error_shape(me(client, second["token"]), 401)
    assert me(client, first["token"]).status_code == 200


def test_api1_nobody_revokes_anyone_elses_token(owner, client):
    other = member(AccountFactory(), "owner")
    theirs, _raw = tokens.issue_api_token(user=other)
    mine = issue(client).json()
    response = client.delete(
        f"/api/v1/auth/tokens/{theirs.token_key}/", HTTP_AUTHORIZATION=f"Token {mine['token']}"
    )
    assert_error_shape(response, 404)
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_api1_logout_revokes_the_current_token(owner, client):
    token = issue(client).json()["token"]
    assert client.post("/api/v1/auth/logout/", HTTP_AUTHORIZATION=f"Token {token}").json() == {"revoked": 1}
    assert_error_shape(me(client, token), 401)


def test_api1_password_reset_ends_every_token(owner, client):
    token = issue(client).json()["token"]
    Client().post("/password-reset/", {"email": "owner@shop.example"})
    link = re.search(r"https?://[^/\s]+(/reset/\S+/)", mail.outbox[0].body).group(1)
    web = Client()
    form = web.get(link, follow=True)
    web.post(
        form.redirect_chain[-1][0], {"new_password1": "N3w-secret-pass!", "new_password2": "N3w-secret-pass!"}
    )
    assert User.objects.get(pk=owner.pk).check_password("N3w-secret-pass!")
    assert_error_shape(me(client, token), 401)
    assert not ApiToken.objects.filter(user=owner).exists()


@pytest.mark.parametrize("how", ["set_password", "admin"])
def test_api1_password_change_ends_every_token(owner, client, how, django_user_model):
    token = issue(client).json()["token"]
    if how == "set_password":
        owner.set_password("An0ther-pass!")
        owner.save()
    else:
        admin = django_user_model.objects.create_superuser(email="root@vendor.example", password="x")
        web = Client()
        web.force_login(admin)
        web.post(
            f"/admin/accounts/user/{owner.pk}/password/",
            {"password1": "An0ther-pass!", "password2": "An0ther-pass!", "usable_password": "true"},
        )
    assert User.objects.get(pk=owner.pk).check_password("An0ther-pass!")
    assert_error_shape(me(client, token), 401)


def test_api1_saving_other_fields_keeps_the_tokens(owner, client):
    token = issue(client).json()["token"]
    owner.name = "Olga"
    owner.save()
    assert me(client, token).status_code == 200


def test_api1_log_out_everywhere_ends_tokens_and_sessions(owner, client):
    token = issue(client).json()["token"]
    browser_one, browser_two = Client(), Client()
    browser_one.force_login(owner)
    browser_two.force_login(owner)
    assert browser_two.get("/profile/").status_code == 200
    response = browser_one.post("/profile/logout-everywhere/")
    assert response.status_code == 302
    assert_error_shape(me(client, token), 401)
    assert browser_two.get("/profile/").status_code == 302  # the other session is gone too
    assert browser_one.get("/profile/").status_code == 302


def test_api1_log_out_everywhere_over_the_api(owner, client):
    token, other = issue(client).json()["token"], issue(client).json()["token"]
    web = Client()
    web.force_login(owner)
    assert client.post("/api/v1/auth/logout-all/", HTTP_AUTHORIZATION=f"Token {token}").json() == {
        "revoked": 2
    }
    assert_error_shape(me(client, other), 401)
    assert web.get("/profile/").status_code == 302


def test_ui1_profile_lists_creates_and_revokes_tokens(owner):
    web = Client()
    web.force_login(owner)
    created = web.post("/profile/tokens/")
    raw = re.search(r"(pp_[A-Za-z0-9]+)", created.content.decode()).group(1)
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {raw}").status_code == 200
    row = ApiToken.objects.get(user=owner)
    page = web.get("/profile/").content.decode()
    assert row.token_key in page and raw not in page  # shown once only
    assert web.post(f"/profile/tokens/{row.token_key}/revoke/").status_code == 302
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {raw}").status_code == 401
    assert (
        web.post(f"/profile/tokens/{row.token_key}/revoke/", follow=True).status_code == 200
    )  # gone: a message
