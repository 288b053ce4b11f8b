"""Support on other apps' pages (UI-1): the reasons of a stored verdict in words, and the account page's
support section (set-up check, staging/simulation account, tickets) — CHK-1, SUP-6, ACC-1."""

from __future__ import annotations

from django import template

from portal import access
from support import selectors
from support.checks import setup_check
from support.entitlement import reason_text

register = template.Library()


@register.filter
def reason_texts(reasons) -> list[str]:
    return [reason_text(reason) for reason in reasons or []]


@register.inclusion_tag("support/_account_section.html", takes_context=True)
def support_account_section(context, account):
    user = context["request"].user
    shows_check = selectors.may(user, "view_setup_check", account)
    return {
        "account": account,
        "check": setup_check(account) if shows_check else None,
        "may_create_staging": account.purpose == "production" and access.can(user, "create_staging", account),
        "may_file": selectors.may(user, "file_ticket", account)
        or (
            account.leading_account_id is not None
            and selectors.may(user, "file_ticket", account.leading_account)
        ),
    }
