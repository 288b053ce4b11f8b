"""Delegation reads, scoped by the caller through portal.access. Implements DEL-5 (overview, counts),
DEL-1 (what a requester may read), DEL-2 (the link page), ACC-4 (managing partner as contact).

Every queryset starts from ``access.visible(user, Model, action)``; the "directions" of the overview are the
actions that make a row the user's business (delegations.access):

    incoming  → ``accept``   grants waiting for the user's answer (the customer for a request, the caretaker
                             for an invitation) — plus answered ones when no status filter is given
    outgoing  → ``withdraw`` grants the user initiated (the partner's requests, the customer's invitations)
    granted   → ``revoke``   grants on the user's customer accounts (as customer)
    managed   → ``resign``   grants the user holds (as caretaker)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet, Value
from django.utils import timezone

from accounts.models import Account, User
from portal import access
from portal.errors import NotFound

from . import tokens, transitions
from .models import (
    ENDED_STATUSES,
    CaretakerGrant,
    GrantInvitation,
    GrantStatus,
    ManagedAccount,
    ManagedAccountStatus,
    Notification,
)

DIRECTIONS = {"incoming": "accept", "outgoing": "withdraw", "granted": "revoke", "managed": "resign"}


def _with_related(queryset: QuerySet[CaretakerGrant]) -> QuerySet[CaretakerGrant]:
    return queryset.select_related(
        "tenant", "customer_account", "partner_account", "caretaker", "requested_by", "decided_by", "ended_by"
    )


def status_condition(statuses, now: datetime | None = None) -> Q:
    """Statuses as the user sees them: an active grant past its expiry counts as expired (DEL-4)."""
    now = now or timezone.now()
    past = Q(status=GrantStatus.ACTIVE, expires_at__isnull=False, expires_at__lte=now)
    condition = Q(pk__in=[])
    for status in statuses:
        if status == GrantStatus.ACTIVE:
            condition |= Q(status=GrantStatus.ACTIVE) & ~past
        elif status == GrantStatus.EXPIRED:
            condition |= Q(status=GrantStatus.EXPIRED) | past
        else:
            condition |= Q(status=status)
    return condition


def grants_for(
    user: User, *, direction: str | None = None, status: str | list[str] | None = None
) -> QuerySet[CaretakerGrant]:
    """Grants the user may see, optionally one direction (``DIRECTIONS``) and status(es) (comma list allowed).

    Raises ValueError for an unknown direction or status (the API turns it into 400).
    """
    if direction is not None and direction not in DIRECTIONS:
        raise ValueError(f"Unknown direction {direction!r}")
    queryset = _with_row_rights(
        user, access.visible(user, CaretakerGrant, DIRECTIONS[direction] if direction else "view")
    )
    if status:
        statuses = status.split(",") if isinstance(status, str) else list(status)
        statuses = [s.strip() for s in statuses if s.strip()]
        unknown = [s for s in statuses if s not in GrantStatus.values]
        if unknown:
            raise ValueError(f"Unknown status {', '.join(unknown)}")
        queryset = queryset.filter(status_condition(statuses))
    return _with_related(queryset).order_by("-created_at", "-id")


def _with_row_rights(user: User, queryset: QuerySet[CaretakerGrant]) -> QuerySet[CaretakerGrant]:
    """Each row with ``may_<action>`` (buttons, the API's ``actions``) and ``tenant_seen`` (may the user see
    the tenant anyway), from the authority's constraints, in the list's own query: no query per row."""
    from tenants.models import Tenant

    queryset = access.with_rights(queryset, user, transitions.GRANT.transitions)
    seen = access.condition(user, Tenant, "view")
    if seen is None or seen is access.ALL:
        flag = Value(seen is access.ALL, output_field=BooleanField())
    else:
        flag = ExpressionWrapper(Q(tenant__in=Tenant.objects.filter(seen).values("pk")), BooleanField())
    return queryset.annotate(tenant_seen=flag)


def grant_for(user: User, pk: int) -> CaretakerGrant:
    """One grant the user may see; NotFound (404) otherwise."""
    grant = _with_related(access.visible(user, CaretakerGrant)).filter(pk=pk).first()
    if grant is None:
        raise NotFound()
    return grant


def incoming_requests_for(user: User) -> QuerySet[CaretakerGrant]:
    """Open requests waiting for the user's answer ("Open requests", DEL-1/DEL-2)."""
    return grants_for(user, direction="incoming", status=GrantStatus.PENDING)


def outgoing_requests_for(user: User) -> QuerySet[CaretakerGrant]:
    """Pending requests/invitations the user sent."""
    return grants_for(user, direction="outgoing", status=GrantStatus.PENDING)


