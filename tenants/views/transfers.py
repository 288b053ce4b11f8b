"""Tenant transfers on the pages (TEN-1, issue 8 §5): an owner requests on the tenant page; owners of either
side see their transfers (history included) and approve or decline. The buttons are the transition table's
actions for the user (tenants.services.transfer_actions), the same as the API's ``actions``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portal.errors import InvalidTransition, NotFound, RuleViolation

from .. import selectors, services


@login_required
@require_POST
def tenant_transfer_request(request, number):
    tenant = selectors.tenant_for(request.user, number)
    try:
        target = selectors.transfer_target(request.POST.get("to_account", ""))
        services.request_transfer(actor=request.user, tenant=tenant, to_account=target)
    except (RuleViolation, InvalidTransition) as exc:  # refusals of the role stay 403 (NotPermitted)
        messages.error(request, str(exc.detail))
        return redirect(reverse("tenant_detail", args=[tenant.number]) + "#transfer")
    messages.success(
        request, _("The transfer to %(account)s waits for its owner's approval.") % {"account": target.number}
    )
    return redirect(reverse("tenant_transfers"))


@login_required
@require_GET
def tenant_transfers(request):
    transfers = list(selectors.transfers_for(request.user)[:200])
    for transfer in transfers:
        transfer.actions = services.transfer_actions(request.user, transfer)
    return render(request, "tenants/transfers.html", {"transfers": transfers, "title": _("Tenant transfers")})


@login_required
@require_POST
def tenant_transfer_answer(request, pk, answer):
    if answer not in ("approve", "decline"):
        raise NotFound()
    transfer = selectors.transfer_for(request.user, pk)
    try:
        getattr(services, f"{answer}_transfer")(actor=request.user, transfer=transfer)
    except InvalidTransition as exc:  # answered already: say so; a refused role stays 403
        messages.error(request, str(exc.detail))
    else:
        messages.success(request, _("Your answer was recorded."))
    return redirect(reverse("tenant_transfers"))
