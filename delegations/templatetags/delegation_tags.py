"""Template tags for other apps' pages. Implements ACC-4 on the account profile: the customer stays the company,
the managing partner is shown as contact (and, for those who may see it, a link to the relation)."""

from __future__ import annotations

from django import template

from delegations import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def managing_relation(context, account):
    """``{"partner": Account, "relation": ManagedAccount | None}`` for an actively managed customer account,
    else None. The partner is part of the account's profile; the relation only for users who may see it."""
    if account is None or account.kind != "customer":
        return None
    partner = selectors.managing_partner_of(account)
    if partner is None:
        return None
    request = context.get("request")
    user = getattr(request, "user", None)
    relation = None
    if user is not None and user.is_authenticated:
        relation = (
            selectors.managed_accounts_for(user, status="active").filter(customer_account=account).first()
        )
    return {"partner": partner, "relation": relation}


@register.filter
def grant_end(expires_at) -> str:
    """``{{ grant.expires_at|grant_end }}``: the one wording of a grant's end (delegations.display)."""
    from delegations.display import grant_end as wording

    return wording(expires_at)
