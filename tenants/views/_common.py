"""Helpers shared by the tenant pages (UI-1): overlays, refusals, the tenant and its permissions for a request."""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlsplit

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy

from portal import access
from portal.errors import DomainError, NotFound, NotPermitted
from portal.forms import form_error

from .. import selectors
from ..checks import describe_finding
from ..masking import Masker

PER_PAGE = 25
PAGE_SIZES = (25, 50, 100)

# Why a button is shown disabled (UI-1): the role that has the action. Which actions the user has comes from
# the authority (selectors.tenant_permissions); these only say who else does.
ACTION_REASONS = {
    "book": gettext_lazy("Only the partner's Sales role adds domains and books services."),
    "deploy": gettext_lazy("Only the partner's Tech role deploys domains and services."),
    "create_offer": gettext_lazy("Only the partner's Sales role creates offers."),
    "create_tenant": gettext_lazy("Only a partner's Sales role creates tenants."),
}


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


def _labeler(request, tenant, permissions) -> Masker:
    labeler = Masker(request.user)
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
    return selectors.reseller_partners(user)


def _managed_customers(user, partners):
    """Customer accounts in which the user may create tenants (the authority's ``create_tenant``)."""
    return selectors.customers_for_new_tenants(user)


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


def _running_total(rows, chosen, base=None):
    """The monthly total of what is ticked in a booking overlay (the page keeps it current as boxes change)."""
    chosen = set(chosen or [])
    total = sum(
        (row["type"].monthly_price for row in rows if row["type"].code in chosen and not row["disabled"]),
        start=base.monthly_price if base is not None else 0,
    )
    return total
