"""Two-factor authentication (issue 10 §1): TOTP with recovery codes (django-otp), required for vendor staff and
partner users (PORTAL_2FA_REQUIRED_KINDS), optional for customers; the code after the password; enrolment
before anything else; API tokens only with the code; reset by a vendor admin, audited; the demo users' codes."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from accounts.tests.factories import AccountFactory, PartnerAccountFactory, VendorAccountFactory, member
from portal.models import AuditEvent

from .conftest import assert_error_shape

pytestmark = [pytest.mark.django_db, pytest.mark.two_factor]
PASSWORD = "secret-pass-123"
KEY = "3132333435363738393031323334353637383930"


def code_for(device, offset=0) -> str:
    device.refresh_from_db()
    return twofactor.next_code(device) if offset == 0 else _at(device, offset)


def _at(device, offset):
    import time

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset * device.step
    return f"{totp.token():06d}"


def login(client, email):
    return client.post("/login/", {"username": email, "password": PASSWORD, "next": "/tenants/"})


@pytest.fixture
def partner_user():
    return member(PartnerAccountFactory(), "tech", email="tech@agentur.example")


@pytest.fixture
def customer():
    return member(AccountFactory(), "owner", email="owner@shop.example")


def enrolled(user):
    return TOTPDevice.objects.create(user=user, name="Phone", key=KEY, confirmed=True)


GATED = ["/", "/tenants/", "/profile/", "/delegations/", "/audit/", "/accounts/"]


def test_acc2_partner_without_device_is_sent_to_enrolment_before_anything_else(partner_user):
    client = Client()
    response = login(client, partner_user.email)
    assert response.status_code == 302 and response["Location"].startswith("/2fa/setup/")
    for path in GATED:
        assert client.get(path)["Location"].startswith("/2fa/setup/"), path
    assert_error_shape(client.get("/api/v1/me/"), 403)
    page = client.get("/2fa/setup/")
    assert page.status_code == 200 and b"<svg" in page.content
    secret = page.context["secret"].replace(" ", "")
    device = TOTPDevice.objects.get(user=partner_user, confirmed=False)
    assert secret and device.config_url.count(secret) == 1
    wrong = client.post("/2fa/setup/", {"code": "000000"})
    assert (
        wrong.status_code == 400 and not TOTPDevice.objects.filter(user=partner_user, confirmed=True).exists()
    )
    done = client.post("/2fa/setup/", {"code": code_for(device), "next": "/tenants/"})
    assert done.status_code == 200 and len(done.context["codes"]) == 10
    assert client.get("/tenants/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    assert AuditEvent.objects.filter(action="two_factor.enabled", actor=partner_user).exists()


def test_acc2_log_in_asks_for_the_code_after_the_password(partner_user):
    device = enrolled(partner_user)
    client = Client()
    response = login(client, partner_user.email)
    assert response["Location"].startswith("/login/verify/")
    for path in GATED:
        assert client.get(path)["Location"].startswith("/login/verify/"), path
    assert_error_shape(client.get("/api/v1/tenants/"), 403)
    assert client.post("/login/verify/", {"code": "123456", "next": "/tenants/"}).status_code == 400
    device.refresh_from_db()
    device.throttle_reset()  # django-otp's back-off after a wrong code has passed
    ok = client.post("/login/verify/", {"code": code_for(device), "next": "/tenants/"})
    assert ok.status_code == 302 and ok["Location"] == "/tenants/"
    assert client.get("/tenants/").status_code == 200


def test_acc2_a_code_works_once(partner_user):
    device = enrolled(partner_user)
    first = Client()
    login(first, partner_user.email)
    code = code_for(device)
    assert first.post("/login/verify/", {"code": code}).status_code == 302
    second = Client()
    login(second, partner_user.email)
    assert second.post("/login/verify/", {"code": code}).status_code == 400


def test_acc2_foreign_next_is_ignored_after_the_code(partner_user):
    device = enrolled(partner_user)
    client = Client()
    login(client, partner_user.email)
    response = client.post("/login/verify/", {"code": code_for(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_acc2_recovery_codes_log_in_once_each(partner_user):
    client = Client()
    login(client, partner_user.email)
    client.get("/2fa/setup/")
    device = TOTPDevice.objects.get(user=partner_user)
    codes = client.post("/2fa/setup/", {"code": code_for(device)}).context["codes"]
    for attempt in range(2):
        browser = Client()
        login(browser, partner_user.email)
        response = browser.post("/login/verify/", {"code": codes[0]})
        assert response.status_code == (302 if attempt == 0 else 400)
    assert twofactor.recovery_codes_left(partner_user) == 9


def test_acc2_guessing_codes_is_throttled(partner_user, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = (
        60  # back-off in minutes, not seconds: a slow machine cannot outwait it
    )
    device = enrolled(partner_user)
    client = Client()
    login(client, partner_user.email)
    for _ in range(3):
        client.post("/login/verify/", {"code": "000000"})
    # django-otp's back-off: right after a failure even the right code is refused for a while (doubling).
    assert client.post("/login/verify/", {"code": code_for(device)}).status_code == 400
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1 and device.throttling_failure_timestamp is not None
    device.throttle_reset()
    assert client.post("/login/verify/", {"code": code_for(device)}).status_code == 302


@pytest.mark.parametrize("kind", ["vendor", "partner"])
def test_acc2_required_for_vendor_staff_and_partner_users(kind):
    account = (VendorAccountFactory if kind == "vendor" else PartnerAccountFactory)()
    user = member(account, "support")
    assert twofactor.is_required(user)
    assert login(Client(), user.email)["Location"].startswith("/2fa/setup/")


def test_acc2_required_for_admin_staff(django_user_model):
    admin = django_user_model.objects.create_superuser(email="root@vendor.example", password=PASSWORD)
    client = Client()
    assert login(client, admin.email)["Location"].startswith("/2fa/setup/")
    assert client.get("/admin/")["Location"].startswith("/2fa/setup/")


def test_acc2_optional_for_customers_but_asked_once_enrolled(customer):
    client = Client()
    assert login(client, customer.email)["Location"] == "/tenants/"
    assert client.get("/tenants/").status_code == 200
    client.get("/2fa/setup/")
    device = TOTPDevice.objects.get(user=customer)
    client.post("/2fa/setup/", {"code": code_for(device)})
    again = Client()
    assert login(again, customer.email)["Location"].startswith("/login/verify/")
    assert again.get("/tenants/")["Location"].startswith("/login/verify/")
    again.post("/login/verify/", {"code": code_for(device, offset=1)})
    assert again.get("/tenants/").status_code == 200
    assert again.post("/2fa/disable/").status_code == 302
    assert not twofactor.has_device(customer)


def test_acc2_partner_cannot_turn_it_off(partner_user):
    device = enrolled(partner_user)
    client = Client()
    login(client, partner_user.email)
    client.post("/login/verify/", {"code": code_for(device)})
    client.post("/2fa/disable/")
    assert twofactor.has_device(partner_user)


@pytest.mark.parametrize(
    ("kinds", "required"), [(["partner"], False), ([], False), (["vendor", "partner"], True)]
)
def test_acc2_requirement_is_a_setting_per_account_kind(settings, kinds, required):
    settings.PORTAL_2FA_REQUIRED_KINDS = kinds
    vendor_support = member(VendorAccountFactory(), "support")
    assert twofactor.is_required(vendor_support) is required


# --- API tokens ------------------------------------------------------------------------------------------------


def token(client, email, otp=None):
    body = {"email": email, "password": PASSWORD}
    if otp is not None:
        body["otp"] = otp
    return client.post("/api/v1/auth/token/", body, content_type="application/json")


def test_api1_token_needs_the_second_factor_where_required(partner_user, customer):
    client = Client()
    assert assert_error_shape(token(client, partner_user.email), 403)["code"] == "two_factor_setup_required"
    device = enrolled(partner_user)
    assert assert_error_shape(token(client, partner_user.email), 400)["code"] == "two_factor_required"
    assert (
        assert_error_shape(token(client, partner_user.email, "000000"), 400)["code"] == "two_factor_invalid"
    )
    device.refresh_from_db()
    device.throttle_reset()
    code = code_for(device)
    assert token(client, partner_user.email, code).status_code == 200
    assert token(client, partner_user.email, code).status_code == 400  # the same code again
    assert token(client, customer.email).status_code == 200  # optional and not enrolled: no code


def test_api1_token_for_an_enrolled_customer_needs_the_code(customer):
    enrolled(customer)
    assert assert_error_shape(token(Client(), customer.email), 400)["code"] == "two_factor_required"


# --- Reset by a vendor admin ---------------------------------------------------------------------------------


def test_acc2_vendor_admin_resets_a_lost_second_factor(partner_user):
    from accounts.tokens import issue_api_token

    vendor = VendorAccountFactory()
    admin, support = member(vendor, "admin"), member(vendor, "support")
    device = enrolled(partner_user)
    session = Client()
    login(session, partner_user.email)
    session.post("/login/verify/", {"code": code_for(device)})
    _row, raw = issue_api_token(user=partner_user)
    with pytest.raises(twofactor.NotPermitted):
        twofactor.reset_two_factor(actor=support, user=partner_user)
    with pytest.raises(twofactor.NotPermitted):
        twofactor.reset_two_factor(actor=partner_user, user=partner_user)
    twofactor.reset_two_factor(actor=admin, user=partner_user, reason="phone lost")
    assert not twofactor.has_device(partner_user)
    assert session.get("/tenants/").status_code == 302 and "/login/" in session.get("/tenants/")["Location"]
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {raw}").status_code == 401
    event = AuditEvent.objects.get(action="two_factor.reset")
    assert (event.actor, event.changes["user"], event.changes["reason"]) == (
        admin,
        partner_user.email,
        "phone lost",
    )
    assert login(Client(), partner_user.email)["Location"].startswith("/2fa/setup/")


def test_ui2_admin_action_resets_two_factor(partner_user):
    vendor = VendorAccountFactory()
    admin = member(vendor, "admin", email="root@vendor.example")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    enrolled(partner_user)
    enrolled(admin)
    client = Client()
    login(client, admin.email)
    client.post("/login/verify/", {"code": code_for(TOTPDevice.objects.get(user=admin))})
    response = client.post(
        "/admin/accounts/user/", {"action": "reset_two_factor", "_selected_action": [partner_user.pk]}
    )
    assert response.status_code == 302
    assert not twofactor.has_device(partner_user)
    assert AuditEvent.objects.filter(action="two_factor.reset", actor=admin).exists()


# --- Demo ----------------------------------------------------------------------------------------------------------


def test_acc2_demo_users_get_the_demo_authenticator_and_demo_otp_prints_its_code(settings):
    from portal.demo import seed_demo

    seed_demo()
    tech = TOTPDevice.objects.get(user__email="tech@partner.example")
    assert tech.key == twofactor.DEMO_TOTP_KEY
    assert TOTPDevice.objects.filter(user__email="admin@vendor.example").exists()
    assert not TOTPDevice.objects.filter(user__email="owner@shop.example").exists()
    settings.DEBUG = True
    out = io.StringIO()
    call_command("demo_otp", "Tech@Partner.example", stdout=out)
    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    client = Client()
    client.post("/login/", {"username": "tech@partner.example", "password": "demo"})
    assert client.post("/login/verify/", {"code": code}).status_code == 302
    with pytest.raises(CommandError):
        call_command("demo_otp", "owner@shop.example", stdout=io.StringIO())
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_otp", "tech@partner.example", stdout=io.StringIO())
