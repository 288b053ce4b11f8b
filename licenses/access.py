"""Rights on licences: the licences app's sources for the access authority. Implements LIC-2 (reseller
authorizations), LIC-3 (issuer), LIC-4 (holder, tenant owner of a hoster-held licence, moves between accounts),
LIC-5 (customer admins manage pools, assigned users), LIC-6 (activate, move, restore), SUB-2/SUB-3 (cancel,
void, swap by the issuer), ACC-6 (every source is explainable).

Registered in ``LicensesConfig.ready()``. The tables below are the only definition of what a role gives on a
licence; the rights ceiling (ACC-3) reads the membership tables through ``access.role_rights``, so a reseller's
admin hands out at most what these tables give the admin.
"""

from __future__ import annotations

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.access import CUSTOMER, PARTNER, member_source, vendor_staff_source
from portal import access

GROUP_ACTIONS = ("view", "issue")
LICENSE_ACTIONS = (
    "view",
    "cancel",  # SUB-2 (Kündigung)
    "void",  # SUB-3 (Storno), refund
    "swap",  # SUB-3, void and replace
    "assign",  # LIC-5: assign to a member, take back
    "activate",  # LIC-6
    "move",  # LIC-6: deactivate here, activate elsewhere
    "restore",  # LIC-6: after loss; vendor support beyond the 30-day limit
    "restore_unlimited",  # vendor support: restore more than once per 30 days
    "propose_move",  # LIC-4: move a hoster-held licence to the tenant's owner
)
TRANSFER_ACTIONS = ("view", "accept", "decline", "withdraw")

# Members of the reseller that holds an authorization for a group: sales issue within it (LIC-2).
AUTHORIZATION_ROLE_RIGHTS: dict[str, frozenset[str]] = {
    "admin": frozenset({"view"}),
    "sales": frozenset({"view", "issue"}),
    "support": frozenset({"view"}),
    "tech": frozenset({"view"}),
}

# Members of the issuing reseller on the licences it issued.
ISSUER_RIGHTS: dict[tuple[str, str], frozenset[str]] = {
    (PARTNER, "admin"): frozenset({"view", "cancel", "void", "swap"}),
    (PARTNER, "sales"): frozenset({"view", "cancel", "void", "swap"}),
    (PARTNER, "support"): frozenset({"view"}),
    (PARTNER, "tech"): frozenset({"view"}),
}

# Members of the holding account (a customer, or a hosting partner, LIC-4) on its licences (LIC-5, LIC-6).
_MANAGE = frozenset({"view", "assign", "activate", "move", "restore", "propose_move"})
HOLDER_RIGHTS: dict[tuple[str, str], frozenset[str]] = {
    (CUSTOMER, "owner"): _MANAGE,
    (CUSTOMER, "admin"): _MANAGE,
    (CUSTOMER, "billing"): frozenset({"view"}),
    (CUSTOMER, "technical"): frozenset({"view", "activate", "move"}),
    (PARTNER, "admin"): _MANAGE,
    (PARTNER, "sales"): frozenset({"view", "propose_move"}),
    (PARTNER, "support"): frozenset({"view"}),
    (PARTNER, "tech"): frozenset({"view", "activate", "move"}),
}

# The owners and admins of a tenant's account see a licence a hoster holds for it and may ask for it (LIC-4).
TENANT_OWNER_RIGHTS: dict[tuple[str, str], frozenset[str]] = {
    (CUSTOMER, "owner"): frozenset({"view", "propose_move"}),
    (CUSTOMER, "admin"): frozenset({"view", "propose_move"}),
}

# The user a licence is assigned to (LIC-5) uses it.
ASSIGNED_USER_RIGHTS = frozenset({"view", "activate", "move", "restore"})

