"""Demo accounts and log-ins (SPEC §7)."""

from __future__ import annotations

from portal import access
from portal.demo import DEMO_PASSWORD
from portal.numbers import reserve_at_least

from . import services
from .models import Account, User

ACCOUNTS = {
    # key: (number, name, kind, purpose, contact e-mail, leading key, reseller key)
    "vendor": ("K-100000", "Portal Vendor AG", "vendor", "production", "info@vendor.example", None, None),
    "partner": ("K-100002", "Agentur Nord", "partner", "production", "kontakt@partner.example", None, None),
    "reseller": ("K-100003", "Lizenz Handel", "partner", "production", "info@reseller.example", None, None),
    "shop": ("K-100001", "Shop GmbH", "customer", "production", "owner@shop.example", None, "partner"),
    "shop_staging": ("", "Shop GmbH (Staging)", "customer", "staging", "staging@shop.example", "shop", None),
    "bakery": (
        "K-100004",
        "Bäckerei Sonnenschein",
        "customer",
        "production",
        "info@baeckerei.example",
        None,
        "partner",
    ),
    "bikes": (
        "K-100005",
        "Radhaus Meyer KG",
        "customer",
        "production",
        "service@radhaus.example",
        None,
        "partner",
    ),
    "other": ("K-100006", "Fremdfirma GmbH", "customer", "production", "it@fremdfirma.example", None, None),
}

USERS = {
    # e-mail: (name, account key, roles, superuser)
    "admin@vendor.example": ("Vera Vendor", "vendor", ["admin"], True),
    "support@vendor.example": ("Sam Support", "vendor", ["support"], False),
    "sales@partner.example": ("Sina Sales", "partner", ["admin", "sales"], False),
    "tech@partner.example": ("Tom Tech", "partner", ["tech"], False),
    "owner@shop.example": ("Olga Owner", "shop", ["owner"], False),
    "admin@reseller.example": ("Rita Reseller", "reseller", ["admin", "sales"], False),
    "it@fremdfirma.example": ("Fritz Fremd", "other", ["owner"], False),
}


def _user(email: str, name: str, superuser: bool) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        factory = User.objects.create_superuser if superuser else User.objects.create_user
        user = factory(email=email, password=DEMO_PASSWORD, name=name)
    return user


def seed(world: dict) -> None:
    accounts: dict[str, Account] = {}
    for key, (number, name, kind, purpose, email, leading, reseller) in ACCOUNTS.items():
        lookup = {"number": number} if number else {"contact_email": email, "number": ""}
        account = Account.objects.filter(**lookup).first()
        if account is None:
            account = services.create_account(
                actor=access.SYSTEM,
                name=name,
                kind=kind,
                purpose=purpose,
                contact_email=email,
                leading_account=accounts.get(leading),
                number=number,
                reseller=accounts.get(reseller),
                street="Hafenstraße 1" if kind == "customer" else "",
                postal_code="20457" if kind == "customer" else "",
                city="Hamburg" if kind == "customer" else "",
            )
        accounts[key] = account
    reserve_at_least("account", 100010)
    users = {}
    for email, (name, key, roles, superuser) in USERS.items():
        user = _user(email, name, superuser)
        services.add_membership(account=accounts[key], user=user, roles=roles)
        users[email] = user
    # The shop owner also owns the staging account of the same company (case D).
    services.add_membership(
        account=accounts["shop_staging"], user=users["owner@shop.example"], roles=["owner"]
    )
    _demo_authenticators(users)
    world["accounts"] = accounts
    world["users"] = users


def _demo_authenticators(users: dict) -> None:
    """Issue 10: vendor staff and partner users must log in with a second factor. The demo users share one
    known authenticator key (RFC 6238's test key, demo data only); ``manage.py demo_otp EMAIL`` prints the
    current code (refused when DEBUG is off)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from . import twofactor

    for user in users.values():
        if twofactor.is_required(User.objects.get(pk=user.pk)) and not twofactor.has_device(user):
            TOTPDevice.objects.create(
                user=user, name="Demo authenticator", key=twofactor.DEMO_TOTP_KEY, confirmed=True
            )
