"""Template helpers for tenant pages and the offer PDF (TEN-4 masking, TEN-6 status, TEN-8 reasons, EUR).

``{% load tenant_tags %}`` then:
- ``{% domain_label domain %}`` — the domain's name as the current user may see it (masked if confidential);
  caches one Masker per template render, so a list costs one query per tenant at most.
- ``{{ amount|eur }}`` — ``1.234,50 €`` (de) / ``1,234.50 €`` (en).
- ``{{ percent|percent }}`` — ``12,5 %``; no trailing zeros.
- ``{{ reason|discount_reason }}`` — ``nfr``/``test`` translated, other reasons as written.
- ``{{ service|billable }}`` — TEN-6 billable flag (uses the selector's annotation).
"""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format

from tenants import selectors
from tenants.masking import Masker
from tenants.services.offers import discount_reason_label

register = template.Library()


@register.simple_tag(takes_context=True)
def domain_label(context, domain) -> str:
    labeler = context.render_context.get("_domain_labeler")
    if labeler is None:
        request = context.get("request")
        user = getattr(request, "user", None) or context.get("user")
        labeler = Masker(user)
        context.render_context["_domain_labeler"] = labeler
    return labeler(domain)


@register.filter
def eur(value) -> str:
    if value in (None, ""):
        return ""
    return f"{number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)}\u00a0€"


@register.filter
def percent(value) -> str:
    if value in (None, ""):
        return ""
    value = Decimal(value)
    places = max(0, -value.normalize().as_tuple().exponent)  # 12.50 → "12,5 %", 20.00 → "20 %"
    return f"{number_format(value, places, use_l10n=True)}\u00a0%"


@register.filter
def discount_reason(value) -> str:
    return discount_reason_label(value) if value else ""


@register.filter
def billable(service) -> bool:
    return selectors.is_billable(service)


@register.filter
def rights_in_words(codes) -> str:
    """``["view", "deploy"]`` → ``view, deploy`` in the reader's language (tenants.access.RIGHT_LABELS)."""
    from tenants.access import RIGHT_LABELS

    return ", ".join(str(RIGHT_LABELS.get(code, code)) for code in codes or [])