TRANSFER_SIDE_RIGHTS: dict[tuple[str, str], frozenset[str]] = {
    (CUSTOMER, "owner"): frozenset({"view", "accept", "decline"}),
    (CUSTOMER, "admin"): frozenset({"view", "accept", "decline"}),
    (PARTNER, "admin"): frozenset({"view", "accept", "decline"}),
}
TRANSFER_PROPOSER_RIGHTS: dict[tuple[str, str], frozenset[str]] = {
    key: frozenset({"view", "withdraw"}) for key in TRANSFER_SIDE_RIGHTS
}


def register() -> None:
    from .models import (
        Activation,
        License,
        LicenseTransfer,
        ProductGroup,
        ResellerAuthorization,
        Subscription,
    )

    # --- Product groups: issuing within an authorization (LIC-2) ---
    access.register_model(ProductGroup, GROUP_ACTIONS)
    access.register_source(
        access.RowSource(
            model=ProductGroup,
            name="reseller_authorization",
            label=_("Authorized reseller"),
            rows=lambda: ResellerAuthorization.objects.all(),
            user="reseller__memberships__user_id",
            link="group_id",
            key=("reseller__memberships__role",),
            details=("pk", "reseller_id"),
            rights=AUTHORIZATION_ROLE_RIGHTS,
        )
    )
    access.register_source(vendor_staff_source(ProductGroup, {"view"}))

    access.register_model(ResellerAuthorization, ("view", "change"))
    access.register_source(
        member_source(
            ResellerAuthorization,
            "reseller_id",
            {(PARTNER, role): frozenset({"view"}) for role in AUTHORIZATION_ROLE_RIGHTS},
            name="reseller",
            label=_("Authorized reseller"),
        )
    )
    access.register_source(vendor_staff_source(ResellerAuthorization, {"view"}))

    # --- Licences ---
    access.register_model(License, LICENSE_ACTIONS)
    access.register_source(
        member_source(License, "issuer_id", ISSUER_RIGHTS, name="issuer", label=_("Issued it"))
    )
    access.register_source(
        member_source(License, "holder_id", HOLDER_RIGHTS, name="holder", label=_("Holds the licence"))
    )
    access.register_source(
        access.MembershipSource(
            model=License,
            name="tenant_owner",
            label=_("Owner of the tenant (licence held by a hoster)"),
            target_field="tenant__account_id",
            where=Q(tenant__isnull=False) & ~Q(holder_id=F("tenant__account_id")),
            rights=TENANT_OWNER_RIGHTS,
        )
    )
    access.register_source(
        access.RowSource(
            model=License,
            name="assigned_user",
            label=_("Assigned user"),
            rows=lambda: License.objects.filter(assigned_user__isnull=False),
            user="assigned_user_id",
            rights={None: ASSIGNED_USER_RIGHTS},
        )
    )
    access.register_source(
        access.MembershipSource(
            model=License,
            name="vendor_staff",
            label=_("Vendor staff"),
            target_field=None,
            rights={
                ("vendor", "admin"): frozenset({"view", "restore", "restore_unlimited"}),
                ("vendor", "support"): frozenset({"view", "restore", "restore_unlimited"}),
            },
        )
    )
    access.register_child(Activation, License, "license")
    access.register_child(Subscription, License, "license")

    # --- Moves between accounts (LIC-4): the side that did not propose answers ---
    access.register_model(LicenseTransfer, TRANSFER_ACTIONS, superuser=("view", "decline", "withdraw"))
    for side in ("from_account", "to_account"):
        access.register_source(
            access.MembershipSource(
                model=LicenseTransfer,
                name=f"{side}_answers",
                label=_("Answers the proposal"),
                target_field=f"{side}_id",
                where=~Q(proposed_by_account_id=F(f"{side}_id")),
                rights=TRANSFER_SIDE_RIGHTS,
            )
        )
        access.register_source(
            access.MembershipSource(
                model=LicenseTransfer,
                name=f"{side}_proposed",
                label=_("Proposed the move"),
                target_field=f"{side}_id",
                where=Q(proposed_by_account_id=F(f"{side}_id")),
                rights=TRANSFER_PROPOSER_RIGHTS,
            )
        )
    access.register_source(vendor_staff_source(LicenseTransfer, {"view"}))
