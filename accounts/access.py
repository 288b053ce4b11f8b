"""Rights that come from memberships: the accounts app's sources for the access authority.
Implements ACC-2 (roles per account kind), ACC-3 (the ceiling reads these tables), ACC-6 (explainable).

Registered in ``AccountsConfig.ready()``. Each table below is the only definition of what a role gives:
``ACCOUNT_ROLE_RIGHTS`` on the account itself, ``VENDOR_STAFF`` everywhere vendor staff look. Other apps add
their own sources for their models (tenants: own account and reseller; delegations: managed accounts and
caretaker grants) and reuse ``vendor_staff_source`` for vendor staff.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal import access

CUSTOMER, PARTNER, VENDOR = "customer", "partner", "vendor"

# What each role may do on its own account (ACC-2..ACC-4). Keys are (account kind, role).
ACCOUNT_ROLE_RIGHTS: dict[tuple[str, str], frozenset[str]] = {
    (CUSTOMER, "owner"): frozenset(
        {
            "view",
            "change",
            "manage_members",
            "view_audit",
            "delegate",
            "approve_management",
            "transfer",
            "view_billing",
            "create_tenant",
            "create_staging",
        }
    ),
    (CUSTOMER, "admin"): frozenset(
        {
            "view",
            "change",
            "manage_members",
            "view_audit",
            "delegate",
            "view_billing",
            "create_tenant",
        }
    ),
    (CUSTOMER, "billing"): frozenset({"view", "view_audit", "view_billing"}),
    (CUSTOMER, "technical"): frozenset({"view"}),
    (CUSTOMER, "member"): frozenset({"view"}),
    (PARTNER, "admin"): frozenset(
        {"view", "change", "manage_members", "view_audit", "request_management", "view_statements"}
    ),
    (PARTNER, "sales"): frozenset({"view", "resell", "request_management"}),
    (PARTNER, "support"): frozenset({"view"}),
    (PARTNER, "tech"): frozenset({"view", "request_caretaker"}),
    (VENDOR, "admin"): frozenset({"view", "change", "manage_members", "view_audit"}),
    (VENDOR, "support"): frozenset({"view"}),
}

# Partners see the customer accounts they created as reseller (LIC-2, TEN-3); sales create tenants there.
RESELLER_ACCOUNT_RIGHTS: dict[tuple[str, str], frozenset[str]] = {
    (PARTNER, "admin"): frozenset({"view"}),
    (PARTNER, "sales"): frozenset({"view", "create_tenant"}),
    (PARTNER, "support"): frozenset({"view"}),
    (PARTNER, "tech"): frozenset({"view"}),
}

VENDOR_ROLES = ("admin", "support")
# Vendor staff on every account: the support lookup (SUP-5) and erasure (LIC-12, admins) need them.
VENDOR_ACCOUNT_RIGHTS = {
    (VENDOR, "admin"): frozenset({"view", "support_lookup", "erase", "view_statements"}),
    (VENDOR, "support"): frozenset({"view", "support_lookup", "view_statements"}),
}

ACCOUNT_ACTIONS = (
    "view",  # the account and its profile; a caretaker grant never gives it (ACC-4: its tenant only)
    "change",
    "manage_members",
    "view_audit",
    "delegate",  # grant caretaker access, answer requests, revoke, extend (DEL-2..DEL-4)
    "approve_management",  # ACC-4
    "transfer",  # TEN-1
    "view_billing",
    "create_tenant",
    "create_staging",
    "request_management",  # as a partner (ACC-4)
    "resell",  # as a partner: create customers (LIC-2, TEN-3)
    "request_caretaker",  # as a partner's tech (DEL-1)
    "support_lookup",  # SUP-5
    "erase",  # LIC-12
    "view_statements",  # REP-3: a reseller's monthly statements (its admins, vendor staff)
)


def roles_with(action: str, kind: str | None = None) -> frozenset[tuple[str, str]]:
    """The (kind, role) keys whose role gives ``action`` on its own account — the one answer to "which roles
    may X" (delegate, approve management, request management, …) for every other table."""
    return frozenset(
        key
        for key, rights in ACCOUNT_ROLE_RIGHTS.items()
        if action in rights and (kind is None or key[0] == kind)
    )


