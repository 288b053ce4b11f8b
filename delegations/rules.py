"""Who may see and do what with grants, managed-account relations and notifications.
Implements DEL-1..DEL-5, ACC-4 (the decisions; portal.access asks these through its registry).

Registered with the single authority in ``DelegationsConfig.ready()``:
``access.visible(user, CaretakerGrant, action)`` and ``access.can(user, action, grant)`` answer from the same
rules below — a Q for querysets, a Python check for one object — and ``test_rules`` checks that the two agree.
Rules name *who* may act; whether the object's state allows it is the service's question (409).

Grant actions: ``view``, ``accept``, ``decline`` (the answering side: the customer for a partner's request,
the caretaker for a customer's grant), ``withdraw`` (the initiating side), ``revoke`` and ``extend``
(customer owners/admins), ``resign`` (the caretaker).
Managed-account actions: ``view``, ``approve``, ``decline`` (customer owner), ``withdraw`` (partner with
``request_management``), ``dissolve`` (customer owner; vendor staff on the owner's behalf),
``notify_partner`` (vendor staff).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal import access

GRANT_ACTIONS = ("view", "accept", "decline", "withdraw", "revoke", "resign", "extend")
MANAGED_ACTIONS = ("view", "approve", "decline", "withdraw", "dissolve", "notify_partner")


def _accounts_with(user, action: str, kind: str | None = None) -> list[int]:
    return [
        account_id
        for account_id, account_kind in access.account_kinds(user).items()
        if (kind is None or account_kind == kind)
        and action in access.account_actions(user, account_id, account_kind)
    ]


def delegating_accounts(user) -> list[int]:
    """Customer accounts where the user may grant, answer, revoke and extend (owners, admins)."""
    return _accounts_with(user, "delegate", "customer")


def vendor_can_dissolve(user) -> bool:
    return user.is_superuser or bool(_accounts_with(user, "dissolve_management", "vendor"))


# --- Caretaker grants ---------------------------------------------------------------


def _grant_q(user, action: str) -> Q | None:
    """The grants ``user`` may do ``action`` on, as a Q; None means all rows."""
    delegating = Q(customer_account_id__in=delegating_accounts(user))
    caretaker = Q(caretaker=user) | Q(caretaker__isnull=True, caretaker_email=user.email.lower())
    requester = Q(requested_by=user)
    as_request, as_grant = Q(origin="request"), Q(origin="grant")
    if action == "view":
        if user.is_superuser or access.is_vendor_staff(user):
            return None
        partner_admin = Q(partner_account_id__in=_accounts_with(user, "view_audit", "partner"))
        return delegating | caretaker | requester | partner_admin
    if action in ("accept", "decline"):
        return (as_request & delegating) | (as_grant & caretaker)
    if action == "withdraw":
        return None if user.is_superuser else (as_request & requester) | (as_grant & delegating)
    if action in ("revoke", "extend"):
        return None if user.is_superuser else delegating
    if action == "resign":
        return caretaker
    raise ValueError(f"Unknown grant action {action!r}")


def visible_grants(user, action: str = "view") -> QuerySet:
    from .models import CaretakerGrant

    condition = _grant_q(user, action)
    return CaretakerGrant.objects.all() if condition is None else CaretakerGrant.objects.filter(condition)


def can_on_grant(user, action: str, grant) -> bool:
    if action not in GRANT_ACTIONS:
        raise ValueError(f"Unknown grant action {action!r}")
    delegating = grant.customer_account_id is not None and grant.customer_account_id in delegating_accounts(
        user
    )
    caretaker = grant.caretaker_id == user.pk or (
        grant.caretaker_id is None and grant.caretaker_email == user.email.lower()
    )
    requester = grant.requested_by_id is not None and grant.requested_by_id == user.pk
    is_request = grant.origin == "request"
    if action == "view":
        if user.is_superuser or access.is_vendor_staff(user):
            return True
        partner_admin = grant.partner_account_id in _accounts_with(user, "view_audit", "partner")
        return delegating or caretaker or requester or partner_admin
    if action in ("accept", "decline"):
        return (is_request and delegating) or (not is_request and caretaker)
    if action == "withdraw":
        return user.is_superuser or (is_request and requester) or (not is_request and delegating)
    if action in ("revoke", "extend"):
        return user.is_superuser or delegating
    return caretaker  # resign


def allowed_grant_actions(user, grant) -> list[str]:
    """The actions (besides view) the user's role allows on this grant in its current state — for buttons."""
    by_status = {
        "pending": ("accept", "decline", "withdraw"),
        "active": ("revoke", "resign", "extend"),
    }
    state = grant.effective_status
    return [a for a in by_status.get(state, ()) if can_on_grant(user, a, grant)]


# --- Managed accounts ---------------------------------------------------------------


def _managed_q(user, action: str) -> Q | None:
    if action == "view":
        if user.is_superuser or access.is_vendor_staff(user):
            return None
        mine = list(access.roles_by_account(user))
        return Q(customer_account_id__in=mine) | Q(partner_account_id__in=mine)
    if action in ("approve", "decline"):
        return Q(customer_account_id__in=_accounts_with(user, "approve_management", "customer"))
    if action == "withdraw":
        return Q(partner_account_id__in=_accounts_with(user, "request_management", "partner"))
    if action == "dissolve":
        if vendor_can_dissolve(user):
            return None
        return Q(customer_account_id__in=_accounts_with(user, "approve_management", "customer"))
    if action == "notify_partner":
        return None if vendor_can_dissolve(user) else Q(pk__in=[])
    raise ValueError(f"Unknown managed-account action {action!r}")


def visible_managed_accounts(user, action: str = "view") -> QuerySet:
    from .models import ManagedAccount

    condition = _managed_q(user, action)
    return ManagedAccount.objects.all() if condition is None else ManagedAccount.objects.filter(condition)


def can_on_managed(user, action: str, relation) -> bool:
    if action not in MANAGED_ACTIONS:
        raise ValueError(f"Unknown managed-account action {action!r}")
    if action == "view":
        if user.is_superuser or access.is_vendor_staff(user):
            return True
        mine = access.roles_by_account(user)
        return relation.customer_account_id in mine or relation.partner_account_id in mine
    owner = relation.customer_account_id in _accounts_with(user, "approve_management", "customer")
    if action in ("approve", "decline"):
        return owner
    if action == "withdraw":
        return relation.partner_account_id in _accounts_with(user, "request_management", "partner")
    if action == "dissolve":
        return owner or vendor_can_dissolve(user)
    return vendor_can_dissolve(user)  # notify_partner


def is_vendor_dissolution(user, relation) -> bool:
    """Vendor staff acting on the owner's behalf (not as the owner themselves): the partner must be told first."""
    return relation.customer_account_id not in _accounts_with(user, "approve_management", "customer")


# --- Notifications ------------------------------------------------------------------


def visible_notifications(user, action: str = "view") -> QuerySet:
    from .models import Notification

    return Notification.objects.filter(user=user)


def can_on_notification(user, action: str, notification) -> bool:
    return notification.user_id == user.pk


def register() -> None:
    access.register_account_model("CaretakerGrant", visible_grants)
    access.register_object_check("CaretakerGrant", can_on_grant)
    access.register_account_model("ManagedAccount", visible_managed_accounts)
    access.register_object_check("ManagedAccount", can_on_managed)
    access.register_account_model("Notification", visible_notifications)
    access.register_object_check("Notification", can_on_notification)
