"""Offers: prices, discounts with reasons, monthly and annual totals, the PDF, who may create and see
them. Tests TEN-7 ("create offer") and TEN-8 (reasons shown in brackets under the percentage)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from portal import access
from portal.errors import NotFound, NotPermitted, RuleViolation
from portal.models import AuditEvent
from tenants import selectors, services
from tenants.models import Offer
from tenants.services.offers import OfferLineInput, line_amount

pytestmark = pytest.mark.django_db


def test_ten7_line_amounts_round_half_up_to_the_cent():
    assert line_amount(Decimal("9.90"), 3, Decimal("0")) == Decimal("29.70")
    assert line_amount(Decimal("14.90"), 1, Decimal("12.5")) == Decimal("13.04")  # 13.0375
    assert line_amount(Decimal("0.05"), 1, Decimal("50")) == Decimal("0.03")  # 0.025 rounds up
    assert line_amount(Decimal("6.50"), 10, Decimal("100")) == Decimal("0.00")


def test_ten7_offer_totals_discounts_and_reasons(world, clock):
    clock.today("2025-06-10")
    offer = services.create_offer(
        actor=world.sales,
        tenant=world.tenant,
        title="Mail security for Shop GmbH",
        lines=[
            OfferLineInput("base", quantity=2),
            OfferLineInput("encryption", quantity=2, discount_percent="20", discount_reason="nfr"),
            {
                "service_type": "archive",
                "quantity": 1,
                "discount_percent": 10,
                "discount_reason": "Bestandskunde",
            },
        ],
    )
    lines = list(offer.lines.order_by("position"))
    assert [(line.name, line.quantity, line.unit_price, line.monthly_amount) for line in lines] == [
        ("Mail base service", 2, Decimal("9.90"), Decimal("19.80")),
        ("E-mail encryption", 2, Decimal("14.90"), Decimal("23.84")),
        ("Mail archive", 1, Decimal("6.50"), Decimal("5.85")),
    ]
    assert offer.monthly_total == Decimal("49.49")
    assert offer.annual_total == Decimal("593.88")
    assert offer.valid_until == datetime.date(2025, 7, 10)
    assert offer.number.startswith("O-")
    event = AuditEvent.objects.get(action="tenant.offer.created")
    assert event.tenant_id == world.tenant.pk and event.changes["monthly_total"] == "49.49"


def test_ten7_offer_prices_are_snapshots(world):
    offer = services.create_offer(actor=world.sales, tenant=world.tenant, lines=[OfferLineInput("archive")])
    services.update_service_type(
        actor=access.SYSTEM, service_type=world.types["archive"], monthly_price="99.00"
    )
    line = offer.lines.get()
    assert line.unit_price == Decimal("6.50") and offer.monthly_total == Decimal("6.50")


def test_ten7_offer_can_add_dependencies(world):
    offer = services.create_offer(
        actor=world.sales,
        tenant=world.tenant,
        lines=[OfferLineInput("signature", quantity=3)],
        add_dependencies=True,
    )
    assert [(line.service_type.code, line.quantity) for line in offer.lines.order_by("position")] == [
        ("base", 3),
        ("encryption", 3),
        ("signature", 3),
    ]


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        ([], "no_lines"),
        ([OfferLineInput("nope")], "unknown_service_type"),
        ([OfferLineInput("archive"), OfferLineInput("archive")], "duplicate_lines"),
        ([OfferLineInput("archive", quantity=0)], "invalid_quantity"),
        ([OfferLineInput("archive", discount_percent=10)], "discount_reason_required"),
        ([OfferLineInput("archive", discount_percent=120, discount_reason="x")], "invalid_discount"),
    ],
)
def test_ten7_bad_offers_are_refused(world, lines, code):
    with pytest.raises(RuleViolation) as caught:
        services.create_offer(actor=world.sales, tenant=world.tenant, lines=lines)
    assert caught.value.code == code
    assert not Offer.objects.exists()


@pytest.mark.parametrize(
    ("role", "error"),
    [
        ("support", NotPermitted),
        ("tech", NotPermitted),
        ("customer_admin", NotPermitted),
        ("other_sales", NotFound),
    ],
)
def test_ten7_only_sales_creates_offers(world, role, error):
    with pytest.raises(error):
        services.create_offer(
            actor=getattr(world, role), tenant=world.tenant, lines=[OfferLineInput("archive")]
        )


def test_ten7_offers_need_view_billing_to_be_seen(world):
    offer = services.create_offer(actor=world.sales, tenant=world.tenant, lines=[OfferLineInput("archive")])
    assert selectors.offer_for(world.sales, offer.pk) == offer
    assert selectors.offer_for(world.customer_admin, offer.pk) == offer  # the customer sees its offers
    with pytest.raises(NotPermitted):
        selectors.offer_for(world.tech, offer.pk)
    with pytest.raises(NotFound):
        selectors.offer_for(world.other_sales, offer.pk)
    assert list(selectors.offers_of(world.support, world.tenant)) == []


def test_ten7_offer_pdf_renders_the_template(world):
    offer = services.create_offer(
        actor=world.sales,
        tenant=world.tenant,
        lines=[OfferLineInput("encryption", quantity=2, discount_percent="12.5", discount_reason="test")],
        note="Valid for new domains.",
    )
    html = services.render_offer_html(offer, language="en")
    assert offer.number in html and "E-mail encryption" in html
    assert "12.5\u00a0%" in html and "(test)" in html  # TEN-8: the reason in brackets under the percentage
    assert "26.08\u00a0€" in html and "312.96\u00a0€" in html
    german = services.render_offer_html(offer, language="de")
    assert "26,08\u00a0€" in german
    pdf = services.render_offer_pdf(offer, language="en")
    assert pdf.startswith(b"%PDF-") and len(pdf) > 2000
