"""Tenant pages (UI-1). Implements TEN-3 (tenant list: counts, search, sort, pagination; "new tenant" for a
partner's sales staff), TEN-4 (domains, masked confidential names, expert-mode confidential flag), TEN-6
(booked services with status, billing start, registered users), TEN-7 (the role-gated operations as htmx
overlays: add domain guided/expert, add services, end a service, deploy, consistency check with live
progress, offers as a printable page and PDF) and TEN-8 (discount reasons in brackets under the percentage).

Which buttons a page offers comes only from ``selectors.tenant_permissions`` (the authority's answer for this
user and tenant). Every write view asks ``access.require`` first — so a refused POST answers 403 before its
input is even read — and then calls one service, which checks again. Reads go through the selectors: an
unseen tenant, domain, service, check or offer is a 404 (NotFound, mapped by portal.middleware).

Overlays: a GET with ``HX-Request`` answers the overlay fragment for ``#overlay``; without htmx the same form
is a page of its own (usable without JavaScript). A successful htmx POST answers ``HX-Redirect`` to the
tenant page (which shows the message); a failed one re-renders the overlay with the errors (200, so htmx
swaps it). Without htmx a failed POST answers the form page with 400 (409 for a state conflict).
"""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST
from django_tables2 import RequestConfig

from accounts import services as account_services
from accounts.models import AccountKind
from accounts.selectors import accounts_of, accounts_visible_to
from delegations.selectors import managed_accounts_for
from portal import access
from portal.errors import DomainError, NotFound, NotPermitted
from portal.forms import form_error

from . import selectors, services
from .checks import describe_finding
from .domains import DomainLabeler
from .filtersets import TenantFilterSet
from .forms import (
    BookServicesForm,
    ConfidentialForm,
    ConfirmForm,
    DiscountForm,
    DomainAddForm,
    EndServiceForm,
    OfferForm,
    OfferLineFormSet,
    RegisteredUserForm,
    TenantCreateForm,
)
from .models import LIVE_SERVICE_STATUSES, ServiceStatus
from .tables import TenantTable

PER_PAGE = 25


# --- Helpers ------------------------------------------------------------------------------------------


def _tenant_url(tenant, anchor: str = "") -> str:
    url = reverse("tenant_detail", args=[tenant.number])
    return f"{url}#{anchor}" if anchor else url


def _posted(request):
    """The form data of a POST — bound even when empty (``request.POST or None`` would leave a POST without
    fields unbound: no errors shown) — else None."""
    return request.POST if request.method == "POST" else None


def _done(request, url: str):
    """Success: htmx follows HX-Redirect (a full load shows the message); plain forms follow the 302.

    A target on the very page the overlay was opened on, with an anchor (``/tenants/T-000001/#domain-9``), is
    only a jump to the anchor for the browser — the overlay would stay open and the page unchanged — so
    htmx is told to reload as well (``HX-Refresh``)."""
    if request.htmx:
        response = HttpResponse(status=200)
        response["HX-Redirect"] = url
        current, target = urlsplit(request.htmx.current_url or ""), urlsplit(url)
        if target.fragment and (current.path, current.query) == (target.path, target.query):
            response["HX-Refresh"] = "true"
        return response
    return redirect(url)


def _overlay(request, template: str, context: dict, *, status: int = 200):
    """The overlay fragment for htmx, else the same form as a page of its own (no JavaScript needed)."""
    context = {**context, "body_template": template, "is_overlay": bool(request.htmx)}
    if request.htmx:
        return render(request, "tenants/overlays/_frame.html", context, status=200)
    return render(request, "tenants/overlay_page.html", context, status=status)


# Error keys that are data for API clients (service types' codes, bookings' numbers), not sentences: the
# overlays show them in words (the missing-dependencies notice, the list of affected services).
_MACHINE_FIELDS = frozenset({"missing", "affected"})


def _refuse(request, form, exc: DomainError):
    """Put a refused service call on the form; rights errors are not form errors: 403/404 pages."""
    if isinstance(exc, NotPermitted | NotFound):
        raise exc
    fields = {key: errors for key, errors in exc.fields.items() if key not in _MACHINE_FIELDS}
    form_error(request, form, DomainError(exc.detail, code=exc.code, fields=fields))
    return exc.status_code


def _labeler(request, tenant, permissions) -> DomainLabeler:
    labeler = DomainLabeler(request.user)
    labeler.remember(tenant.pk, permissions.manage_confidential)
    return labeler


def _tenant_and_permissions(request, number: str, action: str | None = None):
    tenant = selectors.tenant_for(request.user, number)  # NotFound → 404
    if action is not None:
        access.require(request.user, action, tenant)  # NotPermitted → 403
    return tenant, selectors.tenant_permissions(request.user, tenant)