def granted_by(user: User) -> QuerySet[CaretakerGrant]:
    """Active grants on the user's customer accounts (as customer)."""
    return grants_for(user, direction="granted", status=GrantStatus.ACTIVE)


def caretaking_of(user: User) -> QuerySet[CaretakerGrant]:
    """Active grants the user holds (as caretaker)."""
    return grants_for(user, direction="managed", status=GrantStatus.ACTIVE)


def history_for(user: User) -> QuerySet[CaretakerGrant]:
    """Ended grants the user may see, newest first."""
    return grants_for(user, status=list(ENDED_STATUSES))


def managed_accounts_for(user: User, *, status: str | None = None) -> QuerySet[ManagedAccount]:
    queryset = access.with_rights(
        access.visible(user, ManagedAccount), user, transitions.RELATION.transitions
    ).select_related("customer_account", "partner_account", "requested_by", "decided_by", "ended_by")
    if status:
        queryset = queryset.filter(status__in=[s.strip() for s in status.split(",")])
    return queryset.order_by("-created_at", "-id")


def customer_disclosed(user: User, relation: ManagedAccount) -> bool:
    """May the user read the customer's name on this relation? The customer side and vendor staff always; the
    partner side only once the owner approved (ACC-4: an unanswered request must not tell whether the number
    exists, nor whose it is)."""
    if relation.customer_account_id is None:
        return False
    if relation.disclosed_to_partner:
        return True
    # Whoever sees the customer account anyway (its members, vendor staff, its reseller) learns nothing new.
    return access.can(user, "view", relation.customer_account)


def search_managed_accounts(user: User, queryset: QuerySet[ManagedAccount], query: str):
    """Filter by customer number, partner name, and customer name only where the user may read it (a name
    search must not confirm whose number a pending request named)."""
    query = (query or "").strip()
    if not query:
        return queryset
    named = Q(status__in=[ManagedAccountStatus.ACTIVE, ManagedAccountStatus.DISSOLVED]) | Q(
        customer_account_id__in=access.visible(user, Account).values("pk")
    )
    return queryset.filter(
        Q(customer_number__icontains=query)
        | Q(partner_account__name__icontains=query)
        | (Q(customer_account__name__icontains=query) & named)
    )


def managed_account_for(user: User, pk: int) -> ManagedAccount:
    relation = managed_accounts_for(user).filter(pk=pk).first()
    if relation is None:
        raise NotFound()
    return relation


def management_requests_for(user: User) -> QuerySet[ManagedAccount]:
    """Pending management requests the user (a customer owner) may approve or decline."""
    return (
        access.visible(user, ManagedAccount, "approve")
        .filter(status=ManagedAccountStatus.PENDING)
        .select_related("customer_account", "partner_account", "requested_by")
    )


def managing_partner_of(account: Account) -> Account | None:
    """The partner managing this customer account, shown as contact on the profile (ACC-4); the customer
    stays the company. Not user-scoped: the relation is part of the account's public profile."""
    relation = (
        ManagedAccount.objects.filter(customer_account=account, status=ManagedAccountStatus.ACTIVE)
        .select_related("partner_account")
        .first()
    )
    return relation.partner_account if relation else None


def active_caretakers_of(user: User, account: Account) -> QuerySet[CaretakerGrant]:
    """Active caretaker grants on an account's tenants, as far as the user may see them (SUP-5)."""
    return grants_for(user, status=GrantStatus.ACTIVE).filter(customer_account=account)


def allowed_actions(user: User, grant: CaretakerGrant) -> list[str]:
    """Buttons and the API's ``actions``: the grant's transitions now that the user may do (one table)."""
    return transitions.GRANT.actions_for(user, grant)


def allowed_management_actions(user: User, relation: ManagedAccount) -> list[str]:
    """The relation's transitions now that the user may do. Vendor staff's ``dissolve_on_behalf`` (offered only
    once the partner was notified) is shown and posted as ``dissolve``: the service tells the two apart."""
    actions = transitions.RELATION.actions_for(user, relation)
    if "dissolve_on_behalf" in actions:
        actions.remove("dissolve_on_behalf")
        if "dissolve" not in actions:
            actions.append("dissolve")
    return actions


def is_vendor_staff(user: User) -> bool:
    """Vendor staff dissolve relations on owners' behalf (the managed-account list explains how)."""
    return access.can_any(user, ManagedAccount, "dissolve_on_behalf")


def dissolves_on_behalf(user: User, relation: ManagedAccount) -> bool:
    """Vendor staff acting for the owner (ACC-4): they must notify the partner before dissolving."""
    return not access.can(user, "dissolve", relation) and access.can(user, "dissolve_on_behalf", relation)


