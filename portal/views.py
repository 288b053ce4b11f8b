"""Portal-wide pages: dashboard, audit trail, error pages. Implements DEL-7, UI-1 (the account switcher and the
language switch are the accounts app's pages)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import csrf, defaults

from portal import audit_text
from portal.api import api_path, json_error_for
from portal.csv import csv_response
from portal.filtersets import AuditEventFilterSet
from portal.selectors import audit_events_visible_to, dashboard_for


@login_required
def dashboard(request):
    return render(request, "portal/dashboard.html", dashboard_for(request.user, request.account))


AUDIT_PAGE_SIZES = (25, 50, 100)


@login_required
def audit_trail(request):
    """DEL-7: the trail as sentences in the reader's language, filtered by who, action, tenant and period,
    paged, with links to the objects, and exported as CSV (the same filters)."""
    filterset = AuditEventFilterSet(request.GET, queryset=audit_events_visible_to(request.user))
    events = filterset.qs.select_related("target_type")
    if request.GET.get("format") == "csv":
        return _audit_csv(events, request.user)
    per_page = _page_size(request, AUDIT_PAGE_SIZES, 50)
    page = Paginator(events, per_page).get_page(request.GET.get("page"))
    rows = [
        {
            "event": event,
            "sentence": audit_text.sentence(event),
            "details": audit_text.details(event),
            "url": audit_text.object_url(event),
            "object": audit_text.object_label(event),
        }
        for event in audit_text.prepare(page, request.user)
    ]
    return render(
        request,
        "portal/audit.html",
        {
            "page": page,
            "rows": rows,
            "filter": filterset,
            "tenant_filter": request.GET.get("tenant", ""),
            "page_sizes": AUDIT_PAGE_SIZES,
            "per_page": per_page,
        },
    )


def _page_size(request, allowed, default: int) -> int:
    try:
        value = int(request.GET.get("per_page", default))
    except ValueError:
        return default
    return value if value in allowed else default


def _audit_csv(events, viewer):
    header = [
        _("Time"),
        _("Who"),
        _("Acting for"),
        _("Action"),
        _("What happened"),
        _("Object"),
        _("Tenant"),
        _("Via grant"),
        _("Details"),
    ]

    def rows():
        for event in _prepared_chunks(events, viewer):
            yield [
                timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                event.actor.email if event.actor else _("system"),
                event.acting_account.name if event.acting_account else "",
                audit_text.action_label(event.action),
                audit_text.sentence(event),
                audit_text.object_label(event),
                event.tenant.number if event.tenant else "",
                f"#{event.grant_id}" if event.grant_id else "",
                "; ".join(f"{label}: {value}" for label, value in audit_text.details(event)),
            ]

    return csv_response(f"audit-{timezone.localdate().isoformat()}.csv", header, rows())


def _prepared_chunks(events, viewer, size: int = 500):
    """The export streams in chunks; each chunk is prepared for the reader (masking) before it is written."""
    chunk = []
    for event in events.iterator(chunk_size=size):
        chunk.append(event)
        if len(chunk) == size:
            yield from audit_text.prepare(chunk, viewer)
            chunk = []
    yield from audit_text.prepare(chunk, viewer)


@login_required
def nav_status(request):
    """The bell and the navigation badges, re-read after an htmx action (``portal:changed``) and every minute,
    so counts stay current without a reload (UI-1). The badges travel as out-of-band swaps."""
    from portal.context_processors import navigation

    main, bell = navigation(request)
    if bell is None:
        return HttpResponse(status=204)
    return render(request, "portal/_nav_status.html", {"main_nav": main, "nav_bell": bell})


def _back_url(request) -> str:
    """Where "back" leads from an error page: the page the user came from (same site only), else the overview."""
    referer = request.META.get("HTTP_REFERER") or ""
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        path = referer
        if urlsplit(referer).path != request.path:
            return path
    return ""


def not_found(request, exception=None):
    if api_path(request):
        return json_error_for(request, 404, exception)
    return render(request, "404.html", {"back_url": _back_url(request)}, status=404)


def forbidden(request, exception=None):
    if api_path(request):
        return json_error_for(request, 403, exception)
    reason = str(getattr(exception, "detail", "") or exception or "") if exception else ""
    return render(request, "403.html", {"reason": reason, "back_url": _back_url(request)}, status=403)


def bad_request(request, exception=None):
    if api_path(request):
        return json_error_for(request, 400, exception)
    return defaults.bad_request(request, exception)


def server_error(request):
    if api_path(request):
        return json_error_for(request, 500)
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    """CSRF refusals: the API's error body under /api/, Django's page elsewhere."""
    if api_path(request):
        return json_error_for(request, 403)
    return csrf.csrf_failure(request, reason)


def favicon(request):
    return HttpResponseRedirect(static("favicon.svg"))
