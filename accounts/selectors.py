"""Account reads, scoped by the caller through portal.access. Implements ACC-2, ACC-5."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, QuerySet

from portal import access

from .models import Account, ApiToken, Membership, Role, User


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


def own_accounts_allowing(user: User, action: str, kind: str | None = None) -> QuerySet[Account]:
    """The user's own accounts (of ``kind``) in which a role allows ``action``: the account switcher's
    candidates for acting as a partner's tech, a customer's delegating owner, …"""
    queryset = accounts_of(user).filter(pk__in=access.visible(user, Account, action).values("pk"))
    if kind is not None:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("name")


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
    owners = [user_id for user_id in grouped if Role.OWNER in roles[user_id]]
    return [
        {
            **grouped[user_id],
            "roles": sorted(roles[user_id]),
            "role_labels": [str(Role(role).label) for role in sorted(roles[user_id])],
            # ACC-2: an account keeps at least one owner; the page does not offer removing the last one.
            "is_last_owner": owners == [user_id],
        }
        for user_id in grouped
    ]


def memberships_of(user: User) -> list[dict]:
    """The user's own accounts, each with the roles the user holds there (the profile, ACC-2)."""
    rows = Membership.objects.filter(user=user).select_related("account").order_by("account__name", "role")
    accounts: dict[int, dict] = {}
    for membership in rows:
        entry = accounts.setdefault(membership.account_id, {"account": membership.account, "roles": []})
        entry["roles"].append(str(Role(membership.role).label))
    return list(accounts.values())


def members_visible(user: User, account: Account) -> bool:
    """May the user see the account's member list? (Members and vendor staff; not a managing partner.)"""
    return access.visible(user, Membership).filter(account=account).exists()


def roles_in(user: User, account: Account) -> list[str]:
    """The user's own roles in ``account`` (for display: "your roles")."""
    return sorted(access.subject(user).roles.get(account.pk, ()))


def grantable_roles(user: User, account: Account) -> set[str]:
    """ACC-3: the roles the user may hand out in the account (the invite form's choices)."""
    from .access import grantable_roles as ceiling

    return ceiling(user, account)


def tenants_of_account(user: User, account: Account):
    """The account's tenants that the user may see, by number."""
    return access.visible(user, account.tenants.model).filter(account=account).order_by("number")


def related_accounts(user: User, account: Account) -> QuerySet[Account]:
    """Accounts whose contact e-mail shares this account's domain (ACC-5)."""
    domain = account.email_domain
    if not domain:
        return Account.objects.none()
    return access.visible(user, Account).filter(contact_email__iendswith=f"@{domain}").exclude(pk=account.pk)


def active_account_for(user: User, number: str | None) -> Account | None:
    """ACC-2: the account the user acts for — the requested one (number, or id) if the user is a member of
    it, else the first membership (registered with portal.middleware in AccountsConfig.ready)."""
    accounts = accounts_of(user)
    if number:
        chosen = accounts.filter(number=number).first()
        if chosen is None and number.isdigit():
            chosen = accounts.filter(pk=int(number)).first()
        if chosen is not None:
            return chosen
    return accounts.first()


def default_account(user: User) -> Account | None:
    return accounts_of(user).first()


def by_url_key(queryset: QuerySet[Account], key: str) -> QuerySet[Account]:
    """Filter ``queryset`` to the account a URL names (see Account.url_key)."""
    if key.startswith("~") and key[1:].isdigit():
        return queryset.filter(pk=int(key[1:]), number="")
    return queryset.filter(number=key)


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's own API tokens that have not expired, newest first (never anyone else's)."""
    from django.db.models import Q
    from django.utils import timezone

    return ApiToken.objects.filter(user=user).filter(Q(expiry__isnull=True) | Q(expiry__gt=timezone.now()))
