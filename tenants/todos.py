"""Dashboard to-dos of the tenant side (UI-1 hand-offs, TEN-7): for those who deploy, tenants with services
waiting to be deployed and tenants whose latest check failed or found errors; for those who sell, offers
that lapse within a week. Each to-do links to the place to act. Who sees which list is the authority's
answer (``access.visible(user, Model, action)``), never a role check.
"""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal import access

from .dates import berlin_today
from .models import BookedService, CheckRun, Finding, Offer, ServiceStatus, Tenant
from .selectors import _count

LIMIT = 8
OFFER_DAYS = 7


def _undeployed(user):
    ordered = BookedService.objects.filter(
        domain__tenant=OuterRef("pk"), domain__released_at__isnull=True, status=ServiceStatus.ORDERED
    )
    return (
        access.visible(user, Tenant, "deploy")
        .annotate(waiting=_count(ordered, "domain__tenant"))
        .filter(waiting__gt=0)
        .order_by("number")
    )


def _failed_checks(user):
    latest = CheckRun.objects.filter(tenant=OuterRef("pk")).order_by("-created_at", "-pk")
    tenants = access.visible(user, Tenant, "run_check").annotate(latest_run=Subquery(latest.values("pk")[:1]))
    errors = Finding.objects.filter(run=OuterRef("pk"), severity="error")
    runs = (
        CheckRun.objects.filter(pk__in=tenants.filter(latest_run__isnull=False).values("latest_run"))
        .annotate(has_errors=Exists(errors))
        .filter(Q(status="failed") | Q(has_errors=True))
        .select_related("tenant")
        .order_by("tenant__number")
    )
    return runs


def _lapsing_offers(user, today: datetime.date):
    return (
        access.visible(user, Offer, "book")
        .filter(valid_until__gte=today, valid_until__lte=today + datetime.timedelta(days=OFFER_DAYS))
        .select_related("tenant")
        .order_by("valid_until", "number")
    )


def tenant_todos(user, account=None) -> list[dict]:
    todos = []
    for tenant in _undeployed(user)[:LIMIT]:
        todos.append(
            {
                "kind": "deploy",
                "text": ngettext(
                    "%(tenant)s: %(n)d service waits to be deployed",
                    "%(tenant)s: %(n)d services wait to be deployed",
                    tenant.waiting,
                )
                % {"tenant": f"{tenant.number} {tenant.name}", "n": tenant.waiting},
                "url": reverse("tenant_detail", args=[tenant.number]),
                "action": _("Deploy"),
            }
        )
    for run in _failed_checks(user)[:LIMIT]:
        todos.append(
            {
                "kind": "check",
                "text": (
                    _("%(tenant)s: the last check failed")
                    if run.status == "failed"
                    else _("%(tenant)s: the last check found errors")
                )
                % {"tenant": f"{run.tenant.number} {run.tenant.name}"},
                "url": reverse("tenant_detail", args=[run.tenant.number]) + "#check-panel",
                "action": _("Check again"),
            }
        )
    for offer in _lapsing_offers(user, berlin_today())[:LIMIT]:
        todos.append(
            {
                "kind": "offer",
                "text": _("Offer %(offer)s for %(tenant)s is valid until %(date)s")
                % {
                    "offer": offer.number,
                    "tenant": offer.tenant.number,
                    "date": date_format(offer.valid_until),
                },
                "url": reverse("tenant_offer", args=[offer.tenant.number, offer.pk]),
                "action": _("Follow up"),
            }
        )
    return todos
