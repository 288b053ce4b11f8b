"""Deploy (tech) and the asynchronous consistency check with live progress. Implements TEN-7."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from portal.errors import DomainError, NotFound

from .. import selectors, services
from ..forms import (
    ConfirmForm,
)
from ..models import ServiceStatus
from ._common import (
    _check_context,
    _done,
    _labeler,
    _overlay,
    _posted,
    _refuse,
    _tenant_and_permissions,
    _tenant_url,
)

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
