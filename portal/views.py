"""Portal-wide pages: dashboard, audit trail, error pages. Implements DEL-7, UI-1 (the account switcher and the
language switch are the accounts app's pages)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from portal.selectors import audit_events_visible_to, dashboard_for


@login_required
def dashboard(request):
    return render(request, "portal/dashboard.html", dashboard_for(request.user, request.account))


@login_required
def audit_trail(request):
    events = audit_events_visible_to(request.user)
    tenant = request.GET.get("tenant")
    if tenant:
        events = events.filter(tenant__number=tenant)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "portal/audit.html", {"page": page, "tenant_filter": tenant})


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


def forbidden(request, exception=None):
    return render(request, "403.html", {"reason": str(exception) if exception else ""}, status=403)
