"""Caretaker grants: the overview (DEL-5), a partner's request (DEL-1, no enumeration), a customer's grant and its link (DEL-2), answers, extension and ending (DEL-4)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import access
from portal.errors import DomainError, NotFound, NotPermitted
from portal.forms import form_error
from portal.selectors import audit_events_visible_to

from .. import forms, selectors, services
from ..models import Scope
from ._common import (
    GRANT_ACTIONS,
    _next_or,
    _overview_context,
    grant_rows,
)

# --- DEL-5: the overview ----------------------------------------------------------------------------------


@login_required
def delegation_overview(request):
    context = _overview_context(request)
    template = "delegations/partials/_overview.html" if request.htmx else "delegations/overview.html"
    return render(request, template, context)


def _grant_or_404(request, pk: int):
    try:
        return selectors.grant_for(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc


@login_required
def delegation_detail(request, pk: int):
    """One grant: its facts, the buttons, and its audit trail — what was done with it (DEL-7)."""
    grant = _grant_or_404(request, pk)
    row = grant_rows(request.user, [grant])[0]
    events = audit_events_visible_to(request.user).filter(grant=grant).order_by("-created_at", "-id")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "delegations/detail.html", {"row": row, "grant": grant, "page": page})


@login_required
@require_POST
def delegation_action(request, pk: int, action: str):
    """The lifecycle buttons (DEL-4). Success redirects (or re-renders the overview fragment for htmx); a
    refusal renders the overview with the service's status code and the reason."""
    if action not in GRANT_ACTIONS:
        raise Http404
    grant = _grant_or_404(request, pk)
    service, done = GRANT_ACTIONS[action]
    kwargs: dict = {}
    status = 200
    if action in ("accept", "extend"):
        form = forms.AcceptForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Enter a valid date."))
            return _action_failed(request, 400)
        if form.cleaned_data["expires_on"] is not None:
            kwargs["expires_on"] = form.cleaned_data["expires_on"]
    if action in ("decline", "revoke", "resign"):
        form = forms.ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The reason is too long."))
            return _action_failed(request, 400)
        kwargs["reason"] = form.cleaned_data["reason"]
    try:
        service(actor=request.user, grant=grant, **kwargs)
    except DomainError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        form_error(request, None, exc)
        status = exc.status_code
    else:
        messages.success(request, str(done))
    if status != 200:
        return _action_failed(request, status)
    if request.htmx:
        return render(request, "delegations/partials/_overview.html", _overview_context(request))
    return HttpResponseRedirect(_next_or(request, reverse("delegation_overview")))


def _action_failed(request, status: int):
    # htmx swaps only 2xx answers: the fragment carries the error message instead of the status.
    if request.htmx:
        return render(request, "delegations/partials/_overview.html", _overview_context(request))
    return render(request, "delegations/overview.html", _overview_context(request), status=status)


@login_required
def delegation_extend(request, pk: int):
    """The link in the reminder mail (DEL-4): GET shows what will happen and changes nothing; POST extends
    by the default period, or to the chosen later date."""
    grant = _grant_or_404(request, pk)
    allowed = "extend" in selectors.allowed_actions(request.user, grant) and grant.expires_at is not None
    form = forms.ExtendForm(request.POST if request.method == "POST" else None)
    status = 200
    if not access.can(request.user, "extend", grant):
        status = 403  # seen (e.g. the caretaker) but only the customer extends
    elif not allowed:
        status = 409
    if request.method == "POST" and status == 200:
        if form.is_valid():
            try:
                services.extend_caretaker_access(
                    actor=request.user, grant=grant, expires_on=form.cleaned_data["expires_on"]
                )
            except DomainError as exc:
                form_error(request, form, exc)
                status = exc.status_code
            else:
                messages.success(request, _("Access extended."))
                return redirect("delegation_overview")
        else:
            status = 400
    return render(
        request,
        "delegations/extend.html",
        {
            "grant": grant,
            "row": grant_rows(request.user, [grant])[0],
            "allowed": allowed and status != 403,
            "may_extend": status != 403,
            "days": services.EXTENSION.days,
            "form": form,
        },
        status=status,
    )


# --- DEL-1: a partner asks -------------------------------------------------------------------------------