def vendor_staff_source(model, actions, *, roles=VENDOR_ROLES, name: str = "vendor_staff"):
    """Vendor staff hold ``actions`` on every object of ``model`` (ACC-6 lists them as "vendor staff")."""
    return access.MembershipSource(
        model=model,
        name=name,
        label=_("Vendor staff"),
        target_field=None,
        rights={(VENDOR, role): frozenset(actions) for role in roles},
    )


def member_source(model, target_field: str, rights, *, name: str = "membership", label=None):
    """Members of the account named by ``target_field`` hold ``rights[(kind, role)]``."""
    return access.MembershipSource(
        model=model, name=name, label=label or _("Member"), target_field=target_field, rights=rights
    )


def grantable_roles(actor, account) -> set[str]:
    """ACC-3, the rights ceiling: the roles ``actor`` may hand out in ``account`` — those whose rights (on the
    account, its tenants and everything else a membership reaches, ``access.role_rights``) are all among the
    rights of the actor's own roles there. Nothing without ``manage_members``; superusers and the system any."""
    from .models import ROLES_BY_KIND

    roles = set(ROLES_BY_KIND[account.kind])
    if actor is access.SYSTEM or (access.is_person(actor) and actor.is_superuser):
        return roles
    if not access.can(actor, "manage_members", account):
        return set()
    own_roles = access.subject(actor).roles.get(account.pk, frozenset())
    held = frozenset().union(*(access.role_rights(account.kind, role) for role in own_roles))
    return {role for role in roles if access.role_rights(account.kind, role) <= held}


def register() -> None:
    from portal.models import AuditEvent

    from .models import Account, Membership, User

    access.register_membership_model(Membership)

    # --- Account ---
    access.register_model(Account, ACCOUNT_ACTIONS)
    access.register_source(
        member_source(Account, "pk", ACCOUNT_ROLE_RIGHTS, label=_("Member of the account"))
    )
    access.register_source(
        member_source(Account, "reseller_id", RESELLER_ACCOUNT_RIGHTS, name="reseller", label=_("Reseller"))
    )
    access.register_source(
        access.MembershipSource(
            model=Account,
            name="vendor_staff",
            label=_("Vendor staff"),
            target_field=None,
            rights=VENDOR_ACCOUNT_RIGHTS,
        )
    )

    # --- Memberships: members see their co-members; member managers manage them ---
    access.register_model(Membership, ("view", "manage"))
    access.register_source(
        member_source(
            Membership,
            "account_id",
            {
                key: frozenset({"view"} | ({"manage"} if "manage_members" in rights else set()))
                for key, rights in ACCOUNT_ROLE_RIGHTS.items()
            },
            label=_("Member of the account"),
        )
    )
    access.register_source(vendor_staff_source(Membership, {"view"}))

    # --- Users: themselves, people they share an account with, vendor staff ---
    # "manage" (the admin's changes to a user: name, language, active) has no source: superusers only.
    access.register_model(User, ("view", "manage"))
    access.register_source(
        access.RowSource(
            model=User,
            name="self",
            label=_("Yourself"),
            rows=lambda: User.objects.all(),
            user="pk",
            link="pk",
            rights={None: frozenset({"view"})},
        )
    )
    access.register_source(
        access.RowSource(
            model=User,
            name="co_member",
            label=_("Member of the same account"),
            rows=lambda: Membership.objects.all(),
            user="account__memberships__user_id",
            link="user_id",
            details=("account_id",),
            rights={None: frozenset({"view"})},
        )
    )
    access.register_source(vendor_staff_source(User, {"view"}))

    # --- Audit events: an account's trail for those who may read it, one's own actions, vendor staff ---
    audit_readers = {key: frozenset({"view"}) for key in roles_with("view_audit")}
    access.register_model(AuditEvent, ("view",))
    access.register_source(
        member_source(AuditEvent, "account_id", audit_readers, label=_("Audit trail of the account"))
    )
    access.register_source(
        access.RowSource(
            model=AuditEvent,
            name="own_action",
            label=_("Your own action"),
            rows=lambda: AuditEvent.objects.all(),
            user="actor_id",
            link="pk",
            rights={None: frozenset({"view"})},
        )
    )
    access.register_source(vendor_staff_source(AuditEvent, {"view"}))
