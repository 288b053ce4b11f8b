"""Portal-wide reads: the dashboard and the audit trail, scoped through portal.access (DEL-7)."""

from __future__ import annotations

from django.db.models import QuerySet

from portal import access
from portal.models import AuditEvent


def audit_events_visible_to(user) -> QuerySet[AuditEvent]:
    return access.visible(user, AuditEvent).select_related("actor", "acting_account", "tenant", "grant")


_DASHBOARD_SECTIONS = []


def register_dashboard_section(func) -> None:
    """Apps add ``func(user, account) -> dict`` merged into the dashboard context."""
    _DASHBOARD_SECTIONS.append(func)


def dashboard_for(user, account) -> dict:
    context = {
        "recent_events": audit_events_visible_to(user)[:8],
        "dashboard_sections": [],
    }
    for section in _DASHBOARD_SECTIONS:
        # A section returns its template name under "template" plus its context.
        extra = section(user, account)
        template = extra.pop("template", None)
        if template:
            context["dashboard_sections"].append(template)
        context.update(extra)
    return context
