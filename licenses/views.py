"""Licence pages (UI-1; LIC-1..LIC-6, SUB-2, SUB-3). Reseller: customers, the issue page within its frame, its
licences (keyset pages). Customer admin: pools and seats, activations, move, restore. Vendor: catalogue and
authorizations. Reads through ``licenses.selectors``, writes through ``licenses.services``; refusals of the
services show as messages or form errors, unseen licences answer 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal import access
from portal.errors import DomainError, NotFound, NotPermitted

from . import forms, selectors, services
from .models import Kind, License, ProductGroup, ResellerAuthorization, Status
from .transitions import LICENSE, TRANSFER


def _account(request):
    account = getattr(request, "account", None)
    if account is None:
        raise NotFound()
    return account


def _refuse(request, form, exc: DomainError) -> None:
    for field, errors in (exc.fields or {}).items():
        for error in errors if isinstance(errors, list | tuple) else [errors]:
            form.add_error(field if field in form.fields else None, error)
    if not exc.fields:
        form.add_error(None, exc.detail)


@login_required
def license_list(request):
    """Every licence the user sees, newest first, a keyset page at a time (constant cost per page)."""
    params = request.GET
    queryset = selectors.licenses_visible_to(request.user)
    account = getattr(request, "account", None)
    scope = params.get("scope", "")
    if account is not None and scope == "issued":
        queryset = queryset.filter(issuer=account)
    elif account is not None and scope == "held":
        queryset = queryset.filter(holder=account)
    elif scope == "mine":
        queryset = queryset.filter(assigned_user=request.user)
    queryset = selectors.filter_licenses(
        queryset, kind=params.get("kind", ""), status=params.get("status", ""), q=params.get("q", "")[:100]
    )
    rows, cursor = selectors.page(queryset, params.get("cursor"), 50)
    next_query = None
    if cursor:
        query = params.copy()
        query["cursor"] = cursor
        next_query = query.urlencode()
    return render(
        request,
        "licenses/list.html",
        {
            "licenses": rows,
            "next_query": next_query,
            "kinds": Kind.choices,
            "statuses": Status.choices,
            "filters": params,
            "scope": scope,
            "may_issue": account is not None
            and access.can(request.user, "resell", account)
            and selectors.issuable_groups(request.user, account).exists(),
        },
    )


ACTION_MESSAGES = {
    "cancel": gettext_lazy("Cancelled. The licence runs to the end of its period."),
    "void": gettext_lazy("Voided. The licence is recalled at its next check-in."),
    "assign": gettext_lazy("Assignment saved."),
    "activate": gettext_lazy("Activated on this machine."),
    "move": gettext_lazy("Moved to the other machine."),
    "restore": gettext_lazy("Restored. The old activations are revoked."),
    "propose_move": gettext_lazy("Move proposed. The other side has to accept it."),
}


def _detail_context(request, license: License, **forms_) -> dict:
    actions = LICENSE.actions_for(request.user, license)
    context = {
        "license": license,
        "actions": actions,
        "activations": list(selectors.activations_of(license)[:50]),
        "live_count": selectors.live_activations(license).count(),
        "transfers": [
            (transfer, TRANSFER.actions_for(request.user, transfer))
            for transfer in selectors.transfers_for(request.user).filter(license=license)
        ],
        "hoster": selectors.hosted_by_partner(license),
        "assign_form": forms.AssignForm(
            members=selectors.members_of(license.holder), initial={"user": license.assigned_user_id}
        ),
        "activate_form": forms.FingerprintForm(),
        "move_form": forms.MoveForm(),
        "restore_form": forms.RestoreForm(),
        "swap_form": forms.SwapForm(products=selectors.products_for_reseller(request.user, license.issuer))
        if "swap" in actions
        else None,
    }
    context.update(forms_)
    return context


@login_required
def license_detail(request, key):
    license = selectors.license_for(request.user, key)
    if license.key != key:
        return redirect("license_detail", key=license.key)
    if request.method != "POST":
        return render(request, "licenses/detail.html", _detail_context(request, license))
    action = request.POST.get("action", "")
    bound = {}
    try:
        if action == "cancel":
            services.cancel_license(actor=request.user, license=license)
        elif action == "void":
            services.void_license(actor=request.user, license=license, reason="refund")
        elif action == "swap":
            form = forms.SwapForm(
                request.POST, products=selectors.products_for_reseller(request.user, license.issuer)
            )
            bound["swap_form"] = form
            if not form.is_valid():
                raise _Invalid
            new = services.swap_license(
                actor=request.user,
                license=license,
                product=form.cleaned_data["product"],
                term=form.cleaned_data["term"] or None,
            )
            messages.success(request, _("Swapped. The new licence is %(key)s.") % {"key": new.key})
            return redirect("license_detail", key=new.key)
        elif action == "assign":
            form = forms.AssignForm(request.POST, members=selectors.members_of(license.holder))
            bound["assign_form"] = form
            if not form.is_valid():
                raise _Invalid
            services.assign_license(actor=request.user, license=license, user=form.cleaned_data["user"])
        elif action == "activate":
            form = forms.FingerprintForm(request.POST)
            bound["activate_form"] = form
            if not form.is_valid():
                raise _Invalid
            services.activate_license(
                actor=request.user, license=license, fingerprint=form.cleaned_data["fingerprint"]
            )
        elif action == "move":
            form = forms.MoveForm(request.POST)
            bound["move_form"] = form
            if not form.is_valid():
                raise _Invalid
            services.move_license(actor=request.user, license=license, **form.cleaned_data)
        elif action == "restore":
            form = forms.RestoreForm(request.POST)
            bound["restore_form"] = form
            if not form.is_valid():
                raise _Invalid
            services.restore_license(
                actor=request.user, license=license, fingerprint=form.cleaned_data["fingerprint"] or None
            )
        elif action == "propose_move":
            services.propose_move(actor=request.user, license=license)
        else:
            raise NotFound()
    except _Invalid:
        return render(request, "licenses/detail.html", _detail_context(request, license, **bound), status=400)
    except (NotFound, NotPermitted):
        raise
    except DomainError as exc:
        form = next(iter(bound.values()), None)
        if form is not None:
            _refuse(request, form, exc)
            return render(
                request, "licenses/detail.html", _detail_context(request, license, **bound), status=400
            )
        messages.error(request, exc.detail)
        return redirect("license_detail", key=license.key)
    messages.success(request, ACTION_MESSAGES[action])
    return redirect("license_detail", key=license.key)


class _Invalid(Exception):
    pass


@login_required
@require_POST
def transfer_answer(request, pk, action):
    transfer = selectors.transfer_for(request.user, pk)
    if action not in ("accept", "decline", "withdraw"):
        raise NotFound()
    try:
        services.answer_move(actor=request.user, transfer=transfer, action=action)
    except (NotFound, NotPermitted):
        raise
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request,
            {
                "accept": _("Accepted. The licence moved."),
                "decline": _("Declined."),
                "withdraw": _("Withdrawn."),
            }[action],
        )
    if access.can(request.user, "view", transfer.license):
        return redirect("license_detail", key=transfer.license.key)
    return redirect("license_list")


@login_required
def license_issue(request):
    """LIC-3: the active reseller account issues a licence within its frame (LIC-2)."""
    account = _account(request)
    access.require(request.user, "view", account)
    if (
        not access.can(request.user, "resell", account)
        or not selectors.issuable_groups(request.user, account).exists()
    ):
        raise NotPermitted(_("Only sales members of an authorized reseller issue licences."))
    products = selectors.products_for_reseller(request.user, account)
    holders = selectors.customers_of(request.user, account) | selectors.accounts_by_pk([account.pk])
    form = forms.IssueForm(request.POST or None, products=products, holders=holders, initial={"kind": "demo"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            license = services.issue_license(
                actor=request.user,
                issuer=account,
                holder=data["holder"],
                product=data["product"],
                kind=data["kind"],
                quantity=data["quantity"],
                demo_days=data["demo_days"],
                term=data["term"] or None,
            )
        except (NotFound, NotPermitted):
            raise
        except DomainError as exc:
            _refuse(request, form, exc)
        else:
            messages.success(request, _("Licence %(key)s issued.") % {"key": license.key})
            return redirect("license_detail", key=license.key)
    frames = [services.frame_for(authorization) for authorization in selectors.authorizations_of(account)]
    return render(
        request,
        "licenses/issue.html",
        {"form": form, "frames": frames, "account": account},
        status=400 if form.errors else 200,
    )


@login_required
def reseller_customers(request):
    account = _account(request)
    access.require(request.user, "view", account)
    if not access.can(request.user, "resell", account):
        raise NotPermitted(_("Only sales members of a reseller see its customers here."))
    return render(
        request,
        "licenses/customers.html",
        {"account": account, "customers": selectors.customers_with_license_counts(request.user, account)},
    )


@login_required
def pools(request):
    """LIC-5: the active account's licences as pools per product, its seats and who holds them."""
    account = _account(request)
    access.require(request.user, "view", account)
    held = list(
        selectors.held_by(request.user, account)
        .select_related(*selectors.LIST_RELATED)
        .order_by("product__article_number", "-issued_at")[:500]
    )
    return render(
        request,
        "licenses/pools.html",
        {
            "account": account,
            "pools": selectors.pools(request.user, account),
            "licenses": held,
            "may_assign": {lic.pk for lic in held if access.can(request.user, "assign", lic)},
            "transfers": list(selectors.transfers_for(request.user)),
        },
    )


