"""Demo support data (SPEC §7, issue 12), built through the services and idempotent. ``support@vendor.example``
can look up:

* ``owner@shop.example`` → Shop GmbH K-100001, **entitled** (support contract, open end; the owner is central
  technical contact and system administrator);
* ``staging@shop.example`` → Shop GmbH (Staging), **via_leading_account** (tickets from K-100001);
* ``K-100004`` Bäckerei Sonnenschein → update service only, **not_entitled**;
* ``K-100005`` Radhaus Meyer KG → support contract **expired** (managed by Agentur Nord);
* ``K-100006`` / ``T-000008`` Fremdfirma GmbH → licence held by hoster "Hosting Süd" K-100007,
  **supported_by_partner**;
* ``T-000005`` → linked in legacy data also to K-100008 "Bäckerei Sonnenschein (Altkonto)" (case C);
* tickets of Shop GmbH and of its staging account — two accounts of one e-mail domain, listed as linked.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts import services as account_services
from accounts.models import Account
from portal import access

from . import services
from .coverage import ensure_categories
from .models import Contract, CoverageCategory, LegacyTenantLink, Ticket


def _contract(account, kind, valid_from, valid_until=None, **contacts):
    if not Contract.objects.filter(account=account, kind=kind, valid_from=valid_from).exists():
        services.create_contract(
            actor=access.SYSTEM,
            account=account,
            kind=kind,
            valid_from=valid_from,
            valid_until=valid_until,
            **contacts,
        )


def _account(number, name, kind, email):
    account = Account.objects.filter(number=number).first()
    if account is None:
        account = account_services.create_account(
            actor=access.SYSTEM, name=name, kind=kind, contact_email=email, number=number
        )
    return account


def _hoster_licence(hoster, tenant):
    """A licence held by the hoster for the customer's tenant (LIC-4, case B), issued through the licences
    services within a reseller authorization of the hoster."""
    from licenses import services as licence_services
    from licenses.models import License, Product, ProductGroup

    if License.objects.filter(holder=hoster, tenant=tenant).exists():
        return
    group, _created = ProductGroup.objects.get_or_create(
        code="shop-hosting", defaults={"name": "Shop-Hosting"}
    )
    product, _created = Product.objects.get_or_create(
        article_number="SHOP-HOST-1", defaults={"name": "Onlineshop (gehostet)", "product_code": "SHOP"}
    )
    product.groups.add(group)
    if not hoster.reseller_authorizations.filter(group=group).exists():
        licence_services.authorize_reseller(
            actor=access.SYSTEM, reseller=hoster, group=group, kinds=["full"], max_demo_days=30, terms=[]
        )
    licence_services.issue_license(
        actor=access.SYSTEM,
        issuer=hoster,
        holder=hoster,
        product=product,
        kind="full",
        group=group,
        tenant=tenant,
    )


def seed(world: dict) -> None:
    accounts, users, tenants = world["accounts"], world["users"], world["tenants"]
    today = timezone.localdate()
    owner = users["owner@shop.example"]
    shop = accounts["shop"]
    ensure_categories()

    _contract(
        shop, "support_contract", dt.date(2024, 1, 1), technical_contact=owner, system_administrator=owner
    )
    _contract(shop, "update_service", dt.date(2024, 1, 1))
    _contract(accounts["bakery"], "update_service", dt.date(2025, 1, 1))
    _contract(
        accounts["bikes"],
        "support_contract",
        dt.date(2023, 1, 1),
        today.replace(day=1) - dt.timedelta(days=1),
    )
    _contract(accounts["partner"], "support_contract", dt.date(2024, 1, 1))

    hoster = _account("K-100007", "Hosting Süd GmbH", "partner", "info@hosting-sued.example")
    accounts["hoster"] = hoster
    _hoster_licence(hoster, tenants["T-000008"])

    old = _account("K-100008", "Bäckerei Sonnenschein (Altkonto)", "customer", "rechnung@baeckerei.example")
    accounts["bakery_legacy"] = old
    if not LegacyTenantLink.objects.filter(tenant=tenants["T-000005"]).exists():
        services.flag_legacy_link(tenant=tenants["T-000005"], account=old, source="demo: Altdaten-Import")

    if not Ticket.objects.filter(account=shop).exists():
        services.create_ticket(
            actor=owner,
            subject_account=shop,
            tenant=tenants["T-000001"],
            category=CoverageCategory.objects.get(code="bug_analysis"),
            subject="Bestellungen werden doppelt importiert",
            message="Seit dem letzten Update erscheinen Bestellungen aus dem Webshop zweimal.",
        )
        services.create_ticket(
            actor=owner,
            subject_account=accounts["shop_staging"],
            category=CoverageCategory.objects.get(code="user_question"),
            subject="Update-Probelauf auf dem Staging-System",
            message="Wie spielen wir das Update zuerst auf dem Staging-System ein?",
        )
