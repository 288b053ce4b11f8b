"""Delegation pages (UI-1). Implements DEL-1 (request form, no enumeration, rate-limit message), DEL-2 (grant form
with confirmation step, the link page), DEL-4 (lifecycle buttons, one-click extension), DEL-5 (the overview),
DEL-7 (a grant's own trail), ACC-4 (managed accounts: request, answer, notice, dissolution) and the in-app
notifications.

Reads go through ``delegations.selectors`` (scoped by ``portal.access``: unseen objects answer 404), writes
through ``delegations.services`` (refused 403, wrong state 409, bad input 400, rate limit 429). A POST that
fails renders its page again with the service's status code and changes nothing; a POST that succeeds
redirects (htmx requests get the refreshed fragment instead).

URL names: ``delegation_overview``, ``delegation_request``, ``delegation_grant``, ``delegation_detail``,
``delegation_accept_link`` (``?token=``), ``delegation_extend``, ``delegation_action`` (pk, action),
``notification_list``, ``notification_read``, ``notification_read_all``, ``managed_account_list``,
``management_request``, ``managed_account_detail``, ``management_action`` (pk, action).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal import access
from portal.errors import DomainError, NotFound, NotPermitted
from portal.forms import form_error
from portal.selectors import audit_events_visible_to

from . import forms, rules, selectors, services
from .models import GrantOrigin, GrantStatus, ManagedAccountStatus, Scope

GRANT_ACTIONS = {
    "accept": (services.accept_delegation, gettext_lazy("Accepted. The access is active.")),
    "decline": (services.decline_delegation, gettext_lazy("Declined.")),
    "withdraw": (services.withdraw_delegation, gettext_lazy("Withdrawn.")),
    "resend": (services.resend_grant_link, gettext_lazy("A new link was sent; the old one no longer works.")),
    "revoke": (services.revoke_caretaker_access, gettext_lazy("Access revoked.")),
    "resign": (services.resign_caretaker_access, gettext_lazy("You resigned as caretaker.")),
    "extend": (services.extend_caretaker_access, gettext_lazy("Access extended.")),
}
GRANT_LABELS = {
    "accept": gettext_lazy("Accept"),
    "decline": gettext_lazy("Decline"),
    "withdraw": gettext_lazy("Withdraw"),
    "resend": gettext_lazy("Send link again"),
    "revoke": gettext_lazy("Revoke"),
    "resign": gettext_lazy("Resign"),
    "extend": gettext_lazy("Extend by %(days)d days"),
}
GRANT_CONFIRM = {
    "decline": gettext_lazy("Decline this request?"),
    "withdraw": gettext_lazy("Withdraw this request?"),
    "revoke": gettext_lazy("Revoke this access now? The caretaker loses it at once."),
    "resign": gettext_lazy("Give up this access now?"),
}
MANAGEMENT_ACTIONS = {
    "approve": (services.approve_management, gettext_lazy("Approved. The partner now manages the account.")),
    "decline": (services.decline_management, gettext_lazy("Declined.")),
    "withdraw": (services.withdraw_management, gettext_lazy("Withdrawn.")),
    "notify_partner": (
        services.notify_partner_of_dissolution,
        gettext_lazy("The partner has been notified. You can now dissolve the relation."),
    ),
    "dissolve": (services.dissolve_management, gettext_lazy("Dissolved. The partner's access has ended.")),
}
MANAGEMENT_LABELS = {
    "approve": gettext_lazy("Approve"),
    "decline": gettext_lazy("Decline"),
    "withdraw": gettext_lazy("Withdraw"),
    "notify_partner": gettext_lazy("Notify the partner"),
    "dissolve": gettext_lazy("Dissolve"),
}
MANAGEMENT_CONFIRM = {
    "decline": gettext_lazy("Decline this request?"),
    "withdraw": gettext_lazy("Withdraw this request?"),
    "dissolve": gettext_lazy("Dissolve the management now? The partner loses its access at once."),
}
DANGER = {"decline", "withdraw", "revoke", "resign", "dissolve"}


@dataclass
class Button:
    action: str
    label: str
    danger: bool
    confirm: str


@dataclass
class Row:
    """One grant as the viewing user sees it, with the buttons its role and the grant's state allow."""

    grant: object
    tenant_label: str
    customer_name: str
    status: str
    status_label: str
    buttons: list
    accept_with_expiry: bool
    tenant_link: bool


def _grant_buttons(grant, actions: list[str]) -> list[Button]:
    actions = list(actions)
    if "extend" in actions and grant.expires_at is None:
        actions.remove("extend")  # nothing to extend: the access runs until revoked
    if "withdraw" in actions and grant.origin == GrantOrigin.GRANT:
        actions.insert(actions.index("withdraw"), "resend")
    return [
        Button(
            action=action,
            label=str(GRANT_LABELS[action]) % {"days": services.EXTENSION.days}
            if action == "extend"
            else str(GRANT_LABELS[action]),
            danger=action in DANGER,
            confirm=str(GRANT_CONFIRM.get(action, "")),
        )
        for action in actions
    ]


