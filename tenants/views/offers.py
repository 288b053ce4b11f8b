"""Offers as a page, a printable page and a PDF. Implements TEN-7."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from portal import access
from portal.errors import DomainError, NotFound

from .. import selectors, services
from ..forms import (
    OfferForm,
    OfferLineFormSet,
)
from ..models import LIVE_SERVICE_STATUSES
from ._common import (
    _posted,
    _refuse,
    _tenant_and_permissions,
)

# --- Offers (TEN-7) ---------------------------------------------------------------------------------------------


@login_required
def offer_create(request, number):
    """TEN-7 create offer: services of the catalogue with quantity and discount (reason) → the offer page."""
    tenant, permissions = _tenant_and_permissions(request, number, "book")
    access.require(request.user, "view_billing", tenant)
    catalogue = list(selectors.service_types(request.user))
    live_counts: dict[int, int] = defaultdict(int)
    for service in selectors.services_of(request.user, tenant, statuses=LIVE_SERVICE_STATUSES):
        live_counts[service.service_type_id] += 1
    domains_count = tenant.domains_count or 1
    initial = [
        {
            "service_type": service_type.code,
            "include": False,
            "quantity": live_counts.get(service_type.pk) or domains_count,
        }
        for service_type in catalogue
    ]
    form = OfferForm(_posted(request))
    formset = OfferLineFormSet(_posted(request), initial=initial, prefix="lines")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and formset.is_valid():
            chosen = [line for line in formset.cleaned_data if line.get("include")]
            lines = [
                services.OfferLineInput(
                    service_type=line["service_type"],
                    quantity=line["quantity"],
                    discount_percent=line.get("discount_percent") or 0,
                    discount_reason=line.get("discount_reason") or "",
                )
                for line in chosen
            ]
            try:
                offer = services.create_offer(
                    actor=request.user,
                    tenant=tenant,
                    lines=lines,
                    title=form.cleaned_data["title"],
                    note=form.cleaned_data["note"],
                    valid_days=form.cleaned_data["valid_days"],
                    add_dependencies=form.cleaned_data["add_dependencies"],
                )
            except DomainError as exc:
                status = _refuse(request, form, exc)
                _line_errors(formset, chosen, exc)
            else:
                messages.success(request, _("Offer %(number)s was created.") % {"number": offer.number})
                return redirect(reverse("tenant_offer", args=[tenant.number, offer.pk]))
    by_code = {service_type.code: service_type for service_type in catalogue}
    rows = [
        {"form": line_form, "type": by_code.get(line_form["service_type"].value())}
        for line_form in formset.forms
    ]
    context = {
        "tenant": tenant,
        "can": permissions,
        "form": form,
        "formset": formset,
        "rows": [row for row in rows if row["type"] is not None],
    }
    return render(request, "tenants/offer_create.html", context, status=status)


def _line_errors(formset, chosen: list[dict], exc: DomainError) -> None:
    """``lines.<i>.<field>`` errors of the service name the i-th chosen line: put them on its row."""
    forms_by_code = {line_form.cleaned_data.get("service_type"): line_form for line_form in formset.forms}
    for key, errors in (exc.fields or {}).items():
        parts = key.split(".")
        if len(parts) != 3 or parts[0] != "lines" or not parts[1].isdigit():
            continue
        index, field = int(parts[1]), parts[2]
        if index >= len(chosen):
            continue
        line_form = forms_by_code.get(chosen[index]["service_type"])
        if line_form is not None and field in line_form.fields:
            for error in errors:
                line_form.add_error(field, str(error))


def _offer_of_tenant(request, number, pk):
    tenant, permissions = _tenant_and_permissions(request, number)
    offer = selectors.offer_for(request.user, pk)  # NotFound unseen, NotPermitted without view_billing
    if offer.tenant_id != tenant.pk:
        raise NotFound()
    return tenant, permissions, offer


@login_required
@require_GET
def offer_detail(request, number, pk):
    tenant, permissions, offer = _offer_of_tenant(request, number, pk)
    context = {"tenant": tenant, "can": permissions, **services.offer_context(offer)}
    return render(request, "tenants/offer_detail.html", context)


@login_required
@require_GET
@xframe_options_sameorigin  # the offer page shows it in an iframe
def offer_print(request, number, pk):
    """The printable offer: the very template the PDF is rendered from."""
    _tenant, _permissions, offer = _offer_of_tenant(request, number, pk)
    return HttpResponse(services.render_offer_html(offer))


@login_required
@require_GET
def offer_pdf(request, number, pk):
    _tenant, _permissions, offer = _offer_of_tenant(request, number, pk)
    response = HttpResponse(services.render_offer_pdf(offer), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{offer.number}.pdf"'
    return response
