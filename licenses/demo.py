"""Demo licences (SPEC §7, issue 11): a catalogue of two product groups, the vendor's own sales unit as a
reseller, "Lizenz Handel" (admin@reseller.example) authorized for both groups with two customers, licences of
every kind and status, a subscription due for renewal, a swapped pair, a licence Agentur Nord holds as hoster
for one of Shop GmbH's tenants (LIC-4, seed 000 case B), and a customer admin and user for the seat flow.

Idempotent: the catalogue and authorizations are looked up by natural key; the licences are created only
while Lizenz Handel has issued none."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts import services as account_services
from accounts.models import Account, User
from portal import access
from portal.demo import DEMO_PASSWORD

from . import services
from .models import License, Price, Product, ProductGroup, ResellerAuthorization, ResellerPrice

GROUPS = {
    # code: (name, kinds, demo min/default/max, terms, nfr term, activation limit, moves per 30 days)
    "office": (
        "Büro-Software",
        ["full", "demo", "subscription", "nfr"],
        (7, 14, 60),
        ["monthly", "annual"],
        "annual",
        10,
        3,
    ),
    "server": ("Server-Lizenzen", ["full", "subscription", "nfr"], (7, 30, 30), ["annual"], "monthly", 2, 1),
}
PRODUCTS = [
    # article, name, code, features, groups, nfr code, monthly price, annual price
    ("BS-100", "Büro Suite Standard", "BSSTD", ["texte", "tabellen"], ["office"], False, "12.90", "129.00"),
    (
        "BS-200",
        "Büro Suite Professional",
        "BSPRO",
        ["texte", "tabellen", "praesentation", "cloud"],
        ["office"],
        False,
        "19.90",
        "199.00",
    ),
    ("SV-100", "Mail-Server", "MAILSRV", ["smtp", "imap", "archiv"], ["server"], False, None, "480.00"),
    ("NFR-ALL", "NFR-Komplettpaket", "NFRALL", [], ["office", "server"], True, None, "0.00"),
]
CUSTOMERS = [
    # contact e-mail, name, city
    ("info@kanzlei-weber.example", "Kanzlei Weber", "Lübeck"),
    ("praxis@lange.example", "Praxis Dr. Lange", "Kiel"),
]
USERS = [
    # e-mail, name, customer contact, roles
    ("admin@kanzlei.example", "Karla Kanzlei", "info@kanzlei-weber.example", ["admin"]),
    ("user@kanzlei.example", "Uwe Nutzer", "info@kanzlei-weber.example", ["member"]),
]


def _catalogue() -> tuple[dict, dict]:
    groups = {}
    for code, (name, kinds, (dmin, ddef, dmax), terms, nfr_term, limit, moves) in GROUPS.items():
        groups[code], _created = ProductGroup.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "allowed_kinds": kinds,
                "demo_days_min": dmin,
                "demo_days_default": ddef,
                "demo_days_max": dmax,
                "terms": terms,
                "nfr_term": nfr_term,
                "activation_limit": limit,
                "moves_per_30_days": moves,
            },
        )
    products = {}
    for article, name, code, features, group_codes, nfr, monthly, annual in PRODUCTS:
        product, created = Product.objects.get_or_create(
            article_number=article,
            defaults={"name": name, "product_code": code, "features": features, "is_nfr_code": nfr},
        )
        if created:
            product.groups.set([groups[c] for c in group_codes])
        for term, amount in (("monthly", monthly), ("annual", annual)):
            if amount is not None:
                Price.objects.get_or_create(product=product, term=term, defaults={"amount": Decimal(amount)})
        products[article] = product
    return groups, products


def _authorize(reseller: Account, group: ProductGroup, kinds, max_demo_days, terms):
    if not ResellerAuthorization.objects.filter(reseller=reseller, group=group).exists():
        services.authorize_reseller(
            actor=access.SYSTEM,
            reseller=reseller,
            group=group,
            kinds=kinds,
            max_demo_days=max_demo_days,
            terms=terms,
        )


def _account(email: str, name: str, city: str, reseller: Account) -> Account:
    account = Account.objects.filter(contact_email=email, reseller=reseller).first()
    if account is None:
        account = account_services.create_account(
            actor=access.SYSTEM,
            name=name,
            contact_email=email,
            reseller=reseller,
            street="Marktstraße 5",
            postal_code="23552",
            city=city,
        )
    return account


def seed(world: dict) -> None:
    accounts, users, tenants = world["accounts"], world["users"], world["tenants"]
    groups, products = _catalogue()
    reseller, partner, vendor = accounts["reseller"], accounts["partner"], accounts["vendor"]

    # The vendor's own sales unit is a reseller account (LIC-2).
    sales_unit = _account("vertrieb@vendor.example", "Portal Vendor Vertrieb", "Hamburg", vendor)
    if sales_unit.kind != "partner":
        Account.objects.filter(pk=sales_unit.pk).update(kind="partner")
        sales_unit.refresh_from_db()
    _authorize(
        sales_unit, groups["office"], ["full", "demo", "subscription", "nfr"], 60, ["monthly", "annual"]
    )
    _authorize(sales_unit, groups["server"], ["full", "subscription", "nfr"], 30, ["annual"])
    _authorize(reseller, groups["office"], ["full", "demo", "subscription", "nfr"], 30, ["monthly", "annual"])
    _authorize(reseller, groups["server"], ["full", "subscription"], 30, ["annual"])
    _authorize(partner, groups["server"], ["full", "subscription"], 30, ["annual"])  # Agentur Nord hosts
    ResellerPrice.objects.get_or_create(
        reseller=reseller, product=products["BS-200"], term="monthly", defaults={"amount": Decimal("15.90")}
    )

    customers = {email: _account(email, name, city, reseller) for email, name, city in CUSTOMERS}
    for email, name, contact, roles in USERS:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD, name=name)
        account_services.add_membership(account=customers[contact], user=user, roles=roles)
        users[email] = user
    kanzlei, praxis = customers["info@kanzlei-weber.example"], customers["praxis@lange.example"]
    world["license_customers"] = customers
    world["sales_unit"] = sales_unit

    if License.objects.filter(issuer=reseller).exists():
        return
    system = access.SYSTEM
    today = timezone.localdate()

    def issue(holder, article, kind, issuer=reseller, **kwargs):
        return services.issue_license(
            actor=system, issuer=issuer, holder=holder, product=products[article], kind=kind, **kwargs
        )

    full = issue(kanzlei, "BS-200", "full", quantity=3, assigned_user=users["user@kanzlei.example"])
    services.activate_license(actor=system, license=full, fingerprint="KANZLEI-PC-01")
    issue(kanzlei, "BS-100", "demo", demo_days=14)
    issue(praxis, "BS-100", "demo", demo_days=14, issued_at=timezone.now() - dt.timedelta(days=20))
    # Due for renewal: its first month ended yesterday.
    due_start = today - dt.timedelta(days=32)
    issue(kanzlei, "BS-100", "subscription", term="monthly", started_on=due_start)
    cancelled = issue(
        praxis, "BS-200", "subscription", term="annual", started_on=today - dt.timedelta(days=100)
    )
    services.cancel_license(actor=system, license=cancelled)
    swapped = issue(
        praxis, "BS-100", "subscription", term="monthly", started_on=today - dt.timedelta(days=10)
    )
    services.swap_license(actor=system, license=swapped, product=products["BS-200"], term="monthly")
    refunded = issue(kanzlei, "BS-100", "subscription", term="annual")
    services.void_license(actor=system, license=refunded)
    revoked = issue(praxis, "BS-100", "subscription", term="monthly")
    services.void_license(actor=system, license=revoked)
    services.check_in(key=revoked.key, fingerprint="", nonce="demo")  # recalled at its check-in
    issue(reseller, "NFR-ALL", "nfr")
    issue(kanzlei, "SV-100", "subscription", term="annual")
    # LIC-4: Agentur Nord holds a mail-server licence as hoster for Shop GmbH's tenant T-000002.
    issue(partner, "SV-100", "full", issuer=partner, tenant=tenants["T-000002"])
    services.expire_due_licenses()  # the old demo
