"""Dashboard to-dos of delegated access (UI-1 hand-offs, DEL-4, DEL-5): requests waiting for the user's
answer, and grants on the user's tenants that end within a week (extend or let them end). Each links to
the place to act; the lists are the selectors' (scoped by the authority)."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import selectors
from .display import grant_end

SOON = timedelta(days=7)


def delegation_todos(user, account=None) -> list[dict]:
    todos = []
    waiting = selectors.incoming_requests_for(user).count() + selectors.management_requests_for(user).count()
    if waiting:
        todos.append(
            {
                "kind": "requests",
                "text": ngettext(
                    "%(n)d request waits for your answer", "%(n)d requests wait for your answer", waiting
                )
                % {"n": waiting},
                "url": reverse("delegation_overview") + "#incoming",
                "action": _("Answer"),
            }
        )
    now = timezone.now()
    ending = selectors.granted_by(user).filter(expires_at__isnull=False, expires_at__lte=now + SOON)
    for grant in ending.order_by("expires_at")[:8]:
        todos.append(
            {
                "kind": "expiring",
                "text": _("Access of %(caretaker)s to %(tenant)s ends: %(end)s")
                % {
                    "caretaker": grant.caretaker_email,
                    "tenant": grant.tenant_number,
                    "end": grant_end(grant.expires_at),
                },
                "url": reverse("delegation_detail", args=[grant.pk]),
                "action": _("Extend or let it end"),
            }
        )
    return todos
