"""Rights the support desk adds to the access authority: who may look up entitlement, who files tickets for
an account, who sees which tickets, contracts and legacy links. Implements SUP-5, SUP-6, CHK-1, ACC-6.

Registered in ``SupportConfig.ready()``. Every table below is the only definition of its right:

- ``SupportAccount`` (a proxy of Account, same rows): ``lookup`` — vendor staff (SUP-5); ``file_ticket`` —
  the account's own members, the members of a partner managing it (ACC-4, technical scopes) and the
  caretakers of an active technical grant on one of its tenants (DEL-3), SUP-6; ``view_setup_check`` — the
  account's owners, admins and technical members, a managing partner, vendor staff (CHK-1).
- ``Ticket``: members of the account it was filed from, members of the partner that filed it, vendor staff
  (who alone change its status).
- ``Contract``: the account's owners, admins, billing and technical members read; vendor staff manage.
- ``LegacyTenantLink``: vendor staff read and resolve; the account's owners and admins read.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.access import CUSTOMER, PARTNER, VENDOR, member_source, vendor_staff_source
from portal import access

TECHNICAL_SCOPES = ("technical", "full_technical")

SUPPORT_ACCOUNT_ACTIONS = ("view", "lookup", "file_ticket", "view_setup_check")

# Members of the account itself (customers and partners with their own contracts).
MEMBER_ACCOUNT_RIGHTS: dict[tuple[str, str], frozenset[str]] = {
    (CUSTOMER, "owner"): frozenset({"view", "file_ticket", "view_setup_check"}),
    (CUSTOMER, "admin"): frozenset({"view", "file_ticket", "view_setup_check"}),
    (CUSTOMER, "technical"): frozenset({"view", "file_ticket", "view_setup_check"}),
    (CUSTOMER, "member"): frozenset({"view", "file_ticket"}),
    (CUSTOMER, "billing"): frozenset({"view"}),
    (PARTNER, "admin"): frozenset({"view", "file_ticket", "view_setup_check"}),
    (PARTNER, "support"): frozenset({"view", "file_ticket"}),
    (PARTNER, "tech"): frozenset({"view", "file_ticket", "view_setup_check"}),
    (PARTNER, "sales"): frozenset({"view"}),
}
# Members of a managing partner (by partner role and relation scope): technical scopes file tickets.
MANAGING_PARTNER_RIGHTS: dict[tuple[str, str], frozenset[str]] = {
    (role, scope): frozenset({"view", "view_setup_check"})
    | (
        frozenset({"file_ticket"})
        if scope in TECHNICAL_SCOPES and role in ("admin", "support", "tech")
        else frozenset()
    )
    for role in ("admin", "sales", "support", "tech")
    for scope in ("read", "technical", "full_technical")
}
VENDOR_SUPPORT_RIGHTS = {
    (VENDOR, "admin"): frozenset({"view", "lookup", "view_setup_check"}),
    (VENDOR, "support"): frozenset({"view", "lookup", "view_setup_check"}),
}

TICKET_ACTIONS = ("view", "message", "change_status")
TICKET_MEMBER_RIGHTS = {
    key: frozenset({"view", "message"}) if "file_ticket" in rights else frozenset({"view"})
    for key, rights in MEMBER_ACCOUNT_RIGHTS.items()
}
TICKET_FILING_PARTNER_RIGHTS = {
    (PARTNER, role): frozenset({"view", "message"}) for role in ("admin", "support", "tech", "sales")
}

CONTRACT_ACTIONS = ("view", "change")
CONTRACT_READERS = {
    (CUSTOMER, role): frozenset({"view"}) for role in ("owner", "admin", "billing", "technical")
} | {(PARTNER, role): frozenset({"view"}) for role in ("admin", "sales")}

LEGACY_ACTIONS = ("view", "resolve")


def register() -> None:
    from delegations.access import active_grants, active_relations

    from .models import Contract, LegacyTenantLink, SupportAccount, Ticket

    # --- The account as the support desk sees it ---
    access.register_model(
        SupportAccount, SUPPORT_ACCOUNT_ACTIONS, superuser=("view", "lookup", "view_setup_check")
    )
    access.register_source(
        member_source(SupportAccount, "pk", MEMBER_ACCOUNT_RIGHTS, label=_("Member of the account"))
    )
    access.register_source(
        access.RowSource(
            model=SupportAccount,
            name="managed_account",
            label=_("Managing partner"),
            rows=active_relations,
            user="partner_account__memberships__user_id",
            link="customer_account_id",
            key=("partner_account__memberships__role", "scope"),
            details=("pk", "scope", "partner_account_id"),
            rights=MANAGING_PARTNER_RIGHTS,
        )
    )
    access.register_source(
        access.RowSource(
            model=SupportAccount,
            name="technical_caretaker",
            label=_("Caretaker with technical access"),
            rows=active_grants,
            user="caretaker_id",
            link="customer_account_id",
            key=("scope",),
            details=("pk", "scope", "tenant_id", "partner_account_id"),
            rights={scope: frozenset({"view", "file_ticket"}) for scope in TECHNICAL_SCOPES},
        )
    )
    access.register_source(
        access.MembershipSource(
            model=SupportAccount,
            name="vendor_staff",
            label=_("Vendor staff"),
            target_field=None,
            rights=VENDOR_SUPPORT_RIGHTS,
        )
    )

    # --- Tickets ---
    access.register_model(Ticket, TICKET_ACTIONS)
    access.register_source(
        member_source(Ticket, "account_id", TICKET_MEMBER_RIGHTS, label=_("Member of the account"))
    )
    access.register_source(
        member_source(
            Ticket,
            "filed_by_account_id",
            TICKET_FILING_PARTNER_RIGHTS,
            name="filing_partner",
            label=_("Partner that filed it"),
        )
    )
    access.register_source(vendor_staff_source(Ticket, TICKET_ACTIONS))

    # --- Contracts ---
    access.register_model(Contract, CONTRACT_ACTIONS)
    access.register_source(
        member_source(Contract, "account_id", CONTRACT_READERS, label=_("Member of the account"))
    )
    access.register_source(vendor_staff_source(Contract, CONTRACT_ACTIONS))

    # --- Legacy double links (CHK-1 case C) ---
    access.register_model(LegacyTenantLink, LEGACY_ACTIONS)
    access.register_source(
        member_source(
            LegacyTenantLink,
            "account_id",
            {(CUSTOMER, role): frozenset({"view"}) for role in ("owner", "admin")},
            label=_("Member of the account"),
        )
    )
    access.register_source(vendor_staff_source(LegacyTenantLink, LEGACY_ACTIONS))
