"""Support pages (UI-1). Implements SUP-1 (contracts for vendor staff), SUP-5 (the lookup: one search box,
keyboard first), SUP-6 (tickets), CHK-1 (set-up check, legacy links), ACC-1 (staging/simulation accounts).

Thin: selectors read (404 for what the user cannot see), services write and decide, ``portal.access`` answers
every right.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import members_of
from portal import access
from portal.errors import DomainError, NotFound, NotPermitted, RuleViolation
from portal.forms import form_error

from . import selectors, services
from .checks import setup_check
from .forms import ContractForm, MessageForm, ResolveLinkForm, StagingAccountForm, TicketForm
from .models import ContractKind, TicketStatus
from .transitions import TICKET


def _404():
    from django.http import Http404

    return Http404()


# --- Lookup (SUP-5) -------------------------------------------------------------------------------------------


@login_required
def lookup(request):
    if not selectors.may_look_up(request.user):
        raise _404()
    query = request.GET.get("q", "")
    context = {"q": query, "result": None, "card": None, "error": None}
    if query.strip():
        try:
            result = selectors.search(request.user, query)
        except RuleViolation as exc:
            context["error"] = exc.detail
        else:
            context["result"] = result
            chosen = request.GET.get("account")
            matches = result.matches
            if chosen:
                matches = [m for m in matches if m.account.url_key == chosen]
            if len(matches) == 1:
                match = matches[0]
                context["card"] = selectors.card(
                    request.user, match.account, tenant=match.tenant, licence=match.licence
                )
    return render(request, "support/lookup.html", context)


@login_required
def lookup_account(request, key):
    try:
        account = selectors.account_for_lookup(request.user, key)
    except NotFound:
        raise _404() from None
    card = selectors.card(request.user, account)
    return render(request, "support/lookup.html", {"q": account.identifier, "card": card, "result": None})


# --- Tickets (SUP-6) ------------------------------------------------------------------------------------------


@login_required
def ticket_list(request):
    status = request.GET.get("status", "")
    tickets = selectors.tickets_visible_to(request.user)
    if status in TicketStatus.values:
        tickets = tickets.filter(status=status)
    return render(
        request,
        "support/ticket_list.html",
        {
            "tickets": tickets.order_by("-created_at")[:200],
            "status": status,
            "statuses": TicketStatus.choices,
            "may_file": selectors.ticket_accounts_for(request.user).exists(),
        },
    )


@login_required
def ticket_new(request):
    accounts = list(selectors.ticket_accounts_for(request.user))
    tenants = [t for account in accounts for t in selectors.tenants_of(account)[:50]]
    categories = list(selectors.coverage_categories())
    initial = {}
    if request.GET.get("account"):
        initial["account"] = request.GET["account"]
    form = TicketForm(
        request.POST or None, initial=initial, accounts=accounts, tenants=tenants, categories=categories
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = selectors.visible_account(request.user, data["account"])
            tenant = (
                next((t for t in tenants if t.number == data["tenant"]), None) if data["tenant"] else None
            )
            ticket = services.create_ticket(
                actor=request.user,
                subject_account=account,
                tenant=tenant,
                category=selectors.category_by_code(data["category"]),
                subject=data["subject"],
                message=data["message"],
                accept_billable=data["accept_billable"],
            )
        except NotFound:
            raise _404() from None
        except DomainError as exc:
            form_error(request, form, exc)
        else:
            messages.success(request, _("Ticket %(number)s was created.") % {"number": ticket.number})
            return redirect("support_ticket_detail", number=ticket.number)
    return render(
        request,
        "support/ticket_new.html",
        {"form": form, "billable_codes": form.billable_codes, "categories": categories, "preview": preview},
    )


@login_required
def ticket_detail(request, number):
    try:
        ticket = selectors.ticket_for(request.user, number)
    except NotFound:
        raise _404() from None
    may = access.rights(request.user, ticket)
    form = MessageForm(request.POST or None)
    if request.method == "POST" and "message" in may and form.is_valid():
        try:
            services.add_message(actor=request.user, ticket=ticket, body=form.cleaned_data["body"])
        except DomainError as exc:
            form_error(request, form, exc)
        else:
            messages.success(request, _("Message sent."))
            return redirect("support_ticket_detail", number=ticket.number)
    actions = TICKET.available(ticket) if "change_status" in may else []
    return render(
        request,
        "support/ticket_detail.html",
        {
            "ticket": ticket,
            "ticket_messages": selectors.messages_of(ticket),
            "linked": selectors.linked_tickets(request.user, ticket)[:20],
            "form": form if "message" in may and ticket.status != TicketStatus.CLOSED else None,
            "status_actions": actions,
        },
    )


ACTION_STATUS = {"wait": TicketStatus.WAITING, "reopen": TicketStatus.OPEN, "close": TicketStatus.CLOSED}


@login_required
@require_POST
def ticket_status(request, number):
    try:
        ticket = selectors.ticket_for(request.user, number)
    except NotFound:
        raise _404() from None
    status = ACTION_STATUS.get(request.POST.get("action", ""), request.POST.get("status", ""))
    try:
        services.change_ticket_status(actor=request.user, ticket=ticket, status=status)
    except DomainError as exc:
        form_error(request, None, exc)
    else:
        messages.success(request, _("Status saved."))
    return redirect("support_ticket_detail", number=ticket.number)


# --- Staging and simulation accounts (ACC-1, seed 000 D/E) ----------------------------------------------------


@login_required
def staging_new(request, key):
    try:
        account = selectors.visible_account(request.user, key)
    except NotFound:
        raise _404() from None
    access.require(request.user, "create_staging", account)
    purpose = request.POST.get("purpose") or request.GET.get("purpose") or "staging"
    form = StagingAccountForm(
        request.POST or None,
        initial={
            "name": services.suggested_name(account, purpose),
            "contact_email": f"staging@{account.email_domain}" if account.email_domain else "",
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            new = services.create_staging_account(actor=request.user, account=account, **form.cleaned_data)
        except DomainError as exc:
            form_error(request, form, exc)
        else:
            messages.success(request, _("%(name)s was created.") % {"name": new.name})
            return redirect("account_detail", number=new.url_key)
    return render(
        request,
        "support/staging_new.html",
        {
            "account": account,
            "form": form,
            "domain": account.email_domain,
            "suggestions": {p: services.suggested_name(account, p) for p in ("staging", "simulation")},
        },
    )


# --- Set-up check and legacy links (CHK-1) --------------------------------------------------------------------


@login_required
def setup_check_page(request, key):
    try:
        account = selectors.visible_account(request.user, key)
    except NotFound:
        raise _404() from None
    if not selectors.may(request.user, "view_setup_check", account):
        raise NotPermitted()
    return render(request, "support/setup_check.html", {"account": account, "check": setup_check(account)})


@login_required
def legacy_link(request, pk):
    link = selectors.legacy_links_visible_to(request.user, open_only=False).filter(pk=pk).first()
    if link is None:
        raise _404()
    may_resolve = access.can(request.user, "resolve", link)
    form = ResolveLinkForm(request.POST or None, accounts=[link.tenant.account, link.account])
    if request.method == "POST":
        access.require(request.user, "resolve", link)
        if form.is_valid():
            chosen = (
                link.tenant.account
                if form.cleaned_data["account"] == str(link.tenant.account_id)
                else link.account
            )
            try:
                services.resolve_legacy_link(actor=request.user, link=link, chosen_account=chosen)
            except DomainError as exc:
                form_error(request, form, exc)
            else:
                messages.success(
                    request,
                    _("Tenant %(tenant)s now belongs to %(account)s only.")
                    % {"tenant": link.tenant.number, "account": chosen.identifier},
                )
                return redirect("support_legacy_link", pk=link.pk)
    return render(
        request,
        "support/legacy_link.html",
        {"link": link, "form": form, "may_resolve": may_resolve and link.resolved_at is None},
    )


@login_required
def legacy_link_list(request):
    links = selectors.legacy_links_visible_to(request.user)
    if not selectors.may_look_up(request.user):
        raise _404()
    return render(request, "support/legacy_links.html", {"links": links[:200]})


# --- Contracts (SUP-1, vendor staff) --------------------------------------------------------------------------


def _require_contract_staff(user):
    if not selectors.may_manage_contracts(user):
        raise _404()


@login_required
def contract_list(request):
    _require_contract_staff(request.user)
    contracts = selectors.contracts_visible_to(request.user).order_by(
        "account__number", "kind", "-valid_from"
    )
    return render(
        request, "support/contract_list.html", {"contracts": contracts[:300], "today": timezone.localdate()}
    )


def _contract_form(request, account, initial=None):
    members = [m["user"] for m in members_of(request.user, account)]
    form = ContractForm(request.POST or None, initial=initial, members=members, kinds=ContractKind.choices)
    return form, {str(u.pk): u for u in members}


@login_required
def contract_new(request, key):
    _require_contract_staff(request.user)
    try:
        account = selectors.account_for_lookup(request.user, key)
    except NotFound:
        raise _404() from None
    form, people = _contract_form(
        request, account, initial={"valid_from": timezone.localdate(), "kind": ContractKind.SUPPORT_CONTRACT}
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["technical_contact"] = people.get(data["technical_contact"])
        data["system_administrator"] = people.get(data["system_administrator"])
        try:
            contract = services.create_contract(actor=request.user, account=account, **data)
        except DomainError as exc:
            form_error(request, form, exc)
        else:
            messages.success(request, _("Contract %(number)s saved.") % {"number": contract.number})
            return redirect(reverse("support_lookup_account", args=[account.url_key]))
    return render(request, "support/contract_form.html", {"account": account, "form": form, "contract": None})


@login_required
def contract_edit(request, number):
    _require_contract_staff(request.user)
    contract = selectors.contracts_visible_to(request.user).filter(number=number).first()
    if contract is None:
        raise _404()
    account = contract.account
    initial = {
        "kind": contract.kind,
        "valid_from": contract.valid_from,
        "valid_until": contract.valid_until,
        "technical_contact": str(contract.technical_contact_id or ""),
        "system_administrator": str(contract.system_administrator_id or ""),
        "note": contract.note,
    }
    form, people = _contract_form(request, account, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["technical_contact"] = people.get(data["technical_contact"])
        data["system_administrator"] = people.get(data["system_administrator"])
        try:
            services.update_contract(actor=request.user, contract=contract, **data)
        except DomainError as exc:
            form_error(request, form, exc)
        else:
            messages.success(request, _("Contract %(number)s saved.") % {"number": contract.number})
            return redirect(reverse("support_lookup_account", args=[account.url_key]))
    return render(
        request, "support/contract_form.html", {"account": account, "form": form, "contract": contract}
    )
