"""Booking, ending and discounting services. Implements TEN-6, TEN-7, TEN-8."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from portal import access
from portal.errors import DomainError, NotFound

from .. import selectors, services
from ..forms import (
    BookServicesForm,
    DiscountForm,
    EndServiceForm,
)
from ..models import LIVE_SERVICE_STATUSES, ServiceStatus
from ._common import (
    _catalogue_rows,
    _domain,
    _done,
    _labeler,
    _overlay,
    _posted,
    _refuse,
    _service_of_tenant,
    _tenant_and_permissions,
    _tenant_url,
)

# --- Booked services (TEN-6, TEN-7, TEN-8) -------------------------------------------------------------------


@login_required
def services_add(request, number, domain_id):
    """TEN-7 add services: the catalogue in an overlay; missing dependencies named, or booked on request."""
    tenant, permissions = _tenant_and_permissions(request, number, "add_service")
    labeler = _labeler(request, tenant, permissions)
    domain = _domain(request, tenant, domain_id)
    booked = {
        service.service_type_id: service
        for service in selectors.services_of(
            request.user, tenant, domain=domain, statuses=LIVE_SERVICE_STATUSES
        )
    }
    catalogue = list(selectors.service_types(request.user))
    rows = _catalogue_rows(catalogue, booked, may_book_billable=permissions.book)
    bookable = [row["type"] for row in rows if not row["disabled"]]
    form = BookServicesForm(_posted(request), service_types=bookable)
    status, missing = 200, []
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                bookings = services.book_services(
                    actor=request.user,
                    domain=domain,
                    service_types=form.cleaned_data["service_types"],
                    add_dependencies=form.cleaned_data["add_dependencies"],
                )
            except services.MissingDependencies as exc:
                status = _refuse(request, form, exc)
                missing = exc.missing
            except DomainError as exc:
                status = _refuse(request, form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "Booked for %(domain)s: %(services)s. They are billed once deployed and the domain has users."
                    )
                    % {
                        "domain": labeler(domain),
                        "services": ", ".join(f"{b.service_type.name} ({b.number})" for b in bookings),
                    },
                )
                return _done(request, _tenant_url(tenant, f"domain-{domain.pk}"))
    context = {
        "tenant": tenant,
        "can": permissions,
        "domain": domain,
        "domain_label": labeler(domain),
        "form": form,
        "catalogue": rows,
        "missing": missing,
        "ending_base": any(
            s.service_type.is_base and s.status == ServiceStatus.ENDING for s in booked.values()
        ),
        "action_url": reverse("tenant_services_add", args=[tenant.number, domain.pk]),
        "title": _("Add services"),
    }
    return _overlay(request, "tenants/overlays/services_add.html", context, status=status)


@login_required
def service_end(request, number, domain_id):
    """TEN-7 end a service: pick one of the domain's live services (``?service=`` preselects) and the end of
    billing (default: last day of this month, earliest tomorrow); dependants are listed and need a
    confirmation; ending the base service ends the whole domain. Not yet deployed services are cancelled."""
    tenant, permissions = _tenant_and_permissions(request, number, "end_service")
    labeler = _labeler(request, tenant, permissions)
    domain = _domain(request, tenant, domain_id)
    live = list(
        selectors.services_of(
            request.user, tenant, domain=domain, statuses=[ServiceStatus.ORDERED, ServiceStatus.DEPLOYED]
        )
    )
    if not live:
        raise NotFound()
    # Preset: an add-on rather than the base service (which would end the whole domain).
    preset = next((service for service in live if not service.service_type.is_base), live[0])
    chosen_pk = request.POST.get("service") or request.GET.get("service") or preset.pk
    chosen = next((service for service in live if str(service.pk) == str(chosen_pk)), None)
    if chosen is None:
        chosen = _service_of_tenant(request, tenant, chosen_pk)  # 404 if unseen or elsewhere
        if chosen.domain_id != domain.pk:
            raise NotFound()
    preview = selectors.end_preview(request.user, chosen)
    data = request.POST if request.method == "POST" else None
    form = EndServiceForm(
        data,
        services=live,
        initial={"service": chosen.pk, "end_date": preview.default_end_date},
    )
    form.fields["end_date"].widget.attrs["min"] = preview.earliest_end_date.isoformat()
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                result = services.end_service(
                    actor=request.user,
                    service=chosen,
                    end_date=form.cleaned_data["end_date"],
                    confirm=form.cleaned_data["confirm"],
                )
            except DomainError as exc:
                status = _refuse(request, form, exc)
            else:
                messages.success(request, _end_message(result, labeler(domain)))
                return _done(request, _tenant_url(tenant, f"domain-{domain.pk}"))
    context = {
        "tenant": tenant,
        "can": permissions,
        "domain": domain,
        "domain_label": labeler(domain),
        "form": form,
        "preview": preview,
        "chosen": chosen,
        "action_url": reverse("tenant_service_end", args=[tenant.number, domain.pk]),
        "title": _("End a service"),
    }
    return _overlay(request, "tenants/overlays/service_end.html", context, status=status)


def _end_message(result, domain_label: str) -> str:
    service = result.service
    name = f"{service.service_type.name} ({service.number})"
    if result.end_date is None:
        message = _("%(service)s on %(domain)s was cancelled.") % {"service": name, "domain": domain_label}
    else:
        message = _("%(service)s on %(domain)s ends on %(date)s.") % {
            "service": name,
            "domain": domain_label,
            "date": date_format(result.end_date),
        }
    others = result.affected
    if others:
        message += " " + _("Ended with it: %(services)s.") % {
            "services": ", ".join(f"{s.service_type.name} ({s.number})" for s in others)
        }
    if result.domain_released:
        message += " " + _("Nothing is booked on the domain any more: it was released.")
    return message


@login_required
def service_discount(request, number, pk):
    """TEN-6/TEN-8: set a booked service's discount and its reason (sales: ``book`` and ``view_billing``)."""
    tenant, permissions = _tenant_and_permissions(request, number, "book")
    access.require(request.user, "view_billing", tenant)
    labeler = _labeler(request, tenant, permissions)
    service = _service_of_tenant(request, tenant, pk)
    form = DiscountForm(_posted(request), initial=DiscountForm.initial_for(service))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.set_discount(
                    actor=request.user,
                    service=service,
                    percent=form.cleaned_data["discount_percent"],
                    reason=form.reason_value(),
                )
            except DomainError as exc:
                status = _refuse(request, form, exc)
                if "discount_reason" in (exc.fields or {}):
                    form.add_error("reason", exc.fields["discount_reason"][0])
            else:
                messages.success(
                    request,
                    _("Discount of %(service)s saved.")
                    % {"service": f"{service.service_type.name} ({service.number})"},
                )
                return _done(request, _tenant_url(tenant, f"domain-{service.domain_id}"))
    context = {
        "tenant": tenant,
        "can": permissions,
        "service": service,
        "domain_label": labeler(service.domain),
        "form": form,
        "action_url": reverse("tenant_service_discount", args=[tenant.number, service.pk]),
        "title": _("Discount"),
    }
    return _overlay(request, "tenants/overlays/discount.html", context, status=status)
