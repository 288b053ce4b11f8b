"""Rights from delegations: managed-account relations and caretaker grants, and who may act on them.
Implements ACC-4, DEL-1..DEL-6, ACC-6 (explainable sources).

Registered in ``DelegationsConfig.ready()``:

- **managed account** (ACC-4) on tenants: the partner's members get ``PARTNER_ROLE_RIGHTS[role] ∩
  SCOPE_RIGHTS[scope]`` on every tenant of the customer, present and future — bounded by the relation's
  scope, never billing, and gone the moment the relation ends (it is read from the relation, not stored).
  On the customer account: its profile (the partner is the contact), and tenant creation with
  ``full_technical`` for sales (TEN-7; the partner does not become reseller, so it keeps nothing beyond the
  scope).
- **caretaker grant** (DEL-3, DEL-6) on its one tenant: exactly the scope's rights while the grant is active
  and not past its expiry (read at request time: a grant the sweep has not reached yet gives nothing);
  ``deploy`` only for caretakers who hold the partner role ``tech`` (DEL-3).
- who may act on grants, relations and notifications (the state a transition needs is
  ``delegations.transitions``' question, not this module's).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.access import CUSTOMER, PARTNER, member_source, roles_with, vendor_staff_source
from portal import access
from tenants.access import PARTNER_ROLE_RIGHTS

SCOPE_RIGHTS: dict[str, frozenset[str]] = {
    "read": frozenset({"view"}),
    "technical": frozenset({"view", "change", "run_check", "deploy"}),
    "full_technical": frozenset({"view", "change", "run_check", "deploy", "add_service", "end_service"}),
}
# Scopes that let a managing partner's sales create tenants in the customer's account (never billing).
TENANT_CREATING_SCOPES = ("full_technical",)

GRANT_ACTIONS = ("view", "accept", "decline", "withdraw", "revoke", "extend", "resign")
MANAGED_ACTIONS = (
    "view",
    "approve",
    "decline",
    "withdraw",
    "dissolve",
    "dissolve_on_behalf",
    "notify_partner",
)


def holds_partner_tech(subject: access.Subject) -> bool:
    """DEL-3: a caretaker deploys only if it holds the partner role ``tech`` somewhere."""
    return subject.has_role(PARTNER, "tech")


def active_grants():
    """Grants that give rights now: active and not past their expiry (DEL-4, at read time)."""
    from .models import CaretakerGrant

    return CaretakerGrant.objects.filter(status="active").filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )


def active_relations():
    from .models import ManagedAccount

    return ManagedAccount.objects.filter(status="active")


def _managed_rights(allowed_by_scope) -> dict[tuple[str, str], frozenset[str]]:
    return {
        (role, scope): PARTNER_ROLE_RIGHTS[role] & allowed
        for role in PARTNER_ROLE_RIGHTS
        for scope, allowed in allowed_by_scope.items()
        if PARTNER_ROLE_RIGHTS[role] & allowed
    }


def register() -> None:
    from accounts.models import Account
    from tenants.models import Tenant

    from .models import CaretakerGrant, ManagedAccount, Notification

    member_of_partner = ("partner_account__memberships__role", "scope")
    # --- Tenants ---
    access.register_source(
        access.RowSource(
            model=Tenant,
            name="managed_account",
            label=_("Managing partner"),
            rows=active_relations,
            user="partner_account__memberships__user_id",
            link="customer_account_id",
            target_field="account_id",
            key=member_of_partner,
            details=("pk", "scope", "partner_account_id"),
            rights=_managed_rights(SCOPE_RIGHTS),
        )
    )
    access.register_source(
        access.RowSource(
            model=Tenant,
            name="caretaker_grant",
            label=_("Caretaker grant"),
            rows=active_grants,
            user="caretaker_id",
            link="tenant_id",
            key=("scope",),
            details=("pk", "scope", "expires_at", "partner_account_id"),
            rights=SCOPE_RIGHTS,
            requires={"deploy": holds_partner_tech},
            via="grant",
        )
    )
    # --- The customer account of a managed relation ---
    account_rights = {
        (role, scope): frozenset({"view"})
        | ({"create_tenant"} if role == "sales" and scope in TENANT_CREATING_SCOPES else frozenset())
        for role in PARTNER_ROLE_RIGHTS
        for scope in SCOPE_RIGHTS
    }
    access.register_source(
        access.RowSource(
            model=Account,
            name="managed_account",
            label=_("Managing partner"),
            rows=active_relations,
            user="partner_account__memberships__user_id",
            link="customer_account_id",
            key=member_of_partner,
            details=("pk", "scope", "partner_account_id"),
            rights=account_rights,
        )
    )

    # --- Caretaker grants (DEL-1..DEL-5) ---
    access.register_model(CaretakerGrant, GRANT_ACTIONS, superuser=("view", "withdraw", "revoke", "extend"))
    delegating = roles_with("delegate", CUSTOMER)  # owners and admins (ACC-2)
    access.register_source(
        access.MembershipSource(
            model=CaretakerGrant,
            name="customer_answers_request",
            label=_("Customer (answers the request)"),
            target_field="customer_account_id",
            where=Q(origin="request"),
            rights={key: frozenset({"view", "accept", "decline", "revoke", "extend"}) for key in delegating},
        )
    )
    access.register_source(
        access.MembershipSource(
            model=CaretakerGrant,
            name="customer_grants",
            label=_("Customer (granted it)"),
            target_field="customer_account_id",
            where=Q(origin="grant"),
            rights={key: frozenset({"view", "withdraw", "revoke", "extend"}) for key in delegating},
        )
    )
    caretaker_rights = {
        "grant": frozenset({"view", "accept", "decline", "resign"}),
        "request": frozenset({"view", "resign"}),
    }
    access.register_source(
        access.RowSource(
            model=CaretakerGrant,
            name="caretaker",
            label=_("Caretaker"),
            rows=lambda: CaretakerGrant.objects.all(),
            user="caretaker_id",
            key=("origin",),
            rights=caretaker_rights,
        )
    )
    access.register_source(
        access.RowSource(
            model=CaretakerGrant,
            name="invitee",
            label=_("Invited caretaker"),
            rows=lambda: CaretakerGrant.objects.filter(caretaker__isnull=True),
            user="caretaker_email",
            user_field="email",
            key=("origin",),
            rights=caretaker_rights,
        )
    )
    access.register_source(
        access.RowSource(
            model=CaretakerGrant,
            name="requester",
            label=_("Requested it"),
            rows=lambda: CaretakerGrant.objects.all(),
            user="requested_by_id",
            key=("origin",),
            rights={"request": frozenset({"view", "withdraw"}), "grant": frozenset({"view"})},
        )
    )
    access.register_source(
        member_source(
            CaretakerGrant,
            "partner_account_id",
            {(PARTNER, "admin"): frozenset({"view"})},
            name="partner_admin",
            label=_("Administrator of the caretaker's partner"),
        )
    )
    access.register_source(vendor_staff_source(CaretakerGrant, {"view"}))

    # --- Managed-account relations (ACC-4) ---
    approving = roles_with("approve_management", CUSTOMER)
    access.register_model(
        ManagedAccount,
        MANAGED_ACTIONS,
        superuser=("view", "withdraw", "dissolve_on_behalf", "notify_partner"),
    )
    customer_side = {
        key: frozenset({"view", "approve", "decline", "dissolve"} if key in approving else {"view"})
        for key in roles_with("view", CUSTOMER)
    }
    access.register_source(
        member_source(
            ManagedAccount, "customer_account_id", customer_side, name="customer", label=_("Customer")
        )
    )
    requesting = roles_with("request_management", PARTNER)  # they may also withdraw a request
    partner_side = {
        key: frozenset({"view", "withdraw"} if key in requesting else {"view"})
        for key in roles_with("view", PARTNER)
    }
    access.register_source(
        member_source(ManagedAccount, "partner_account_id", partner_side, name="partner", label=_("Partner"))
    )
    access.register_source(
        vendor_staff_source(ManagedAccount, {"view", "dissolve_on_behalf", "notify_partner"})
    )

    # --- Notifications: one's own ---
    access.register_model(Notification, ("view", "mark_read"), superuser=())
    access.register_source(
        access.RowSource(
            model=Notification,
            name="recipient",
            label=_("Recipient"),
            rows=lambda: Notification.objects.all(),
            user="user_id",
            rights={None: frozenset({"view", "mark_read"})},
        )
    )
