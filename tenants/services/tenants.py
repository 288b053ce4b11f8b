"""Tenant writes. Implements TEN-1 (one owning account, audited two-sided transfer), TEN-2, TEN-3 (reseller link).

Domains and booked services (TEN-4..TEN-8) get their own modules as they grow.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, AccountKind, AccountPurpose, User
from portal import access
from portal.audit import record_event
from portal.errors import InvalidTransition, NotFound, NotPermitted, RuleViolation
from portal.numbers import next_number
from portal.text import clean_single_line

from ..models import Environment, Tenant, TenantTransfer, TransferStatus
from ..transitions import TRANSFER


def check_environment(account: Account, environment: str) -> None:
    """TEN-2: production tenants in production accounts; staging/test tenants in staging/simulation accounts."""
    if environment not in Environment.values:
        raise RuleViolation(
            _("Unknown environment."),
            code="invalid_environment",
            fields={"environment": [_("Invalid choice.")]},
        )
    production_account = account.purpose == AccountPurpose.PRODUCTION
    if (environment == Environment.PRODUCTION) != production_account:
        raise RuleViolation(
            _(
                "A production tenant belongs to a production account; staging and test tenants belong to "
                "staging or simulation accounts."
            ),
            code="environment_mismatch",
            fields={
                "environment": [
                    _("Does not fit the account's purpose (%(purpose)s).")
                    % {"purpose": account.get_purpose_display()}
                ]
            },
        )


def _reseller_for(actor: User, account: Account, acting_for: Account | None) -> Account | None:
    """Who becomes the new tenant's reseller, from the reason the actor may create tenants in ``account``
    (the authority's explanation, so no second rule): the partner that created the customer (LIC-2,
    TEN-3) becomes reseller; a partner managing the account (ACC-4, a scope that allows it) does not — its
    rights stay bounded by the relation's scope and end with it; the account's own owners and admins create
    tenants without a reseller. ``acting_for`` names the partner the actor acts for; it must be the one
    whose relation gives the right."""
    access.require(actor, "create_tenant", account)
    if actor is access.SYSTEM:
        return acting_for if acting_for is not None and account.reseller_id == acting_for.pk else None
    reasons = [r for r in access.why(actor, account) if "create_tenant" in r.rights]
    if acting_for is not None and acting_for.pk != account.pk and acting_for.kind == AccountKind.PARTNER:
        access.require(actor, "resell", acting_for)
        for reason in reasons:
            if reason.source == "reseller" and reason.details.get("account_id") == acting_for.pk:
                return acting_for
            if (
                reason.source == "managed_account"
                and reason.details.get("partner_account_id") == acting_for.pk
            ):
                return None  # rights from the relation only, bounded by its scope (ACC-4)
    if any(reason.source in ("membership", "superuser") for reason in reasons):
        return None
    if acting_for is None:
        resellers = [reason for reason in reasons if reason.source == "reseller"]
        if resellers:
            return Account.objects.get(pk=resellers[0].details["account_id"])
        if reasons:
            return None
    raise NotFound()


@transaction.atomic
def create_tenant(
    *,
    actor: User,
    account: Account,
    name: str,
    environment: str = Environment.PRODUCTION,
    acting_for: Account | None = None,
    number: str | None = None,
) -> Tenant:
    """Create a tenant owned by the customer account ``account`` (TEN-1: tenants belong to customer accounts).

    Who may: the account's owners and admins; a partner's ``sales`` members for customers the partner created
    (the partner becomes the tenant's reseller) or manages with a scope that allows it (no reseller: the
    relation's scope bounds the partner's rights and they end with it) — all decided by ``access``.
    """
    name = clean_single_line(name, "name")
    if not name:
        raise RuleViolation(
            _("The tenant needs a name."), code="name_required", fields={"name": [_("Required.")]}
        )
    if account.kind != AccountKind.CUSTOMER:
        raise RuleViolation(
            _("Tenants belong to customer accounts. Choose the customer the tenant is for."),
            code="not_a_customer",
            fields={"account": [_("Choose a customer account.")]},
        )
    reseller = _reseller_for(actor, account, acting_for)
    check_environment(account, environment)
    tenant = Tenant.objects.create(
        number=number or next_number("tenant"),
        name=name,
        environment=environment,
        account=account,
        reseller=reseller,
    )
    record_event(
        actor=actor,
        action="tenant.created",
        target=tenant,
        acting_account=acting_for,
        data={"environment": environment, "reseller": reseller.number if reseller else None},
    )
    return tenant


@transaction.atomic
def create_customer_with_tenant(
    *,
    actor: User,
    partner: Account,
    customer_name: str,
    contact_email: str,
    name: str,
    environment: str = Environment.PRODUCTION,
) -> tuple[Account, Tenant]:
    """TEN-7 "new tenant" for a new customer (issue 8 §7): the partner's ``sales`` member creates the customer
    account (the partner becomes its reseller, the contact is invited to become owner) and its first tenant —
    together or not at all. The page and ``POST /api/v1/customers/`` call this one service."""
    from accounts import services as account_services

    account = account_services.create_customer_for_partner(
        actor=actor, partner=partner, name=customer_name, contact_email=contact_email
    )
    tenant = create_tenant(
        actor=actor, account=account, name=name, environment=environment, acting_for=partner
    )
    return account, tenant


@transaction.atomic
def rename_tenant(*, actor: User, tenant: Tenant, name: str) -> Tenant:
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    access.require(actor, "change", tenant)
    name = clean_single_line(name, "name")
    if not name:
        raise RuleViolation(
            _("The tenant needs a name."), code="name_required", fields={"name": [_("Required.")]}
        )
    old = tenant.name
    tenant.name = name
    tenant.save(update_fields=["name"])
    record_event(actor=actor, action="tenant.renamed", target=tenant, data={"from": old, "to": name})
    return tenant


# Apps whose rights hang on the tenant's owner register what a completed transfer ends (delegations: the old
# owner's caretaker grants). ``lock(tenant_id)`` runs before the tenant row is locked (their lock order),
# ``apply(tenant=, transfer=, actor=)`` in the same transaction once the tenant has moved.
_TRANSFER_HOOKS: list[tuple] = []


def register_transfer_hook(*, lock, apply) -> None:
    _TRANSFER_HOOKS.append((lock, apply))


def _approving_sides(actor: User, transfer: TenantTransfer) -> list[str]:
    """TEN-1: the sides (``from``, ``to``) whose owner the actor is — from the authority's explanation of the
    transfer, so the rule "owners of either side approve" is written once (tenants.access)."""
    sides = {"from_owner": "from", "to_owner": "to"}
    return sorted(
        {sides[r.source] for r in access.why(actor, transfer) if r.source in sides and "approve" in r.rights}
    )


@transaction.atomic
def request_transfer(*, actor: User, tenant: Tenant, to_account: Account) -> TenantTransfer:
    """Start moving a tenant to another account (TEN-1). The requesting owner's side counts as approved;
    vendor admins (superusers) may start a transfer for the owners, who then approve both sides."""
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    access.require(actor, "view", tenant)
    if not access.can(actor, "transfer", tenant.account):
        raise NotPermitted(_("Only an owner of the tenant's account can transfer it."), code="owner_required")
    # Started by an owner of the giving side: that side counts as approved (a vendor admin only starts it).
    requested_by_owner = any(
        r.source == "membership" and "transfer" in r.rights for r in access.why(actor, tenant.account)
    )
    if to_account.pk == tenant.account_id:
        raise RuleViolation(
            _("The tenant already belongs to this account."),
            code="same_account",
            fields={"to_account": [_("Choose another account.")]},
        )
    check_environment(to_account, tenant.environment)
    if TenantTransfer.objects.filter(tenant=tenant, status=TransferStatus.PENDING).exists():
        raise InvalidTransition(
            _("A transfer of this tenant is already waiting for approval."), code="transfer_pending"
        )
    transfer = TenantTransfer.objects.create(
        tenant=tenant,
        from_account=tenant.account,
        to_account=to_account,
        requested_by=actor,
        from_approved_by=actor if requested_by_owner else None,
    )
    record_event(
        actor=actor,
        action="tenant.transfer_requested",
        target=tenant,
        data={"from": tenant.account.identifier, "to": to_account.identifier, "transfer": transfer.pk},
    )
    return transfer


@transaction.atomic
def approve_transfer(*, actor: User, transfer: TenantTransfer) -> TenantTransfer:
    """An owner of either side approves; when both sides have, the tenant moves, in this transaction."""
    transfer = TenantTransfer.objects.select_for_update().get(pk=transfer.pk)
    TRANSFER.require(transfer, "approve")
    sides = _approving_sides(actor, transfer)
    if not sides:
        raise NotPermitted(_("Only an owner of one of the two accounts can approve."), code="owner_required")
    for side in sides:
        setattr(transfer, f"{side}_approved_by", actor)
    if transfer.from_approved_by_id and transfer.to_approved_by_id:
        for lock, _apply in _TRANSFER_HOOKS:
            lock(transfer.tenant_id)
        tenant = Tenant.objects.select_for_update().get(pk=transfer.tenant_id)
        if tenant.account_id != transfer.from_account_id:
            raise InvalidTransition(
                _("The tenant has moved since the transfer was requested."), code="transfer_stale"
            )
        check_environment(transfer.to_account, tenant.environment)
        tenant.account = transfer.to_account
        if tenant.reseller_id is not None and tenant.reseller_id != transfer.to_account.reseller_id:
            tenant.reseller = None  # the reseller relation was with the old account (TEN-3)
        tenant._transfer_approved = True
        tenant.save(update_fields=["account", "reseller"])
        transfer.status = TransferStatus.COMPLETED
        transfer.completed_at = timezone.now()
        for _lock, apply in _TRANSFER_HOOKS:
            apply(tenant=tenant, transfer=transfer, actor=actor)
        for account in (transfer.from_account, transfer.to_account):
            record_event(
                actor=actor,
                action="tenant.transferred",
                target=tenant,
                account=account,
                data={"from": transfer.from_account.identifier, "to": transfer.to_account.identifier},
            )
    else:
        record_event(
            actor=actor,
            action="tenant.transfer_approved",
            target=transfer.tenant,
            data={"side": sides, "transfer": transfer.pk},
        )
    transfer.save()
    return transfer


@transaction.atomic
def decline_transfer(*, actor: User, transfer: TenantTransfer) -> TenantTransfer:
    transfer = TenantTransfer.objects.select_for_update().get(pk=transfer.pk)
    TRANSFER.require(transfer, "decline")
    if not access.can(actor, "decline", transfer):
        raise NotPermitted(_("Only an owner of one of the two accounts can decline."), code="owner_required")
    transfer.status = TransferStatus.DECLINED
    transfer.save(update_fields=["status"])
    record_event(
        actor=actor, action="tenant.transfer_declined", target=transfer.tenant, data={"transfer": transfer.pk}
    )
    return transfer


def transfer_actions(user: User, transfer: TenantTransfer) -> list[str]:
    """What ``user`` may do to ``transfer`` now (pages and API ``actions``): the table's transitions the
    authority allows, without ``approve`` once every side the user answers for has approved."""
    actions = TRANSFER.actions_for(user, transfer)
    if "approve" in actions:
        sides = _approving_sides(user, transfer)
        if not [side for side in sides if getattr(transfer, f"{side}_approved_by_id") is None]:
            actions.remove("approve")
    return actions
