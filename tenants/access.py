"""Rights on tenants from the owning account and from the reseller relation: the tenants app's sources.
Implements TEN-3 (partners see the tenants they created as reseller), TEN-7 (sales book, tech deploy,
support reads, customer admins read services), TEN-4 (manage_confidential), ACC-6.

Registered in ``TenantsConfig.ready()``. ``TENANT_ACTIONS`` is the vocabulary every other app uses for
tenants; ``PARTNER_ROLE_RIGHTS`` is what a partner role may do on a tenant its partner manages — the reseller
relation gives all of it, a managed-account relation (delegations) gives it bounded by the relation's scope.
Children (domains, services, checks, offers, …) take the tenant's rights through their path; offers and their
lines need ``view_billing`` to be seen at all (DEL-3: caretakers never see prices).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.access import CUSTOMER, PARTNER, VENDOR, member_source, roles_with, vendor_staff_source
from portal import access

TENANT_ACTIONS = (
    "view",
    "change",  # registered users, configuration
    "book",  # domains and billable services: never delegated (DEL-3)
    "add_service",  # services that are not billable
    "end_service",
    "deploy",
    "run_check",
    "view_billing",  # prices, discounts, offers, invoices: never delegated
    "manage_confidential",  # expert mode: confidential domains, and seeing their names (TEN-4)
    "view_access",  # who has access and why (ACC-6): the whole list; everyone else sees their own entry
)

# The rights in words (the tenant page's "Who has access", ACC-6).
RIGHT_LABELS = {
    "view": _("view"),
    "change": _("change"),
    "book": _("book services"),
    "add_service": _("add services"),
    "end_service": _("end services"),
    "deploy": _("deploy"),
    "run_check": _("run checks"),
    "view_billing": _("see prices and billing"),
    "manage_confidential": _("confidential domains"),
    "view_access": _("see who has access"),
}

# Django permission codenames (Tenant.Meta) answered through the authority: user.has_perm("tenants.…", t).
TENANT_PERMISSIONS = {
    "view_tenant": "view",
    "change_tenant": "change",
    "book_service": "book",
    "add_service": "add_service",
    "end_service": "end_service",
    "deploy_service": "deploy",
    "run_check": "run_check",
    "view_billing": "view_billing",
    "manage_confidential": "manage_confidential",
}

# Rights a role of the owning customer account gives on its tenants.
OWN_ACCOUNT_RIGHTS: dict[tuple[str, str], frozenset[str]] = {
    (CUSTOMER, "owner"): frozenset({"view", "change", "run_check", "view_billing", "view_access"}),
    (CUSTOMER, "admin"): frozenset({"view", "change", "run_check", "view_billing", "view_access"}),
    (CUSTOMER, "billing"): frozenset({"view", "view_billing"}),
    (CUSTOMER, "technical"): frozenset({"view", "change", "run_check"}),
    (CUSTOMER, "member"): frozenset({"view"}),
}

# Rights a partner role gives on a tenant its partner manages (TEN-7: sales book, tech deploy).
PARTNER_ROLE_RIGHTS: dict[str, frozenset[str]] = {
    "admin": frozenset({"view", "change", "view_billing", "manage_confidential"}),
    "sales": frozenset({"view", "change", "book", "add_service", "end_service", "view_billing"}),
    "support": frozenset({"view"}),
    "tech": frozenset({"view", "change", "deploy", "run_check"}),
}

# Roles that may see catalogue prices: anyone who sees billing somewhere (derived, not a second list).
PRICE_READERS = frozenset(
    {key for key, rights in OWN_ACCOUNT_RIGHTS.items() if "view_billing" in rights}
    | {(PARTNER, role) for role, rights in PARTNER_ROLE_RIGHTS.items() if "view_billing" in rights}
    | {(VENDOR, "admin"), (VENDOR, "support")}
)


def register() -> None:
    from django.contrib.auth import get_user_model

    from accounts.models import Account
    from portal.models import AuditEvent

    from .models import (
        BookedService,
        CheckRun,
        Domain,
        Finding,
        Offer,
        OfferLine,
        RegisteredUser,
        ServiceType,
        Tenant,
        TenantTransfer,
    )

    access.register_model(Tenant, TENANT_ACTIONS, permissions=TENANT_PERMISSIONS)
    access.register_source(
        member_source(Tenant, "account_id", OWN_ACCOUNT_RIGHTS, label=_("Member of the owning account"))
    )
    access.register_source(
        member_source(
            Tenant,
            "reseller_id",
            {(PARTNER, role): rights for role, rights in PARTNER_ROLE_RIGHTS.items()},
            name="reseller",
            label=_("Reseller (created the tenant)"),
        )
    )
    access.register_source(vendor_staff_source(Tenant, {"view", "view_access"}))

    # The partner that resold a tenant sees the account that owns it (its number and name on the tenant).
    access.register_source(
        access.RowSource(
            model=Account,
            name="tenant_reseller",
            label=_("Reseller of one of its tenants"),
            rows=lambda: Tenant.objects.filter(reseller__isnull=False),
            user="reseller__memberships__user_id",
            link="account_id",
            details=("pk",),
            rights={None: frozenset({"view"})},
        )
    )

    access.register_child(Domain, Tenant, "tenant")
    access.register_child(RegisteredUser, Tenant, "domain__tenant")
    access.register_child(BookedService, Tenant, "domain__tenant")
    access.register_child(CheckRun, Tenant, "tenant")
    access.register_child(Finding, Tenant, "run__tenant")
    # Offers are billing: whoever sees the tenant sees that an offer exists (403, not 404); reading one needs
    # ``view_billing`` (tenants.selectors.offers_of / offer_for).
    access.register_child(Offer, Tenant, "tenant")
    access.register_child(OfferLine, Tenant, "offer__tenant")

    # Transfers (TEN-1): those who see the tenant see its transfers; the owners of either side answer.
    # A vendor admin may start or decline a transfer for the owners, never approve one.
    access.register_model(
        TenantTransfer, ("view", "approve", "decline", "cancel"), superuser=("view", "decline", "cancel")
    )
    owners = {(CUSTOMER, "owner"): frozenset({"view", "approve", "decline", "cancel"})}
    access.register_source(
        member_source(TenantTransfer, "from_account_id", owners, name="from_owner", label=_("Owner (giving)"))
    )
    access.register_source(
        member_source(TenantTransfer, "to_account_id", owners, name="to_owner", label=_("Owner (receiving)"))
    )
    access.register_source(vendor_staff_source(TenantTransfer, {"view"}))

    # The audit trail of an account's tenants is part of the account's trail (DEL-7: what caretakers did).
    access.register_source(
        member_source(
            AuditEvent,
            "tenant__account_id",
            {key: frozenset({"view"}) for key in roles_with("view_audit", CUSTOMER)},
            name="tenant_trail",
            label=_("Audit trail of the account's tenants"),
        )
    )

    # The catalogue: every signed-in person reads it; prices only those who see billing (DEL-3).
    user_model = get_user_model()
    access.register_model(ServiceType, ("view", "view_price", "change"))
    access.register_source(
        access.RowSource(
            model=ServiceType,
            name="signed_in",
            label=_("Signed in"),
            rows=lambda: user_model.objects.filter(is_active=True),
            user="pk",
            link=None,
            target_field=None,
            rights={None: frozenset({"view"})},
        )
    )
    access.register_source(
        access.MembershipSource(
            model=ServiceType,
            name="catalogue_admin",
            label=_("Vendor administrator"),
            target_field=None,
            rights={(VENDOR, "admin"): frozenset({"change"})},
        )
    )
    access.register_source(
        access.MembershipSource(
            model=ServiceType,
            name="price_reader",
            label=_("Sees billing"),
            target_field=None,
            rights={key: frozenset({"view_price"}) for key in PRICE_READERS},
        )
    )