def tenant_disclosed(user: User, grant: CaretakerGrant) -> bool:
    """May the user read the tenant's name and owner? The customer side always; the caretaker side only once
    the customer granted or accepted (an unanswered request must not tell whether the number exists, DEL-1)."""
    if grant.tenant_id is None:
        return False
    # Whoever sees the tenant anyway (its customer, vendor staff, its reseller) learns nothing new.
    if grant.disclosed_to_caretaker:
        return True
    seen = getattr(grant, "tenant_seen", None)  # annotated by the list selectors
    return bool(seen) if seen is not None else access.can(user, "view", grant.tenant)


@dataclass
class GrantRow:
    """A grant as one user sees it in a list: the label discloses the tenant only where allowed."""

    grant: CaretakerGrant
    tenant_label: str
    customer_name: str
    actions: list[str]


def grant_rows(user: User, grants) -> list[GrantRow]:
    """Rows for templates (no extra queries per row beyond the list's select_related)."""
    rows = []
    for grant in grants:
        disclosed = tenant_disclosed(user, grant)
        rows.append(
            GrantRow(
                grant=grant,
                tenant_label=f"{grant.tenant.number} {grant.tenant.name}"
                if disclosed
                else grant.tenant_number,
                customer_name=grant.customer_account.name if disclosed else "",
                actions=allowed_actions(user, grant),
            )
        )
    return rows


@dataclass
class DelegationOverview:
    incoming: QuerySet
    outgoing: QuerySet
    granted: QuerySet
    caretaking: QuerySet
    history: QuerySet
    management_requests: QuerySet
    managed_accounts: QuerySet
    counts: dict = field(default_factory=dict)


def delegation_overview(user: User, *, history_limit: int = 50) -> DelegationOverview:
    """Everything of DEL-5 for one page: open requests in and out, granted, caretaking, history, ACC-4."""
    overview = DelegationOverview(
        incoming=incoming_requests_for(user),
        outgoing=outgoing_requests_for(user),
        granted=granted_by(user),
        caretaking=caretaking_of(user),
        history=history_for(user)[:history_limit],
        management_requests=management_requests_for(user),
        managed_accounts=managed_accounts_for(user, status="pending,active"),
    )
    overview.counts = {
        "incoming": overview.incoming.count(),
        "outgoing": overview.outgoing.count(),
        "granted": overview.granted.count(),
        "caretaking": overview.caretaking.count(),
        "management_requests": overview.management_requests.count(),
    }
    return overview


def open_count_for(user: User) -> int:
    """What waits for the user's answer: pending grants to accept/decline and management requests (nav badge)."""
    if not user.is_authenticated:
        return 0
    return incoming_requests_for(user).count() + management_requests_for(user).count()


def notifications_for(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    queryset = access.visible(user, Notification).select_related("grant")
    return queryset.filter(read_at__isnull=True) if unread_only else queryset


def unread_notification_count(user: User) -> int:
    return notifications_for(user, unread_only=True).count() if user.is_authenticated else 0


@dataclass
class GrantLinkInfo:
    """What the link's confirmation page shows (GET changes nothing, DEL-2)."""

    state: str  # "valid", "invalid", "expired", "used", "replaced", "withdrawn"
    email: str = ""
    customer_name: str = ""
    invited_by: str = ""
    grants: list = field(default_factory=list)
    expires_at: datetime | None = None


def grant_link_info(token: str) -> GrantLinkInfo:
    """Read a grant link without consuming it. Anyone holding the link may see what it offers."""
    try:
        invitation_id, nonce = tokens.read_token(token)
    except tokens.TokenExpired:
        return GrantLinkInfo(state="expired")
    except tokens.TokenInvalid:
        return GrantLinkInfo(state="invalid")
    invitation = (
        GrantInvitation.objects.filter(pk=invitation_id, nonce=nonce)
        .select_related("customer_account", "invited_by")
        .first()
    )
    if invitation is None:
        return GrantLinkInfo(state="invalid")
    grants = list(invitation.grants.select_related("tenant").order_by("tenant_number"))
    pending = [g for g in grants if g.status == GrantStatus.PENDING]
    if invitation.used_at is not None:
        state = "used"
    elif invitation.replaced_at is not None:
        state = "replaced"
    elif invitation.expires_at <= timezone.now():
        state = "expired"
    elif not pending:
        state = "withdrawn"
    else:
        state = "valid"
    return GrantLinkInfo(
        state=state,
        email=invitation.email,
        customer_name=invitation.customer_account.name,
        invited_by=invitation.invited_by.get_full_name() if invitation.invited_by else "",
        grants=pending if state == "valid" else grants,
        expires_at=invitation.expires_at,
    )
