"""Portal-wide reads: the dashboard and the audit trail, scoped through portal.access (DEL-7)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal import access, audit_text
from portal.models import AuditEvent


def audit_events_visible_to(user, *, tenant_number: str | None = None) -> QuerySet[AuditEvent]:
    """The trail the user may read, optionally about one tenant number.

    The tenant filter matches the number as the events recorded it (``changes.tenant_number``, written by
    every caretaker-grant event) as well as the tenant the event is linked to: a requester's own
    "caretaker access requested" row carries the typed number whether or not such a tenant exists, so the
    filtered trail looks the same either way (DEL-1: no enumeration through the audit trail).
    """
    events = access.visible(user, AuditEvent).select_related("actor", "acting_account", "tenant", "grant")
    if tenant_number:
        events = events.filter(about_tenant_number(tenant_number))
    return events


def about_tenant_number(number: str) -> Q:
    """Events about a tenant number as they recorded it (``changes.tenant_number``) or as linked: the one
    definition of the trail's tenant filter (page, export, API)."""
    number = (number or "").strip().upper()
    return Q(tenant__number=number) | Q(changes__tenant_number=number)


_DASHBOARD_SECTIONS = []


def register_dashboard_section(func) -> None:
    """Apps add ``func(user, account) -> dict`` merged into the dashboard context."""
    _DASHBOARD_SECTIONS.append(func)


_TODO_SOURCES = []


def register_todo_source(func) -> None:
    """Apps add ``func(user, account) -> list[{"kind", "text", "url", "action"}]``: the dashboard's to-dos,
    each linking to the place to act (UI-1 hand-offs). A source returns only what the user may act on."""
    _TODO_SOURCES.append(func)


def todos_for(user, account) -> list[dict]:
    return [todo for source in _TODO_SOURCES for todo in source(user, account)]


def dashboard_for(user, account) -> dict:
    context = {
        "recent_events": audit_text.prepare(audit_events_visible_to(user)[:8], user),
        "dashboard_sections": [],
        "todos": todos_for(user, account),
    }
    for section in _DASHBOARD_SECTIONS:
        # A section returns its template name under "template" plus its context.
        extra = section(user, account)
        template = extra.pop("template", None)
        if template:
            context["dashboard_sections"].append(template)
        context.update(extra)
    return context