@login_required
def delegation_request(request):
    """DEL-1. The answer does not depend on whether the tenant exists: the same message, the same redirect."""
    if not forms.accounts_allowing(request.user, "request_caretaker", "partner").exists():
        raise NotPermitted(_("Only partner users with the role Tech can request caretaker access."))
    form = forms.CaretakerRequestForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        active_account=getattr(request, "account", None),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                # With one partner account the field is empty and the service takes that one.
                services.request_caretaker_access(
                    actor=request.user,
                    tenant_number=form.cleaned_data["tenant_number"],
                    scope=form.cleaned_data["scope"],
                    message=form.cleaned_data["message"],
                    partner_account=form.cleaned_data.get("partner_account"),
                )
            except DomainError as exc:
                form_error(request, form, exc)
                status = exc.status_code
            else:
                messages.success(request, str(services.REQUEST_RECEIVED))
                return redirect("delegation_request")
        else:
            status = 400
    return render(request, "delegations/request.html", {"form": form}, status=status)


# --- DEL-2: a customer grants ----------------------------------------------------------------------------


@login_required
def delegation_grant(request):
    """DEL-2 in two steps: the form, then a confirmation page that names everything; only the confirmed POST
    creates the grants and sends the link."""
    if not forms.accounts_allowing(request.user, "delegate", "customer").exists():
        raise NotPermitted(_("Only owners and admins of a customer account can grant access."))
    initial = {}
    if request.method == "GET" and request.GET.get("tenant"):
        initial["tenants"] = list(
            forms.delegable_tenants(request.user)
            .filter(number=request.GET["tenant"].strip().upper())
            .values_list("pk", flat=True)
        )
    form = forms.GrantForm(
        request.POST if request.method == "POST" else None, user=request.user, initial=initial
    )
    step, status = "edit", 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        elif "back" in request.POST:
            step = "edit"
        elif request.POST.get("confirmed") == "1":
            data = form.cleaned_data
            try:
                grants = services.grant_caretaker_access(
                    actor=request.user,
                    tenants=list(data["tenants"]),
                    email=data["email"],
                    scope=data["scope"],
                    expires_on=data["expires_on"],
                    message=data["message"],
                )
            except DomainError as exc:
                form_error(request, form, exc)
                status = exc.status_code
            else:
                messages.success(
                    request,
                    _("%(email)s will receive an e-mail with a link to accept access to %(tenants)s.")
                    % {"email": data["email"], "tenants": ", ".join(g.tenant_number for g in grants)},
                )
                return redirect(reverse("delegation_overview") + "#outgoing")
        else:
            step = "confirm"
    return render(
        request,
        "delegations/grant.html",
        {"form": form, "step": step, "scope_label": _scope_label(form)},
        status=status,
    )


def _scope_label(form) -> str:
    if not form.is_bound or not hasattr(form, "cleaned_data"):
        return ""
    return next((str(label) for value, label in Scope.choices if value == form.cleaned_data.get("scope")), "")


def delegation_accept_link(request):
    """DEL-2: the link from the e-mail. GET shows the offer and changes nothing. POST accepts when logged in with
    the invited e-mail, or signs up with that e-mail and accepts. Another logged-in e-mail is refused (403);
    a used, expired or replaced link answers 410, a tampered one 400 — each with a clear message."""
    token = (request.POST.get("token") or request.GET.get("token") or "").strip()
    signing_up = request.method == "POST" and not request.user.is_authenticated
    signup = forms.SignUpForm(request.POST if signing_up else None)
    status = 200
    if request.method == "POST":
        try:
            if request.user.is_authenticated:
                services.accept_grant_link(actor=request.user, token=token)
            elif signup.is_valid():
                user, _grants = services.sign_up_and_accept_grant_link(
                    token=token, password=signup.cleaned_data["password"], name=signup.cleaned_data["name"]
                )
                login(request, user, backend="accounts.backends.EmailBackend")
            else:
                status = 400
        except DomainError as exc:
            form_error(request, signup if signing_up else None, exc)
            status = exc.status_code
        if status == 200:
            messages.success(request, _("The access is active."))
            return redirect("delegation_overview")
    info = selectors.grant_link_info(token)
    email_matches = request.user.is_authenticated and request.user.email.lower() == info.email.lower()
    if info.state == "invalid":
        status = 400
    elif info.state != "valid":
        status = 410  # used, expired, replaced or withdrawn: gone for GET and POST alike
    elif status == 200 and request.user.is_authenticated and not email_matches:
        status = 403
    return render(
        request,
        "delegations/accept_link.html",
        {
            "info": info,
            "token": token,
            "email_matches": email_matches,
            "signup": signup,
            "link": reverse("delegation_accept_link") + "?" + urlencode({"token": token}),
        },
        status=status,
    )