def _domain(request, tenant, domain_id: int):
    return selectors.domain_for(request.user, tenant, domain_id)


def _service_of_tenant(request, tenant, pk) -> object:
    try:
        service = selectors.service_for(request.user, int(pk))
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    if service.domain.tenant_id != tenant.pk or service.domain.released_at is not None:
        raise NotFound()
    return service


def _reseller_partners(user) -> list:
    """The partner accounts for which the user may create customers' tenants (role ``sales``: "resell")."""
    return [
        account
        for account in accounts_of(user).filter(kind=AccountKind.PARTNER)
        if access.can(user, "resell", account)
    ]


def _managed_customers(user, partners):
    """Customer accounts these partners created or manage (TEN-3), as the user may see them."""
    managed = (
        managed_accounts_for(user, status="active")
        .filter(partner_account__in=partners)
        .values("customer_account_id")
    )
    return (
        accounts_visible_to(user)
        .filter(kind=AccountKind.CUSTOMER)
        .filter(Q(reseller__in=partners) | Q(pk__in=managed))
        .order_by("name", "number")
    )


# --- Tenant list and new tenant (TEN-3) --------------------------------------------------------------------


@login_required
@require_GET
def tenant_list(request):
    filterset = TenantFilterSet(request.GET, queryset=selectors.tenants_visible_to(request.user))
    table = TenantTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    context = {
        "table": table,
        "filter": filterset,
        "can_create": bool(_reseller_partners(request.user)),
    }
    template = "tenants/partials/_table.html" if request.htmx else "tenants/list.html"
    return render(request, template, context)


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
                with transaction.atomic():
                    if data["customer_choice"] == TenantCreateForm.NEW:
                        account = account_services.create_customer_for_partner(
                            actor=request.user,
                            partner=partner,
                            name=data["customer_name"],
                            contact_email=data["contact_email"],
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


def _check_context(request, tenant, permissions, run, labeler, notice: str = "") -> dict:
    """The check panel's context: the latest (or given) run, its findings worded with masked names."""
    findings = []
    if run is not None and run.status == "done":
        for finding in run.findings.all():
            label = labeler(finding.domain) if finding.domain is not None else None
            findings.append({"finding": finding, "message": describe_finding(finding, label)})
    return {
        "check_run": run,
        "check_findings": findings,
        "check_notice": notice,
        "check_counts": _severity_counts(findings),
    }


def _severity_counts(findings) -> dict:
    counts: dict[str, int] = defaultdict(int)
    for row in findings:
        counts[row["finding"].severity] += 1
    return dict(counts)


@login_required
@require_GET
def tenant_detail(request, number):
    tenant, permissions = _tenant_and_permissions(request, number)
    labeler = _labeler(request, tenant, permissions)
    expert = request.GET.get("expert") == "1" and permissions.manage_confidential
    domains = list(selectors.domains_of(request.user, tenant))
    by_domain = defaultdict(list)
    for service in selectors.services_of(request.user, tenant):
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
                "endable": any(
                    service.status in (ServiceStatus.ORDERED, ServiceStatus.DEPLOYED) for service in booked
                ),
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
        **_check_context(request, tenant, permissions, run, labeler),
    }
    return render(request, "tenants/detail.html", context)


# --- Domains (TEN-4, TEN-7) ----------------------------------------------------------------------------------


def _catalogue_rows(service_types, booked_by_type: dict | None = None, *, may_book_billable: bool = True):
    """Catalogue entries for the booking overlays: requirements named, already-booked ones marked."""
    rows = []
    for service_type in service_types:
        if service_type.is_base:
            continue
        booked = (booked_by_type or {}).get(service_type.pk)
        rows.append(
            {
                "type": service_type,
                "requires": list(service_type.requires.all()),
                "booked": booked,
                "disabled": booked is not None or (service_type.billable and not may_book_billable),
            }
        )
    return rows


