"""The permission matrix (API-1, UI-1, ACC-2, ACC-3, TEN-1): every role of every account kind × {own account,
other account} × {view, change} on Account, Membership and Tenant, through the REST API and the HTML pages.

Expected outcomes are written out here by hand — not derived from portal.access — so the table is a second
opinion on the authority. Unseen objects answer 404, never 403; seen-but-refused answers 403 in the API, and
in HTML either the 403 page or an error message — and in every refused case nothing changed.
"""

from __future__ import annotations

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.db import transaction
from django.test import override_settings

from accounts.models import Account, Membership, User
from accounts.tests.factories import (
    AccountFactory,
    PartnerAccountFactory,
    UserFactory,
    VendorAccountFactory,
    member,
)
from tenants.models import Tenant
from tenants.tests.factories import TenantFactory

ALL = frozenset(
    {
        "account.view",
        "account.change",
        "membership.view",
        "membership.change",
        "tenant.view",
        "tenant.change",
        "tenant.add",
    }
)
VIEW = frozenset({"account.view", "membership.view", "tenant.view"})

# What each actor may do in its OWN account (the account it is a member of, and that account's tenant).
OWN = {
    "customer-owner": ALL,
    "customer-admin": ALL,
    "customer-billing": VIEW,
    "customer-technical": VIEW | {"tenant.change"},
    "customer-member": VIEW,
    "partner-admin": ALL,
    "partner-sales": VIEW | {"tenant.change"},
    "partner-support": VIEW,
    "partner-tech": VIEW | {"tenant.change"},
    "vendor-admin": {"account.view", "account.change", "membership.view", "membership.change"},
    "vendor-support": {"account.view", "membership.view"},
    "superuser": ALL,
}
# What each actor may do in ANOTHER, unrelated customer account; SEES_OTHER may at least see it.
OTHER = {"superuser": ALL, "vendor-admin": VIEW, "vendor-support": VIEW}
SEES_OTHER = {"superuser", "vendor-admin", "vendor-support"}

ACTORS = [*OWN, "outsider"]
INVITED_ROLE = {"customer": "member", "partner": "support", "vendor": "support"}

API_CHECKS = sorted(ALL)
HTML_CHECKS = ["account.view", "account.change", "membership.view", "membership.change", "tenant.view"]


