"""Log-in lock-out (issue 10 §1): failures count per normalised e-mail — case and surrounding blanks make no
new user — on the HTML log-in and the token endpoint together, and per client address taken from the
trusted-proxy setting (X-Forwarded-For is ignored without it, and cannot be spoofed past the proxy)."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from accounts.tests.factories import AccountFactory, member

pytestmark = pytest.mark.django_db
PASSWORD = "secret-pass-123"
VARIANTS = [
    "techcare@shop.example",
    "TechCare@shop.example",
    " techcare@shop.example ",
    "TECHCARE@SHOP.EXAMPLE\t",
]


@pytest.fixture
def lockout(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    member(AccountFactory(), "owner", email="techcare@shop.example")
    return settings


def html_login(client, email, password, **extra):
    return client.post("/login/", {"username": email, "password": password}, **extra)


def token_login(client, email, password, **extra):
    extra.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
    return client.post(
        "/api/v1/auth/token/",
        {"email": email, "password": password},
        content_type="application/json",
        **extra,
    )


def html_locked(response) -> bool:
    return "registration/locked_out.html" in [t.name for t in response.templates]


def token_locked(response) -> bool:
    return response.status_code == 429 and response.json()["code"] == "locked_out"


@pytest.mark.parametrize("order", [VARIANTS, list(reversed(VARIANTS))])
def test_acc2_html_lockout_counts_case_and_blank_variants_as_one_user(lockout, client, order):
    for email in order[:3]:
        response = html_login(client, email, "wrong")
    assert html_locked(response)
    for email in VARIANTS:  # every spelling is locked now, also with the right password
        assert html_locked(html_login(client, email, PASSWORD))
    assert "_auth_user_id" not in client.session


def test_acc2_token_lockout_counts_case_and_blank_variants_as_one_user(lockout, client):
    for email in VARIANTS[:2]:
        assert token_login(client, email, "wrong").status_code == 400
    assert token_locked(token_login(client, VARIANTS[2], "wrong"))
    for email in VARIANTS:
        assert token_locked(token_login(client, email, PASSWORD))


def test_acc2_html_and_token_failures_share_one_count(lockout, client):
    html_login(client, "TechCare@shop.example", "wrong")
    token_login(client, "techcare@SHOP.example", "wrong")
    assert html_locked(html_login(client, " techcare@shop.example", "wrong"))
    assert token_locked(token_login(client, "techcare@shop.example", PASSWORD))


def test_acc2_lockout_message_and_retry_after_name_the_same_wait(lockout, client):
    for _ in range(3):
        response = token_login(client, "techcare@shop.example", "wrong")
    body = response.json()
    minutes = int(response["Retry-After"]) // 60
    assert int(response["Retry-After"]) == minutes * 60
    assert f"{minutes} minute" in body["detail"]


# --- Client address behind proxies ---------------------------------------------------------------------


def test_acc2_without_proxy_setting_forwarded_for_is_ignored(lockout, client):
    """An attacker cannot evade the lock-out by sending a new X-Forwarded-For with every guess."""
    for n in range(3):
        response = html_login(
            client, "techcare@shop.example", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        )
    assert html_locked(response)
    assert html_locked(
        html_login(client, "techcare@shop.example", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99")
    )


@pytest.mark.parametrize(
    "proxy_setting", [{"PROXY_COUNT": 1}, {"TRUSTED_PROXIES": ["10.0.0.0/8"]}], ids=["count", "trusted"]
)
def test_acc2_behind_the_proxy_one_client_cannot_lock_out_the_others(lockout, proxy_setting):
    for key, value in proxy_setting.items():
        setattr(lockout, key, value)
    via_proxy = {"REMOTE_ADDR": "10.0.0.5"}
    attacker, victim = Client(), Client()
    for _ in range(3):
        response = html_login(
            attacker, "techcare@shop.example", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.66", **via_proxy
        )
    assert html_locked(response)
    # The real user comes through the same proxy from another address and still gets in.
    ok = html_login(
        victim, "techcare@shop.example", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7", **via_proxy
    )
    assert ok.status_code == 302
    # The attacker cannot slip past by prepending a forged address: the proxy appends the real one.
    forged = html_login(
        attacker,
        "techcare@shop.example",
        PASSWORD,
        HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.66",
        **via_proxy,
    )
    assert html_locked(forged)


def test_acc2_trusted_proxies_ignore_headers_from_elsewhere(lockout):
    lockout.TRUSTED_PROXIES = ["10.0.0.0/8"]
    direct = {"REMOTE_ADDR": "192.0.2.10"}  # not our proxy: its X-Forwarded-For is the client's own claim
    client = Client()
    for n in range(3):
        response = html_login(
            client, "techcare@shop.example", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}", **direct
        )
    assert html_locked(response)


@pytest.mark.parametrize(
    ("settings_", "remote", "forwarded", "expected"),
    [
        ({}, "192.0.2.1", "", "192.0.2.1"),
        ({}, "192.0.2.1", "203.0.113.9", "192.0.2.1"),
        ({"PROXY_COUNT": 1}, "10.0.0.1", "203.0.113.9", "203.0.113.9"),
        ({"PROXY_COUNT": 1}, "10.0.0.1", "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        ({"PROXY_COUNT": 2}, "10.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        ({"PROXY_COUNT": 2}, "10.0.0.1", "203.0.113.9", "10.0.0.1"),  # shorter chain: the peer
        ({"PROXY_COUNT": 1}, "10.0.0.1", "garbage, 203.0.113.9:4431", "203.0.113.9"),
        ({"TRUSTED_PROXIES": ["10.0.0.0/8"]}, "10.0.0.1", "6.6.6.6, 203.0.113.9, 10.1.1.1", "203.0.113.9"),
        ({"TRUSTED_PROXIES": ["10.0.0.0/8"]}, "192.0.2.1", "203.0.113.9", "192.0.2.1"),
        (
            {"TRUSTED_PROXIES": ["10.0.0.1", "2001:db8::/32"]},
            "2001:db8::5",
            "2001:db8:ffff::1, 198.51.100.1",
            "198.51.100.1",
        ),
    ],
)
def test_acc2_client_address_rules(settings, settings_, remote, forwarded, expected):
    from portal.clientip import client_ip

    settings.TRUSTED_PROXIES, settings.PROXY_COUNT = [], 0
    for key, value in settings_.items():
        setattr(settings, key, value)
    extra = {"REMOTE_ADDR": remote}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(RequestFactory().get("/", **extra)) == expected
