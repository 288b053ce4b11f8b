"""Throttles per requester and per target (issue 10 §1): password resets, invitations (member invitations and a
partner's new customer), management and caretaker requests. One limiter (portal.ratelimit) with one rate table;
a refusal is 429 whose ``Retry-After`` equals the wait the message names, and nothing is stored."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from accounts import services as account_services
from accounts.models import Account, User
from accounts.tests.factories import AccountFactory, member
from delegations.models import CaretakerGrant, ManagedAccount
from portal.errors import RateLimited

from .conftest import assert_error_shape

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "password_reset_target": "2/hour",
            "password_reset_client": "4/hour",
            "invitation_user": "3/hour",
            "invitation_target": "2/hour",
            "management_request_user": "3/hour",
            "management_request_account": "50/hour",
            "management_request_target": "2/day",
            "delegation_request_user": "2/hour",
        },
    }
    return settings


def _minutes(detail: str) -> int:
    match = re.search(r"(\d+) (minute|Minute)", detail)
    assert match, detail
    return int(match.group(1))


def _assert_wait_matches(response, detail: str) -> None:
    assert int(response["Retry-After"]) == _minutes(detail) * 60


# --- Password reset ---------------------------------------------------------------------------------------


def reset(client, email, address="192.0.2.1"):
    return client.post("/password-reset/", {"email": email}, REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize("email", ["owner@shop.example", "nobody@shop.example"], ids=["known", "unknown"])
def test_ui1_password_reset_is_limited_per_address_typed(rates, client, email):
    member(AccountFactory(), "owner", email="owner@shop.example")
    for n in range(2):
        assert reset(client, email.upper() if n else email, address=f"192.0.2.{n}").status_code == 302
    refused = reset(client, f" {email} ", address="192.0.2.99")  # another client, the same target
    assert refused.status_code == 429
    detail = [str(m) for m in refused.context["messages"]][0]
    _assert_wait_matches(refused, detail)
    assert len(mail.outbox) == (2 if email.startswith("owner") else 0)


def test_ui1_password_reset_is_limited_per_client_address(rates, client):
    for n in range(4):
        assert reset(client, f"someone{n}@shop.example").status_code == 302
    assert reset(client, "fresh@shop.example").status_code == 429
    assert reset(client, "fresh@shop.example", address="198.51.100.1").status_code == 302  # another client


def test_ui1_password_reset_refusal_looks_the_same_for_known_and_unknown_addresses(rates):
    member(AccountFactory(), "owner", email="owner@shop.example")
    answers = []
    for email in ("owner@shop.example", "nobody@shop.example"):
        client = Client()
        for _ in range(2):
            reset(client, email, address="203.0.113.5" if email[0] == "o" else "203.0.113.6")
        refused = reset(client, email, address="203.0.113.7" if email[0] == "o" else "203.0.113.8")
        answers.append(
            (refused.status_code, refused["Retry-After"], [str(m) for m in refused.context["messages"]])
        )
    assert answers[0] == answers[1]


# --- Invitations ------------------------------------------------------------------------------------------


def test_acc2_invitations_are_limited_per_inviting_user(rates, api):
    account = AccountFactory()
    owner = member(account, "owner")
    client = api(owner)
    url = f"/api/v1/accounts/{account.number}/members/"
    for n in range(3):
        assert client.post(
            url, {"email": f"new{n}@example.org", "roles": ["member"]}, format="json"
        ).status_code in (
            201,
            202,
        )
    refused = client.post(url, {"email": "new9@example.org", "roles": ["member"]}, format="json")
    body = assert_error_shape(refused, 429)
    assert body["code"] == "rate_limited"
    _assert_wait_matches(refused, body["detail"])
    assert not User.objects.filter(email="new9@example.org").exists()


def test_acc2_invitations_are_limited_per_invited_address(rates):
    """Several accounts cannot flood one address with invitations either."""
    target = "victim@example.org"
    for n in range(3):
        account = AccountFactory()
        owner = member(account, "owner")

        def call():
            return account_services.invite_member(
                actor=owner, account=account, email=target, roles=["member"]
            )  # noqa: E731

        if n < 2:
            call()
            if n == 0:  # the user exists now; the next invitation goes to an existing user
                assert User.objects.filter(email=target).exists()
        else:
            with pytest.raises(RateLimited) as caught:
                call()
            assert caught.value.retry_after == _minutes(str(caught.value.detail)) * 60


def test_ten7_new_customer_invitations_are_limited_per_contact_address(rates):
    from accounts.tests.factories import PartnerAccountFactory

    partner = PartnerAccountFactory()
    sales = member(partner, "sales")
    for n in range(2):
        account_services.create_customer_for_partner(
            actor=sales, partner=partner, name=f"Kunde {n}", contact_email="Contact@Example.org"
        )
    before = Account.objects.count()
    with pytest.raises(RateLimited):
        account_services.create_customer_for_partner(
            actor=sales, partner=partner, name="Kunde 3", contact_email="contact@example.org"
        )
    assert Account.objects.count() == before  # nothing stored


def test_acc2_html_invitation_refusal_is_429_with_retry_after(rates, client):
    account = AccountFactory()
    owner = member(account, "owner")
    client.force_login(owner)
    for n in range(3):
        client.post(
            f"/accounts/{account.number}/members/invite/", {"email": f"x{n}@example.org", "roles": ["member"]}
        )
    response = client.post(
        f"/accounts/{account.number}/members/invite/",
        {"email": "x9@example.org", "roles": ["member"]},
        follow=True,
    )
    assert "Too many invitations" in response.content.decode() or "Zu viele" in response.content.decode()
    assert not User.objects.filter(email="x9@example.org").exists()


# --- Management and caretaker requests --------------------------------------------------------------------


def test_acc4_management_requests_are_limited_per_user_and_per_number(rates, w, api):
    client = api(w.sales)
    url = "/api/v1/managed-accounts/"
    assert client.post(url, {"customer_number": "K-1", "scope": "read"}, format="json").status_code == 202
    assert client.post(url, {"customer_number": "K-2", "scope": "read"}, format="json").status_code == 202
    assert client.post(url, {"customer_number": "K-3", "scope": "read"}, format="json").status_code == 202
    refused = client.post(url, {"customer_number": "K-4", "scope": "read"}, format="json")
    body = assert_error_shape(refused, 429)
    _assert_wait_matches(refused, body["detail"])
    assert not ManagedAccount.objects.filter(customer_number="K-4").exists()
    # Per target: a customer number is asked at most twice a day, whoever asks.
    from accounts.tests.factories import PartnerAccountFactory

    for n in range(3):
        other = member(PartnerAccountFactory(), "admin", "sales")
        response = api(other).post(
            url, {"customer_number": w.customer.number, "scope": "read"}, format="json"
        )
        assert response.status_code == (202 if n < 2 else 429)


def test_del1_caretaker_request_refusal_names_the_same_wait_as_retry_after(rates, w, api):
    client = api(w.tech)
    for number in ("T-1", "T-2"):
        client.post(
            "/api/v1/delegations/requests/", {"tenant_number": number, "scope": "read"}, format="json"
        )
    refused = client.post(
        "/api/v1/delegations/requests/", {"tenant_number": "T-3", "scope": "read"}, format="json"
    )
    body = assert_error_shape(refused, 429)
    _assert_wait_matches(refused, body["detail"])
    assert CaretakerGrant.objects.count() == 2


def test_del1_html_caretaker_request_refusal_sends_retry_after(rates, w, client):
    client.force_login(w.tech)
    for number in ("T-1", "T-2"):
        client.post(
            "/delegations/request/", {"tenant_number": number, "scope": "read"}, HTTP_ACCEPT_LANGUAGE="en"
        )
    refused = client.post(
        "/delegations/request/", {"tenant_number": "T-3", "scope": "read"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 429
    _assert_wait_matches(refused, refused.content.decode())


def test_api1_rates_come_from_one_table(settings):
    assert set(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) >= {
        "delegation_request_user",
        "delegation_request_account",
        "management_request_user",
        "management_request_account",
        "management_request_target",
        "invitation_user",
        "invitation_target",
        "password_reset_target",
        "password_reset_client",
    }
    from portal import ratelimit

    for scope in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]:
        ratelimit.rate_for(scope)  # every rate parses