def grant_rows(user, grants) -> list[Row]:
    rows = []
    for row in selectors.grant_rows(user, grants):
        grant = row.grant
        status = grant.effective_status
        rows.append(
            Row(
                grant=grant,
                tenant_label=row.tenant_label,
                customer_name=row.customer_name,
                status=status,
                status_label=str(GrantStatus(status).label),
                buttons=_grant_buttons(grant, row.actions),
                accept_with_expiry="accept" in row.actions and grant.origin == GrantOrigin.REQUEST,
                tenant_link=status == GrantStatus.ACTIVE and bool(row.customer_name),
            )
        )
    return rows


def management_buttons(user, relation) -> list[Button]:
    actions = selectors.allowed_management_actions(user, relation)
    if (
        "dissolve" in actions
        and relation.partner_notified_at is None
        and rules.is_vendor_dissolution(user, relation)
    ):
        actions.remove(
            "dissolve"
        )  # vendor staff dissolve on the owner's behalf only after notifying the partner
    return [
        Button(
            action=action,
            label=str(MANAGEMENT_LABELS[action]),
            danger=action in DANGER,
            confirm=str(MANAGEMENT_CONFIRM.get(action, "")),
        )
        for action in actions
    ]


def _next_or(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _capabilities(user) -> dict:
    return {
        "can_request": forms.accounts_allowing(user, "request_caretaker", "partner").exists(),
        "can_grant": forms.accounts_allowing(user, "delegate", "customer").exists(),
        "can_request_management": forms.accounts_allowing(user, "request_management", "partner").exists(),
        "is_vendor_staff": access.is_vendor_staff(user),
    }


# --- DEL-5: the overview ----------------------------------------------------------------------------------


def _overview_context(request) -> dict:
    user = request.user
    overview = selectors.delegation_overview(user)
    to_answer = list(overview.management_requests)
    sections = [
        (
            "incoming",
            _("Open requests"),
            _("Requests and invitations waiting for your answer."),
            overview.incoming,
            overview.counts["incoming"],
        ),
        (
            "outgoing",
            _("Sent requests"),
            _("Requests and invitations you sent that are not answered yet."),
            overview.outgoing,
            overview.counts["outgoing"],
        ),
        (
            "granted",
            _("Granted (as customer)"),
            _("Caretakers who have access to your tenants."),
            overview.granted,
            overview.counts["granted"],
        ),
        (
            "caretaking",
            _("Managed (as caretaker)"),
            _("Tenants of other customers you look after."),
            overview.caretaking,
            overview.counts["caretaking"],
        ),
    ]
    capabilities = _capabilities(user)
    # "Granted (as customer)" lists grants the user may revoke: only owners/admins of a customer account
    # (``delegate``) can ever have rows there. Hide it from everyone else (partner users, vendor staff, members
    # without the right) instead of showing a section that is always empty.
    if not capabilities["can_grant"]:
        sections = [section for section in sections if section[0] != "granted"]
    return {
        "overview": overview,
        "sections": [
            {"key": key, "title": title, "hint": hint, "rows": grant_rows(user, grants), "count": count}
            for key, title, hint, grants, count in sections
        ],
        "history": grant_rows(user, overview.history),
        "management_requests": [
            {"relation": relation, "buttons": management_buttons(user, relation)} for relation in to_answer
        ],
        "management_rows": [
            {"relation": relation, "buttons": management_buttons(user, relation)}
            for relation in overview.managed_accounts
            if relation.pk not in {r.pk for r in to_answer}  # answered above, under "Open requests"
        ],
        "unread_notifications": selectors.unread_notification_count(user),
        **capabilities,
    }


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


# --- In-app notifications ---------------------------------------------------------------------------------


@login_required
def notification_list(request):
    notifications = selectors.notifications_for(request.user).order_by("-created_at", "-id")
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "delegations/notifications.html",
        {"page": page, "unread": selectors.unread_notification_count(request.user)},
    )


@login_required
@require_POST
def notification_read(request, pk: int):
    notification = selectors.notifications_for(request.user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    services.mark_notification_read(actor=request.user, notification=notification)
    if request.htmx:
        return render(request, "delegations/partials/_notification.html", {"notification": notification})
    return HttpResponseRedirect(_next_or(request, reverse("notification_list")))


@login_required
@require_POST
def notification_read_all(request):
    count = services.mark_all_notifications_read(actor=request.user)
    if count:
        messages.success(request, _("All notifications marked as read."))
    return redirect("notification_list")


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
    if query:
        relations = relations.filter(
            Q(customer_account__number__icontains=query)
            | Q(customer_account__name__icontains=query)
            | Q(partner_account__name__icontains=query)
        )
    page = Paginator(relations, 50).get_page(request.GET.get("page"))
    rows = [
        {"relation": relation, "buttons": management_buttons(request.user, relation)} for relation in page
    ]
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
                relation = services.request_management(
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
                messages.success(request, _("The owners of the account have been asked."))
                return redirect("managed_account_detail", pk=relation.pk)
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
        "buttons": management_buttons(request.user, relation),
        "notice_form": extra.pop("notice_form", None) or forms.NoticeForm(),
        "reason_form": extra.pop("reason_form", None) or forms.ReasonForm(),
        "on_behalf": access.is_vendor_staff(request.user)
        and relation.customer_account_id not in access.roles_by_account(request.user),
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
