"""Managed accounts: request, approve, decline, dissolve (ACC-4)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.errors import DomainError, NotFound, NotPermitted
from portal.forms import form_error

from .. import forms, selectors, services
from ..models import ManagedAccountStatus
from ._common import (
    MANAGEMENT_ACTIONS,
    _capabilities,
    _next_or,
    _overview_context,
    management_buttons,
    management_row,
)

# --- ACC-4: managed accounts --------------------------------------------------------------------------------


@login_required
def managed_account_list(request):
    """Relations the user may see: the customer's and the partner's own; for vendor staff all of them, so that
    support can find one and dissolve it on the owner's behalf."""
    status = request.GET.get("status") or ""
    if status and status not in ManagedAccountStatus.values:
        status = ""
    relations = selectors.managed_accounts_for(request.user, status=status or None)
    query = (request.GET.get("q") or "").strip()
    relations = selectors.search_managed_accounts(request.user, relations, query)
    page = Paginator(relations, 50).get_page(request.GET.get("page"))
    rows = [management_row(request.user, relation) for relation in page]
    return render(
        request,
        "delegations/managed_list.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "q": query,
            "statuses": ManagedAccountStatus.choices,
            **_capabilities(request.user),
        },
    )


@login_required
def management_request(request):
    """ACC-4: a partner (admin or sales) asks a customer's owner for permission to manage its account."""
    if not forms.accounts_allowing(request.user, "request_management", "partner").exists():
        raise NotPermitted(_("Only partner admins and sales staff can request to manage an account."))
    form = forms.ManagementRequestForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        active_account=getattr(request, "account", None),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.request_management(
                    actor=request.user,
                    customer_number=form.cleaned_data["customer_number"],
                    scope=form.cleaned_data["scope"],
                    message=form.cleaned_data["message"],
                    partner_account=form.cleaned_data.get("partner_account"),
                )
            except DomainError as exc:
                form_error(request, form, exc)
                status = exc.status_code
            else:
                # The same answer whether or not the number exists (ACC-4, no enumeration).
                messages.success(request, str(services.MANAGEMENT_REQUEST_RECEIVED))
                return redirect("managed_account_list")
        else:
            status = 400
    return render(request, "delegations/management_request.html", {"form": form}, status=status)


def _relation_or_404(request, pk: int):
    try:
        return selectors.managed_account_for(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc


def _relation_context(request, relation, **extra) -> dict:
    return {
        "relation": relation,
        "customer_name": relation.customer_account.name
        if selectors.customer_disclosed(request.user, relation)
        else "",
        "buttons": management_buttons(request.user, relation),
        "notice_form": extra.pop("notice_form", None) or forms.NoticeForm(),
        "reason_form": extra.pop("reason_form", None) or forms.ReasonForm(),
        "on_behalf": selectors.dissolves_on_behalf(request.user, relation),
        **extra,
    }


@login_required
def managed_account_detail(request, pk: int):
    relation = _relation_or_404(request, pk)
    return render(request, "delegations/managed_detail.html", _relation_context(request, relation))


@login_required
@require_POST
def management_action(request, pk: int, action: str):
    if action not in MANAGEMENT_ACTIONS:
        raise Http404
    relation = _relation_or_404(request, pk)
    service, done = MANAGEMENT_ACTIONS[action]
    kwargs: dict = {}
    notice_form = reason_form = None
    if action == "notify_partner":
        notice_form = forms.NoticeForm(request.POST)
        if not notice_form.is_valid():
            return _management_failed(request, relation, 400, notice_form=notice_form)
        kwargs["notice"] = notice_form.cleaned_data["notice"]
    if action in ("decline", "dissolve"):
        reason_form = forms.ReasonForm(request.POST)
        if not reason_form.is_valid():
            return _management_failed(request, relation, 400, reason_form=reason_form)
        kwargs["reason"] = reason_form.cleaned_data["reason"]
    try:
        service(actor=request.user, relation=relation, **kwargs)
    except DomainError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        form_error(request, notice_form or reason_form, exc)
        return _management_failed(
            request, relation, exc.status_code, notice_form=notice_form, reason_form=reason_form
        )
    messages.success(request, str(done))
    if request.htmx:
        return render(request, "delegations/partials/_overview.html", _overview_context(request))
    return HttpResponseRedirect(_next_or(request, reverse("managed_account_detail", args=[relation.pk])))


def _management_failed(request, relation, status: int, **forms_):
    if request.htmx:
        return render(request, "delegations/partials/_overview.html", _overview_context(request))
    relation = _relation_or_404(request, relation.pk)
    return render(
        request,
        "delegations/managed_detail.html",
        _relation_context(request, relation, **forms_),
        status=status,
    )