@login_required
def domain_add(request, number):
    """TEN-7 add domain: guided (domain + chosen services, dependencies offered) or expert (``?mode=expert``:
    base service only; confidential flag for partner admins)."""
    tenant, permissions = _tenant_and_permissions(request, number, "book")
    expert = (request.POST.get("mode") or request.GET.get("mode")) == "expert"
    catalogue = list(selectors.service_types(request.user))
    form = DomainAddForm(
        _posted(request),
        service_types=[service_type for service_type in catalogue if not service_type.is_base],
        expert=expert,
        may_mark_confidential=permissions.manage_confidential,
    )
    status, missing = 200, []
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                domain = services.add_domain(
                    actor=request.user,
                    tenant=tenant,
                    name=data["name"],
                    service_types=data.get("service_types") or [],
                    add_dependencies=bool(data.get("add_dependencies")),
                    expert=expert,
                    confidential=bool(data.get("confidential")),
                )
            except services.MissingDependencies as exc:
                status = _refuse(request, form, exc)
                missing = exc.missing
            except DomainError as exc:
                status = _refuse(request, form, exc)
            else:
                labeler = _labeler(request, tenant, permissions)
                messages.success(
                    request,
                    _("%(domain)s was added with %(count)s.")
                    % {
                        "domain": labeler(domain),
                        "count": ngettext("%(n)d service", "%(n)d services", domain.services.count())
                        % {"n": domain.services.count()},
                    },
                )
                return _done(request, _tenant_url(tenant, f"domain-{domain.pk}"))
    base = next((service_type for service_type in catalogue if service_type.is_base), None)
    context = {
        "tenant": tenant,
        "can": permissions,
        "form": form,
        "expert": expert,
        "base": base,
        "catalogue": _catalogue_rows(catalogue),
        "missing": missing,
        "action_url": reverse("tenant_domain_add", args=[tenant.number]),
        "title": _("Add domain manually (expert)") if expert else _("Add a new domain"),
    }
    return _overlay(request, "tenants/overlays/domain_add.html", context, status=status)


@login_required
@require_POST
def domain_confidential(request, number, domain_id):
    """TEN-4 expert mode: partner admins mark a domain confidential (or not)."""
    tenant, permissions = _tenant_and_permissions(request, number, "manage_confidential")
    domain = _domain(request, tenant, domain_id)
    form = ConfidentialForm(request.POST)
    form.is_valid()
    confidential = bool(form.cleaned_data.get("confidential"))
    try:
        services.set_domain_confidential(actor=request.user, domain=domain, confidential=confidential)
    except DomainError as exc:
        _refuse(request, None, exc)
    else:
        message = (
            _("%(domain)s is now confidential: its name is masked for everyone without the right to see it.")
            if confidential
            else _("%(domain)s is no longer confidential.")
        )
        messages.success(request, message % {"domain": domain.unicode_name})
    return _done(request, f"{reverse('tenant_detail', args=[tenant.number])}?expert=1#domain-{domain.pk}")


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


# --- Registered users (TEN-6) ---------------------------------------------------------------------------------


def _email_label(labeler: DomainLabeler, domain, email: str) -> str:
    """A registered user's address as the user may see it: on a confidential domain whose name the user may
    not see, the host part is masked like the domain (TEN-4), as in the API."""
    if labeler.name_visible(domain):
        return email
    local, _at, _host = email.rpartition("@")
    return f"{local}@{labeler(domain)}"


def _users_overlay(request, tenant, permissions, domain, form, *, status: int = 200):
    labeler = _labeler(request, tenant, permissions)
    users = list(selectors.registered_users_of(request.user, domain))
    for registered in users:
        registered.email_label = _email_label(labeler, domain, registered.email)
    context = {
        "tenant": tenant,
        "can": permissions,
        "domain": domain,
        "domain_label": labeler(domain),
        "users": users,
        "form": form,
        "action_url": reverse("tenant_domain_users", args=[tenant.number, domain.pk]),
        "title": _("Registered users"),
    }
    return _overlay(request, "tenants/overlays/users.html", context, status=status)


@login_required
def domain_users(request, number, domain_id):
    """The domain's registered users (they drive billing, TEN-6): everyone who sees the tenant sees the list;
    those with ``change`` (partner sales/tech, customer admins) add and remove."""
    tenant, permissions = _tenant_and_permissions(request, number)
    domain = _domain(request, tenant, domain_id)
    form = RegisteredUserForm(_posted(request))
    status = 200
    if request.method == "POST":
        access.require(request.user, "change", domain)
        status = 400
        if form.is_valid():
            try:
                registered = services.add_registered_user(
                    actor=request.user,
                    domain=domain,
                    email=form.cleaned_data["email"],
                    name=form.cleaned_data["name"],
                )
            except DomainError as exc:
                status = _refuse(request, form, exc)
            else:
                labeler = _labeler(request, tenant, permissions)
                messages.success(
                    request,
                    _("%(email)s is now a registered user of %(domain)s.")
                    % {"email": _email_label(labeler, domain, registered.email), "domain": labeler(domain)},
                )
                if not request.htmx:
                    return redirect(reverse("tenant_domain_users", args=[tenant.number, domain.pk]))
                form, status = RegisteredUserForm(), 200  # stay in the overlay, ready for the next address
    return _users_overlay(request, tenant, permissions, domain, form, status=status)


