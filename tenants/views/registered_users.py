"""Registered users of a domain (billing start, TEN-6), addresses masked on confidential domains (TEN-4)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import access
from portal.errors import DomainError, NotFound

from .. import selectors, services
from ..forms import (
    RegisteredUserForm,
)
from ..masking import Masker
from ._common import (
    _domain,
    _labeler,
    _overlay,
    _posted,
    _refuse,
    _tenant_and_permissions,
)

# --- Registered users (TEN-6) ---------------------------------------------------------------------------------


def _email_label(labeler: Masker, domain, email: str) -> str:
    return labeler.email(email, domain)  # TEN-4: the host part masked like the domain


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
        "name_masked": not labeler.name_visible(domain),
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
