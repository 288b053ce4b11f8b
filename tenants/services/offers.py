"""Offers (TEN-7 "create offer"): a priced quote for selected services with discounts and their reasons,
monthly and annual totals, printable as a page and as a PDF rendered from the same template
(``tenants/offer_pdf.html``) with WeasyPrint.

Money: Decimal EUR; each line is ``unit price × quantity × (100 − discount) / 100`` rounded half-up to the
cent, the monthly total is the sum of the lines and the annual total twelve times the monthly total.
Offers are sales business: creating one needs ``book`` and ``view_billing``; seeing one ``view_billing``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from portal import access
from portal.audit import record_event
from portal.errors import RuleViolation
from portal.money import money
from portal.numbers import next_number

from .. import catalogue
from ..dates import berlin_today
from ..models import DiscountReason, Offer, OfferLine, ServiceType, Tenant
from .booking import _parse_discount, resolve_service_types

# WeasyPrint logs every layout step at INFO; the portal logs INFO. Keep its warnings (missing fonts) only.
logging.getLogger("weasyprint").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)
MAX_QUANTITY = 100_000


@dataclass
class OfferLineInput:
    """One requested line: a service type code, a quantity, an optional discount with its reason."""

    service_type: str
    quantity: int = 1
    discount_percent: Decimal | str | int = 0
    discount_reason: str = ""


def line_amount(unit_price: Decimal, quantity: int, discount_percent: Decimal) -> Decimal:
    gross = unit_price * quantity
    return money(gross * (Decimal(100) - discount_percent) / Decimal(100))


def _as_input(line: OfferLineInput | Mapping) -> OfferLineInput:
    if isinstance(line, OfferLineInput):
        return line
    return OfferLineInput(
        service_type=str(line.get("service_type", "")),
        quantity=line.get("quantity", 1),
        discount_percent=line.get("discount_percent", 0) or 0,
        discount_reason=line.get("discount_reason", "") or "",
    )


@transaction.atomic
def create_offer(
    *,
    actor: User,
    tenant: Tenant,
    lines: Sequence[OfferLineInput | Mapping],
    title: str = "",
    note: str = "",
    valid_days: int = 30,
    add_dependencies: bool = False,
) -> Offer:
    """Create an offer for ``tenant``. ``lines`` are OfferLineInput or dicts with the same keys.
    With ``add_dependencies`` the services the chosen ones need (the base service included) are added as
    lines of the largest quantity among their dependants, without discount."""
    tenant = Tenant.objects.get(pk=tenant.pk)
    access.require(actor, "view_billing", tenant)
    access.require(actor, "book", tenant)
    inputs = [_as_input(line) for line in lines]
    if not inputs:
        raise RuleViolation(
            _("An offer needs at least one service."), code="no_lines", fields={"lines": [_("Required.")]}
        )
    codes = [line.service_type for line in inputs]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise RuleViolation(
            _("Each service appears once per offer: %(codes)s.") % {"codes": ", ".join(duplicates)},
            code="duplicate_lines",
            fields={"lines": [_("Duplicate: %(codes)s.") % {"codes": ", ".join(duplicates)}]},
        )
    types = {
        service_type.code: service_type for service_type in resolve_service_types(codes, field_name="lines")
    }
    inactive = [service_type.name for service_type in types.values() if not service_type.active]
    if inactive:
        raise RuleViolation(
            _("No longer offered: %(services)s.") % {"services": ", ".join(inactive)},
            code="service_type_inactive",
            fields={"lines": [", ".join(inactive)]},
        )
    if not 1 <= int(valid_days) <= 365:
        raise RuleViolation(
            _("An offer is valid for 1 to 365 days."),
            code="invalid_validity",
            fields={"valid_days": [_("1–365.")]},
        )
    prepared: list[tuple[ServiceType, int, Decimal, str]] = []
    for index, line in enumerate(inputs):
        try:
            quantity = int(line.quantity)
        except (TypeError, ValueError):
            quantity = 0
        if not 1 <= quantity <= MAX_QUANTITY:
            raise RuleViolation(
                _("Line %(line)d: the quantity must be between 1 and %(max)d.")
                % {"line": index + 1, "max": MAX_QUANTITY},
                code="invalid_quantity",
                fields={f"lines.{index}.quantity": [_("Between 1 and %(max)d.") % {"max": MAX_QUANTITY}]},
            )
        try:
            percent, reason = _parse_discount(line.discount_percent, line.discount_reason)
        except RuleViolation as exc:
            raise RuleViolation(
                _("Line %(line)d: %(error)s") % {"line": index + 1, "error": exc.detail},
                code=exc.code,
                fields={f"lines.{index}.{key}": value for key, value in exc.fields.items()},
            ) from exc
        prepared.append((types[line.service_type], quantity, percent, reason))
    if add_dependencies:
        graph = catalogue.requirement_graph()
        all_types = catalogue.load_catalogue()
        base = catalogue.base_service()
        chosen = {service_type.pk for service_type, *_rest in prepared}
        for service_type_id in sorted(
            catalogue.required_closure(graph, chosen, base.pk if base else None) - chosen
        ):
            needing = [
                quantity
                for service_type, quantity, *_rest in prepared
                if service_type_id
                in catalogue.required_closure(graph, [service_type.pk], base.pk if base else None)
            ]
            prepared.append((all_types[service_type_id], max(needing or [1]), Decimal(0), ""))
        order = {t.pk: i for i, t in enumerate(catalogue.dependency_order([p[0] for p in prepared], graph))}
        prepared.sort(key=lambda item: order[item[0].pk])
    offer_lines = []
    for position, (service_type, quantity, percent, reason) in enumerate(prepared, start=1):
        offer_lines.append(
            OfferLine(
                position=position,
                service_type=service_type,
                name=service_type.name,
                quantity=quantity,
                unit_price=service_type.monthly_price,
                discount_percent=percent,
                discount_reason=reason,
                monthly_amount=line_amount(service_type.monthly_price, quantity, percent),
            )
        )
    monthly_total = sum((line.monthly_amount for line in offer_lines), Decimal("0.00"))
    offer = Offer.objects.create(
        number=next_number("offer"),
        tenant=tenant,
        title=(title or "").strip()[:200],
        note=(note or "").strip(),
        valid_until=berlin_today() + timedelta(days=int(valid_days)),
        monthly_total=monthly_total,
        annual_total=monthly_total * 12,
        created_by=actor,
    )
    for line in offer_lines:
        line.offer = offer
    OfferLine.objects.bulk_create(offer_lines)
    record_event(
        actor=actor,
        action="tenant.offer.created",
        target=offer,
        data={
            "number": offer.number,
            "monthly_total": str(offer.monthly_total),
            "annual_total": str(offer.annual_total),
            "lines": [line.service_type.code for line in offer_lines],
        },
    )
    return offer


def discount_reason_label(reason: str) -> str:
    """``nfr``/``test`` translated; any other reason as written (TEN-8: shown in brackets)."""
    try:
        return str(DiscountReason(reason).label)
    except ValueError:
        return reason


def offer_context(offer: Offer) -> dict:
    """Everything ``tenants/offer_pdf.html`` needs; the printable page renders the same context."""
    lines = list(offer.lines.select_related("service_type").order_by("position", "pk"))
    tenant = offer.tenant
    return {
        "offer": offer,
        "lines": lines,
        "tenant": tenant,
        "account": tenant.account,
        "partner": tenant.reseller,
        "has_discounts": any(line.discount_percent for line in lines),
        "vendor_name": getattr(settings, "PORTAL_VENDOR_NAME", settings.PORTAL_NAME),
    }


def render_offer_html(offer: Offer, *, language: str | None = None) -> str:
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        return render_to_string("tenants/offer_pdf.html", offer_context(offer))


def render_offer_pdf(offer: Offer, *, language: str | None = None) -> bytes:
    """The offer as a PDF (WeasyPrint renders the same template as the printable page)."""
    import weasyprint

    html = render_offer_html(offer, language=language)
    return weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
