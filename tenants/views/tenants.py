"""Tenant list, new tenant and the tenant page. Implements TEN-3 (list: counts, search, sort, pagination), TEN-1/TEN-2 (new tenant) and the page of TEN-4, TEN-6..TEN-8."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_tables2 import RequestConfig

from portal.csv import csv_response
from portal.errors import DomainError, NotPermitted

from .. import selectors, services
from ..filtersets import TenantFilterSet
from ..forms import (
    TenantCreateForm,
)
from ..models import Environment
from ..tables import TenantTable
from ._common import (
    ACTION_REASONS,
    PAGE_SIZES,
    PER_PAGE,
    _check_context,
    _labeler,
    _managed_customers,
    _posted,
    _refuse,
    _reseller_partners,
    _tenant_and_permissions,
    _tenant_url,
)

# --- Tenant list and new tenant (TEN-3) --------------------------------------------------------------------


@login_required
@require_GET
def tenant_list(request):
    """TEN-3: search, environment, "has undeployed services", page size and sort — all in the URL, so a
    refresh, the pager and the CSV export keep them."""
    filterset = TenantFilterSet(request.GET, queryset=selectors.tenants_visible_to(request.user))
    table = TenantTable(filterset.qs)
    if request.GET.get("format") == "csv":
        RequestConfig(request, paginate=False).configure(table)
        return _tenants_csv(table.data.data)
    per_page = _page_size(request)
    RequestConfig(request, paginate={"per_page": per_page}).configure(table)
    context = {
        "table": table,
        "filter": filterset,
        "can_create": bool(_reseller_partners(request.user)),
        "reasons": ACTION_REASONS,
        "page_sizes": PAGE_SIZES,
        "per_page": per_page,
        "undeployed_only": request.GET.get("undeployed") in ("true", "True", "1", "on"),
    }
    template = "tenants/partials/_table.html" if request.htmx else "tenants/list.html"
    return render(request, template, context)


def _page_size(request) -> int:
    try:
        value = int(request.GET.get("per_page", PER_PAGE))
    except ValueError:
        return PER_PAGE
    return value if value in PAGE_SIZES else PER_PAGE


def _tenants_csv(tenants):
    """The filtered, sorted list as CSV: streamed, spreadsheet-safe (portal.csv)."""
    header = [
        _("ID"),
        _("Name"),
        _("Customer"),
        _("Customer number"),
        _("Environment"),
        _("Managed domains"),
        _("Services"),
    ]
    labels = dict(Environment.choices)

    def rows():
        for tenant in tenants.iterator(chunk_size=1000):
            yield [
                tenant.number,
                tenant.name,
                tenant.account.name,
                tenant.account.number,
                labels.get(tenant.environment, tenant.environment),
                tenant.domains_count,
                tenant.services_count,
            ]

    return csv_response(f"tenants-{timezone.localdate().isoformat()}.csv", header, rows())


@login_required
def tenant_create(request):
    """TEN-7 "new tenant" (partner ``sales``): for a customer the partner manages, or a new customer whose
    contact is invited to become owner. The account and the tenant are created together or not at all."""
    partners = _reseller_partners(request.user)
    if not partners:
        raise NotPermitted(_("Only a partner's sales staff create tenants for customers."))
    active = getattr(request, "account", None)
    initial_partner = active if active is not None and active in partners else partners[0]
    customers = _managed_customers(request.user, partners)
    initial = {"partner": initial_partner.pk}
    preselected = request.GET.get("account")
    if preselected:
        initial["customer"] = customers.filter(number=preselected).values_list("pk", flat=True).first()
    form = TenantCreateForm(_posted(request), partners=partners, customers=customers, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            partner = data["partner"]
            try:
                if data["customer_choice"] == TenantCreateForm.NEW:
                    account, tenant = services.create_customer_with_tenant(
                        actor=request.user,
                        partner=partner,
                        customer_name=data["customer_name"],
                        contact_email=data["contact_email"],
                        name=data["name"],
                        environment=data["environment"],
                    )
                else:
                    account = data["customer"]
                    tenant = services.create_tenant(
                        actor=request.user,
                        account=account,
                        name=data["name"],
                        environment=data["environment"],
                        acting_for=partner,
                    )
            except DomainError as exc:
                status = _refuse(request, form, exc)
            else:
                messages.success(
                    request,
                    _("Tenant %(number)s “%(name)s” was created. Add its first domain now.")
                    % {"number": tenant.number, "name": tenant.name},
                )
                if data["customer_choice"] == TenantCreateForm.NEW:
                    messages.info(
                        request,
                        _("%(email)s was invited to become the owner of %(account)s.")
                        % {"email": account.contact_email, "account": account.name},
                    )
                return redirect(_tenant_url(tenant))
    return render(
        request,
        "tenants/create.html",
        {"form": form, "partners": partners, "has_customers": customers.exists()},
        status=status,
    )


# --- Tenant page (TEN-4, TEN-6, TEN-7, TEN-8) --------------------------------------------------------------


@login_required
@require_GET
def tenant_detail(request, number):
    tenant, permissions = _tenant_and_permissions(request, number)
    labeler = _labeler(request, tenant, permissions)
    expert = request.GET.get("expert") == "1" and permissions.manage_confidential
    domains = list(selectors.domains_of(request.user, tenant))
    by_domain = defaultdict(list)
    for service in selectors.services_of(request.user, tenant):
        service.actions = selectors.service_actions(permissions, service)  # buttons from the table (§6)
        by_domain[service.domain_id].append(service)
    rows = []
    for domain in domains:
        booked = by_domain.get(domain.pk, [])
        rows.append(
            {
                "domain": domain,
                "label": labeler(domain),
                "masked": not labeler.name_visible(domain),
                "services": booked,
                "endable": any({"end", "cancel"} & set(service.actions) for service in booked),
            }
        )
    undeployed = sum(domain.undeployed_count for domain in domains)
    run = selectors.latest_check_run(request.user, tenant)
    context = {
        "tenant": tenant,
        "can": permissions,
        "domains": rows,
        "undeployed": undeployed,
        "expert": expert,
        "offers": list(selectors.offers_of(request.user, tenant)[:10]) if permissions.view_billing else [],
        "reasons": ACTION_REASONS,
        "may_transfer": selectors.may_transfer(request.user, tenant),
        "transfers": list(selectors.transfers_of(request.user, tenant)[:5]),
        "access_entries": selectors.tenant_access(request.user, tenant),
        **_check_context(request, tenant, permissions, run, labeler),
    }
    return render(request, "tenants/detail.html", context)