@login_required
def catalogue(request):
    """LIC-1/LIC-2: product groups, products and prices, and the authorizations the user may see; vendor admins
    authorize resellers here (the same service as the admin)."""
    groups = access.visible(request.user, ProductGroup).prefetch_related("products__prices").order_by("name")
    authorizations = access.visible(request.user, ResellerAuthorization).select_related("reseller", "group")
    may_authorize = access.can_any(request.user, ResellerAuthorization, "change")
    if not may_authorize and not groups.exists() and not authorizations.exists():
        raise NotPermitted(_("The catalogue is for the vendor and its resellers."))
    form = None
    if may_authorize:
        form = forms.AuthorizeForm(
            request.POST or None, partners=selectors.partner_accounts(), groups=selectors.groups()
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.authorize_reseller(actor=request.user, **form.cleaned_data)
            except (NotFound, NotPermitted):
                raise
            except DomainError as exc:
                _refuse(request, form, exc)
            else:
                messages.success(request, _("Authorization saved."))
                return redirect("license_catalogue")
    elif request.method == "POST":
        raise NotPermitted(_("Only vendor administrators authorize resellers."))
    return render(
        request,
        "licenses/catalogue.html",
        {
            "groups": groups,
            "authorizations": authorizations,
            "form": form,
            "admin_url": reverse("admin:licenses_productgroup_changelist"),
        },
        status=400 if form is not None and form.errors else 200,
    )
