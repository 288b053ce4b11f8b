"""Account reads, scoped by the caller through portal.access. Implements ACC-2, ACC-5."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, QuerySet

from portal import access

from .models import Account, Membership, Role, User


def accounts_visible_to(user: User) -> QuerySet[Account]:
    return (
        access.visible(user, Account)
        .select_related("leading_account")
        .annotate(tenant_count=Count("tenants", distinct=True))
    )


def accounts_of(user: User) -> QuerySet[Account]:
    """The accounts the user is a member of (the account switcher)."""
    return Account.objects.filter(pk__in=Membership.objects.filter(user=user).values("account_id")).order_by(
        "kind", "name"
    )


def members_of(user: User, account: Account) -> list[dict]:
    """Members of an account with their combined roles; only for callers who may see the account's members."""
    rows = (
        access.visible(user, Membership)
        .filter(account=account)
        .select_related("user")
        .order_by("user__email")
    )
    grouped: dict[int, dict] = {}
    roles: dict[int, list[str]] = defaultdict(list)
    for membership in rows:
        grouped.setdefault(membership.user_id, {"user": membership.user, "since": membership.created_at})
        roles[membership.user_id].append(membership.role)
    return [
        {
            **grouped[user_id],
            "roles": sorted(roles[user_id]),
            "role_labels": [str(Role(role).label) for role in sorted(roles[user_id])],
        }
        for user_id in grouped
    ]


def related_accounts(user: User, account: Account) -> QuerySet[Account]:
    """Accounts whose contact e-mail shares this account's domain (ACC-5)."""
    domain = account.email_domain
    if not domain:
        return Account.objects.none()
    return access.visible(user, Account).filter(contact_email__iendswith=f"@{domain}").exclude(pk=account.pk)


def default_account(user: User) -> Account | None:
    return accounts_of(user).first()


def by_url_key(queryset: QuerySet[Account], key: str) -> QuerySet[Account]:
    """Filter ``queryset`` to the account a URL names (see Account.url_key)."""
    if key.startswith("~") and key[1:].isdigit():
        return queryset.filter(pk=int(key[1:]), number="")
    return queryset.filter(number=key)
