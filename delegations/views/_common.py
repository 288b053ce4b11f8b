"""Buttons, rows and helpers shared by the delegation pages (DEL-4, DEL-5)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import forms, selectors, services
from ..models import GrantOrigin, GrantStatus

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
    return [
        Button(
            action=action,
            label=str(MANAGEMENT_LABELS[action]),
            danger=action in DANGER,
            confirm=str(MANAGEMENT_CONFIRM.get(action, "")),
        )
        for action in actions
    ]


def management_row(user, relation) -> dict:
    """A relation as one user sees it in a list: the customer's name only where disclosed (ACC-4)."""
    return {
        "relation": relation,
        "buttons": management_buttons(user, relation),
        "customer_name": relation.customer_account.name
        if selectors.customer_disclosed(user, relation)
        else "",
    }


def _next_or(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# Why a button is shown disabled (UI-1): the role that has the action.
REASONS = {
    "grant": gettext_lazy("Only owners and admins of a customer account grant access."),
    "request": gettext_lazy("Only the Tech role of a partner account requests caretaker access."),
}


def _capabilities(user) -> dict:
    return {
        "reasons": REASONS,
        "can_request": forms.accounts_allowing(user, "request_caretaker", "partner").exists(),
        "can_grant": forms.accounts_allowing(user, "delegate", "customer").exists(),
        "can_request_management": forms.accounts_allowing(user, "request_management", "partner").exists(),
        "is_vendor_staff": selectors.is_vendor_staff(user),
    }


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
        "management_requests": [management_row(user, relation) for relation in to_answer],
        "management_rows": [
            management_row(user, relation)
            for relation in overview.managed_accounts
            if relation.pk not in {r.pk for r in to_answer}  # answered above, under "Open requests"
        ],
        "unread_notifications": selectors.unread_notification_count(user),
        **capabilities,
    }
