"""Adding domains (guided and expert) and the confidential flag. Implements TEN-4, TEN-7."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from portal.errors import DomainError

from .. import selectors, services
from ..forms import (
    ConfidentialForm,
    DomainAddForm,
)
from ._common import (
    _catalogue_rows,
    _domain,
    _done,
    _labeler,
    _overlay,
    _posted,
    _refuse,
    _running_total,
    _tenant_and_permissions,
    _tenant_url,
)

# --- Domains (TEN-4, TEN-7) ----------------------------------------------------------------------------------


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
        "running_total": _running_total(
            _catalogue_rows(catalogue), [] if expert else form["service_types"].value(), base
        ),
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
        messages.success(request, message % {"domain": _labeler(request, tenant, permissions)(domain)})
    return _done(request, f"{reverse('tenant_detail', args=[tenant.number])}?expert=1#domain-{domain.pk}")
