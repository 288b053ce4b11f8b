"""LIC-12 GDPR erasure: pseudonyms for the account and its sole members, log-ins stop, the trail keeps the
erasure without the erased data, typed confirmation, vendor admins only; UI, API and admin action."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from accounts import erasure, services
from accounts.models import Account, User
from accounts.tests.factories import AccountFactory, VendorAccountFactory, member
from portal.errors import NotPermitted, RuleViolation
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    vendor = VendorAccountFactory()
    vendor_admin = member(vendor, "admin", email="va@vendor.example")
    vendor_support = member(vendor, "support", email="vs@vendor.example")
    account = AccountFactory(
        name="Müller Bäckerei GmbH",
        contact_email="info@mueller-baeckerei.example",
        street="Hauptstr. 1",
        postal_code="12345",
        city="Neustadt",
    )
    sole = member(account, "owner", email="anna@mueller-baeckerei.example", name="Anna Müller")
    shared = member(account, "admin", email="bert@agentur.example", name="Bert Berater")
    other = AccountFactory()
    member(other, "member", user=shared)
    services.update_account(actor=sole, account=account, street="Hauptstr. 2")
    return vendor_admin, vendor_support, account, sole, shared


def test_lic12_erase_pseudonymises_account_and_sole_members(world, client):
    vendor_admin, _support, account, sole, shared = world
    client.force_login(sole)
    assert client.get("/").status_code == 200
    counts = erasure.erase_account(actor=vendor_admin, account=account, confirmation=account.number)
    assert counts["members_erased"] == 1 and counts["members_kept"] == 1
    account.refresh_from_db()
    assert account.name == f"Gelöschtes Konto {account.number}"
    assert account.contact_email.endswith("@erased.invalid")
    assert (account.street, account.postal_code, account.city) == ("", "", "")
    assert account.anonymized_at is not None
    sole.refresh_from_db()
    assert sole.email == f"erased-user-{sole.pk}@erased.invalid" and sole.name == ""
    assert not sole.is_active and not sole.has_usable_password()
    # The session ended (security stamp changed) and the log-in stops.
    assert client.get("/").status_code == 302
    assert not client.login(username="anna@mueller-baeckerei.example", password="secret-pass-123")
    shared.refresh_from_db()
    assert shared.email == "bert@agentur.example" and shared.is_active
    # The trail: no erased string anywhere, one erasure event without the data.
    blob = json.dumps(
        list(AuditEvent.objects.values("target_repr", "changes")), ensure_ascii=False, default=str
    )
    for secret in ("Müller Bäckerei", "info@mueller-baeckerei", "anna@mueller", "Anna Müller", "Hauptstr"):
        assert secret not in blob
    event = AuditEvent.objects.get(action="account.erased")
    assert event.actor == vendor_admin and event.account_id == account.pk
    assert set(event.changes) == {"members_erased", "members_kept", "audit_events_scrubbed"}


def test_lic12_refusals(world):
    vendor_admin, vendor_support, account, sole, _shared = world
    with pytest.raises(RuleViolation) as exc:
        erasure.erase_account(actor=vendor_admin, account=account, confirmation="K-0")
    assert exc.value.code == "confirmation_mismatch"
    with pytest.raises(NotPermitted):
        erasure.erase_account(actor=vendor_support, account=account, confirmation=account.number)
    with pytest.raises(NotPermitted):
        erasure.erase_account(actor=sole, account=account, confirmation=account.number)
    assert Account.objects.get(pk=account.pk).anonymized_at is None
    erasure.erase_account(actor=vendor_admin, account=account, confirmation=account.number.lower())
    with pytest.raises(RuleViolation) as exc:
        erasure.erase_account(actor=vendor_admin, account=account, confirmation=account.number)
    assert exc.value.code == "already_erased"


def test_lic12_page_asks_for_the_number_and_says_irreversible(world, client):
    vendor_admin, vendor_support, account, sole, _shared = world
    client.force_login(vendor_admin)
    url = f"/accounts/{account.number}/erase/"
    page = client.get(url)
    assert page.status_code == 200 and "rückgängig" in page.content.decode()
    response = client.post(url, {"confirmation": "falsch"})
    assert response.status_code == 200
    assert Account.objects.get(pk=account.pk).anonymized_at is None
    response = client.post(url, {"confirmation": account.number})
    assert response.status_code == 302
    assert Account.objects.get(pk=account.pk).anonymized_at is not None
    client.force_login(vendor_support)
    assert client.get(url).status_code == 403


def test_lic12_api_and_unseen_account(world, client):
    vendor_admin, _support, account, sole, _shared = world
    client.force_login(sole)
    response = client.post(
        f"/api/v1/accounts/{account.number}/erase/",
        {"confirmation": account.number},
        content_type="application/json",
    )
    assert response.status_code == 403
    stranger = member(AccountFactory(), "owner")
    client.force_login(stranger)
    response = client.post(
        f"/api/v1/accounts/{account.number}/erase/",
        {"confirmation": account.number},
        content_type="application/json",
    )
    assert response.status_code == 404
    client.force_login(vendor_admin)
    response = client.post(
        f"/api/v1/accounts/{account.number}/erase/", {"confirmation": "nope"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "confirmation_mismatch"
    response = client.post(
        f"/api/v1/accounts/{account.number}/erase/",
        {"confirmation": account.number},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["members_erased"] == 1
    assert User.objects.get(pk=sole.pk).is_active is False


def test_lic12_admin_action_erases_only_typed_accounts(world, client):
    vendor_admin, _support, account, _sole, _shared = world
    vendor_admin.is_staff = vendor_admin.is_superuser = True
    vendor_admin.save()
    second = AccountFactory()
    client.force_login(vendor_admin)
    url = "/admin/accounts/account/"
    page = client.post(url, {"action": "erase_personal_data", ACTION_CHECKBOX_NAME: [account.pk, second.pk]})
    assert page.status_code == 200 and account.number in page.content.decode()
    client.post(
        url,
        {
            "action": "erase_personal_data",
            ACTION_CHECKBOX_NAME: [account.pk, second.pk],
            "erase_confirmed": "1",
            f"confirm_{account.pk}": account.number,
            f"confirm_{second.pk}": "",
        },
    )
    assert Account.objects.get(pk=account.pk).anonymized_at is not None
    assert Account.objects.get(pk=second.pk).anonymized_at is None