def _cases():
    for actor in ACTORS:
        for side in ("own", "other"):
            if actor == "outsider" and side == "own":
                continue  # an outsider has no account
            for interface, checks in (("api", API_CHECKS), ("html", HTML_CHECKS)):
                for check in checks:
                    # Vendor and partner accounts hold no tenants (TEN-1: tenants belong to customer accounts;
                    # a partner reaches its customers' tenants as reseller or manager, tested elsewhere);
                    # the superuser's "own" account is the vendor's.
                    if (
                        side == "own"
                        and check.startswith("tenant.")
                        and actor.split("-")[0]
                        in (
                            "vendor",
                            "partner",
                            "superuser",
                        )
                    ):
                        continue
                    yield pytest.param(
                        actor, side, check, interface, id=f"{actor}/{side}/{check}/{interface}"
                    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once per module inside a transaction that is rolled back at the end. Each test runs in its own
    savepoint inside it (pytest-django's ``db``), so no test sees another test's writes."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                data = _build_world()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield data
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def _build_world():
    vendor = VendorAccountFactory(contact_email="info@vendor.example")
    partner = PartnerAccountFactory(contact_email="info@partner.example")
    customer = AccountFactory(contact_email="info@customer.example", city="Hamburg")
    other = AccountFactory(contact_email="info@other.example", city="Hamburg")
    for account in (vendor, partner, customer, other):
        member(
            account, "admin" if account.kind != "customer" else "owner", email=f"first@{account.pk}.example"
        )
    world = {
        "accounts": {"customer": customer, "partner": partner, "vendor": vendor, "other": other},
        "tenants": {
            "customer": TenantFactory(account=customer, name="Own customer tenant"),
            "other": TenantFactory(account=other, name="Other tenant"),
        },
    }
    world["actors"] = {actor: _make_actor(world, actor) for actor in ACTORS}
    return world


def _make_actor(world, actor: str) -> tuple[User, str | None]:
    """The acting user (exactly one role in one account) and the key of its own account."""
    if actor == "outsider":
        return UserFactory(), None
    if actor == "superuser":
        user = UserFactory(is_superuser=True, is_staff=True)
        return member(world["accounts"]["vendor"], "admin", user=user), "vendor"
    kind, role = actor.split("-")
    return member(world["accounts"][kind], role), kind


def _expected(actor: str, side: str, check: str) -> str:
    """ "allowed", "refused" (seen, not allowed) or "unseen"."""
    if side == "own":
        return "allowed" if check in OWN[actor] else "refused"
    if check in OTHER.get(actor, ()):
        return "allowed"
    return "refused" if actor in SEES_OTHER else "unseen"


def _error_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level == message_levels.ERROR]


@pytest.mark.parametrize(("actor", "side", "check", "interface"), list(_cases()))
def test_api1_ui1_permission_matrix(world, db, client, actor, side, check, interface):
    user, own_key = world["actors"][actor]
    key = own_key if side == "own" else "other"
    account: Account = world["accounts"][key]
    tenant: Tenant | None = world["tenants"].get(key)
    expected = _expected(actor, side, check)
    client.force_login(user)
    client.raise_request_exception = True
    obj, action = check.split(".")
    invited_role = INVITED_ROLE[account.kind]
    tenants_before = Tenant.objects.count()

    if interface == "api":
        if check == "account.view":
            response = client.get(f"/api/v1/accounts/{account.number}/")
        elif check == "account.change":
            response = client.patch(
                f"/api/v1/accounts/{account.number}/", {"city": "Kiel"}, content_type="application/json"
            )
        elif check == "membership.view":
            response = client.get(f"/api/v1/accounts/{account.number}/members/")
        elif check == "membership.change":
            response = client.post(
                f"/api/v1/accounts/{account.number}/members/",
                {"email": "invitee@example.org", "roles": [invited_role]},
                content_type="application/json",
            )
        elif check == "tenant.view":
            response = client.get(f"/api/v1/tenants/{tenant.number}/")
        elif check == "tenant.change":
            response = client.patch(
                f"/api/v1/tenants/{tenant.number}/", {"name": "Renamed"}, content_type="application/json"
            )
        else:  # tenant.add: a new tenant in the account
            response = client.post(
                "/api/v1/tenants/",
                {"name": "Added", "account": account.number},
                content_type="application/json",
            )
        success = 201 if check in ("membership.change", "tenant.add") else 200
        status = {"allowed": success, "refused": 403, "unseen": 404}[expected]
        assert response.status_code == status, response.content
        if expected != "allowed":
            body = response.json()
            assert set(body) == {"code", "detail", "fields"}
            assert body["code"] == ("not_found" if expected == "unseen" else body["code"])
        elif check == "membership.view":
            emails = {m["email"] for m in response.json()}
            assert f"first@{account.pk}.example" in emails
        elif check in ("account.view", "tenant.view"):
            assert response.json()["number"] == (account if obj == "account" else tenant).number
    else:
        if check == "account.view":
            response = client.get(f"/accounts/{account.number}/")
        elif check == "account.change":
            edit = client.get(f"/accounts/{account.number}/edit/")
            response = client.post(
                f"/accounts/{account.number}/edit/",
                {
                    "name": account.name,
                    "contact_email": account.contact_email,
                    "city": "Kiel",
                    "country": "DE",
                },
            )
            assert edit.status_code == {"allowed": 200, "refused": 403, "unseen": 404}[expected]
        elif check == "membership.view":
            response = client.get(f"/accounts/{account.number}/")
        elif check == "membership.change":
            response = client.post(
                f"/accounts/{account.number}/members/invite/",
                {"email": "invitee@example.org", "roles": [invited_role]},
            )
        else:  # tenant.view: the detail page and the list
            response = client.get(f"/tenants/{tenant.number}/")
            listing = client.get("/tenants/", {"q": tenant.number})
            assert listing.status_code == 200
            assert (tenant.name in listing.content.decode()) == (expected == "allowed")

        if expected == "unseen":
            assert response.status_code == 404
        elif check in ("account.view", "tenant.view"):
            assert response.status_code == (200 if expected == "allowed" else 403)
        elif check == "membership.view":
            assert response.status_code == 200
            assert (f"first@{account.pk}.example" in response.content.decode()) == (expected == "allowed")
        elif check == "account.change":
            assert response.status_code == (302 if expected == "allowed" else 403)
        else:  # membership.change: back to the account page, with a message
            assert response.status_code == 302
            assert response["Location"] == f"/accounts/{account.number}/"
            errors = _error_messages(response)
            assert bool(errors) == (expected == "refused"), errors

    # The write happened exactly when it was allowed; refused and unseen calls changed nothing.
    changed = {
        "account.change": lambda: Account.objects.get(pk=account.pk).city == "Kiel",
        "membership.change": lambda: Membership.objects.filter(
            account=account, user__email="invitee@example.org", role=invited_role
        ).exists(),
        "tenant.change": lambda: Tenant.objects.get(pk=tenant.pk).name == "Renamed",
        "tenant.add": lambda: Tenant.objects.count() == tenants_before + 1,
    }.get(check)
    if changed is not None:
        assert changed() == (expected == "allowed")
    if expected != "allowed":
        assert not User.objects.filter(email="invitee@example.org").exists()
