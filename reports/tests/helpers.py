"""Licences for report tests, written straight into the tables with exact dates (the licences app's services
check issuing rules that these tests are not about)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts.tests.factories import AccountFactory, PartnerAccountFactory, VendorAccountFactory, member
from licenses.keys import generate_key, normalize_key
from licenses.models import License, Price, Product, ProductGroup, ResellerPrice, Subscription
from licenses.periods import add_term


class World:
    pass


def make_world() -> World:
    w = World()
    w.vendor = VendorAccountFactory(name="Hersteller AG")
    w.vendor_admin = member(w.vendor, "admin")
    w.vendor_support = member(w.vendor, "support")
    w.reseller = PartnerAccountFactory(name="Händler GmbH")
    w.reseller_admin = member(w.reseller, "admin")
    w.reseller_sales = member(w.reseller, "sales")
    w.other_reseller = PartnerAccountFactory(name="Anderer Händler")
    w.other_admin = member(w.other_reseller, "admin")
    w.customer = AccountFactory(name="=Kunde mit Formel", reseller=w.reseller)
    w.customer_owner = member(w.customer, "owner")
    w.customer_member = member(w.customer, "member")
    w.other_customer = AccountFactory(name="Fremdkunde", reseller=w.other_reseller)
    w.group = ProductGroup.objects.create(name="Kasse", code="kasse")
    w.product = Product.objects.create(article_number="ART-1", name="Kasse Pro", product_code="KP")
    w.product.groups.add(w.group)
    Price.objects.create(product=w.product, term="monthly", amount=Decimal("31.00"))
    Price.objects.create(product=w.product, term="annual", amount=Decimal("300.00"))
    ResellerPrice.objects.create(
        reseller=w.reseller, product=w.product, term="monthly", amount=Decimal("10.00")
    )
    return w


def license_(
    issuer, holder, product, *, kind="full", status="active", group=None, quantity=1, issued_at=None
):
    return License.objects.create(
        key=normalize_key(generate_key()),
        kind=kind,
        status=status,
        product=product,
        group=group,
        holder=holder,
        issuer=issuer,
        quantity=quantity,
        issued_at=issued_at or timezone.now(),
    )


def subscription(
    issuer, holder, product, started_on: dt.date, *, term="monthly", kind="subscription", quantity=1, **fields
):
    lic = license_(
        issuer,
        holder,
        product,
        kind=kind,
        quantity=quantity,
        issued_at=timezone.make_aware(dt.datetime.combine(started_on, dt.time(9))),
    )
    end = add_term(started_on, term, started_on.day)
    return Subscription.objects.create(
        license=lic,
        term=term,
        started_on=started_on,
        anchor_day=started_on.day,
        current_period_start=started_on,
        current_period_end=end,
        **fields,
    )