@login_required
@require_POST
def domain_user_remove(request, number, domain_id, pk):
    tenant, permissions = _tenant_and_permissions(request, number, "change")
    domain = _domain(request, tenant, domain_id)
    registered = selectors.registered_users_of(request.user, domain).filter(pk=pk).first()
    if registered is None:
        raise NotFound()
    status = 200
    try:
        services.remove_registered_user(actor=request.user, registered_user=registered)
    except DomainError as exc:
        status = _refuse(request, None, exc)
    else:
        email = _email_label(_labeler(request, tenant, permissions), domain, registered.email)
        messages.success(request, _("%(email)s was removed.") % {"email": email})
    if request.htmx:
        return _users_overlay(request, tenant, permissions, domain, RegisteredUserForm(), status=status)
    return redirect(reverse("tenant_domain_users", args=[tenant.number, domain.pk]))


# --- Deploy (TEN-7, tech) -------------------------------------------------------------------------------------


@login_required
def tenant_deploy(request, number):
    """TEN-7 deploy domain and services: role ``tech``; offered while something is undeployed."""
    tenant, permissions = _tenant_and_permissions(request, number, "deploy")
    labeler = _labeler(request, tenant, permissions)
    status = 200
    form = ConfirmForm(_posted(request))  # no fields: carries the service's error, if any
    if request.method == "POST":
        try:
            result = services.deploy_tenant(actor=request.user, tenant=tenant)
        except DomainError as exc:
            status = _refuse(request, form, exc)
        else:
            messages.success(request, _deploy_message(result))
            return _done(request, _tenant_url(tenant))
    waiting = list(selectors.services_of(request.user, tenant, statuses=[ServiceStatus.ORDERED]))
    groups: dict[int, dict] = {}
    for service in waiting:
        group = groups.setdefault(
            service.domain_id,
            {"label": labeler(service.domain), "users": service.domain_has_users, "services": []},
        )
        group["services"].append(service)
    context = {
        "tenant": tenant,
        "can": permissions,
        "form": form,
        "groups": list(groups.values()),
        "action_url": reverse("tenant_deploy", args=[tenant.number]),
        "title": _("Deploy domain and services"),
    }
    return _overlay(request, "tenants/overlays/deploy.html", context, status=status)


def _deploy_message(result) -> str:
    domains = {service.domain_id for service in result.services}
    message = ngettext(
        "Deployed: %(services)d service on %(domains)d domain.",
        "Deployed: %(services)d services on %(domains)d domain(s).",
        len(result.services),
    ) % {"services": len(result.services), "domains": len(domains)}
    if result.billing_started:
        message += " " + ngettext(
            "Billing started today for %(n)d service.",
            "Billing started today for %(n)d services.",
            len(result.billing_started),
        ) % {"n": len(result.billing_started)}
    waiting = len(result.services) - len(result.billing_started)
    if waiting:
        message += " " + ngettext(
            "%(n)d service is billed from the day its domain gets its first registered user.",
            "%(n)d services are billed from the day their domain gets its first registered user.",
            waiting,
        ) % {"n": waiting}
    return message


# --- Consistency check (TEN-7) --------------------------------------------------------------------------------


def _check_panel(request, tenant, permissions, run, notice: str = ""):
    labeler = _labeler(request, tenant, permissions)
    context = {
        "tenant": tenant,
        "can": permissions,
        **_check_context(request, tenant, permissions, run, labeler, notice),
    }
    return render(request, "tenants/partials/_check.html", context)


@login_required
@require_POST
def check_start(request, number):
    """Start the asynchronous check (or find the running one); the panel then polls its progress."""
    tenant, permissions = _tenant_and_permissions(request, number, "run_check")
    run, created = services.start_consistency_check(actor=request.user, tenant=tenant)
    notice = "" if created else _("A check is already running; here is its progress.")
    if request.htmx:
        return _check_panel(
            request, tenant, permissions, selectors.check_run_for(request.user, run.pk), notice
        )
    if notice:
        messages.info(request, notice)
    else:
        messages.success(request, _("The check has started. It may take a few minutes."))
    return redirect(_tenant_url(tenant, "check"))


@login_required
@require_GET
def check_status(request, number, pk):
    """The check panel (htmx polls it every two seconds while the run is queued or running)."""
    tenant, permissions = _tenant_and_permissions(request, number)
    run = selectors.check_run_for(request.user, pk)
    if run.tenant_id != tenant.pk:
        raise NotFound()
    if not request.htmx:
        return redirect(_tenant_url(tenant, "check"))
    return _check_panel(request, tenant, permissions, run)


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
