"""Tenant writes. Implements TEN-1 (one owning account, audited two-sided transfer), TEN-2, TEN-3 (reseller link).

Domains and booked services (TEN-4..TEN-8) get their own modules as they grow.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, AccountKind, AccountPurpose, Role, User
from portal import access
from portal.audit import record_event
from portal.errors import InvalidTransition, NotPermitted, RuleViolation
from portal.numbers import next_number

from ..models import Environment, Tenant, TenantTransfer, TransferStatus


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


def partner_manages_account(partner: Account, account: Account) -> bool:
    from delegations.models import ManagedAccount

    return (
        account.reseller_id == partner.pk
        or ManagedAccount.objects.filter(
            partner_account=partner, customer_account=account, status="active"
        ).exists()
    )


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
    """Create a tenant owned by ``account``.

    Members with ``change`` on their own account create tenants for it. A partner's ``sales`` members
    create tenants for customers the partner created or manages (TEN-7); the partner becomes the tenant's
    reseller and its role groups get their rights in the same transaction (TEN-3).
    """
    name = (name or "").strip()
    if not name:
        raise RuleViolation(
            _("The tenant needs a name."), code="name_required", fields={"name": [_("Required.")]}
        )
    reseller = None
    if actor is not None and not actor.is_superuser:
        if acting_for is not None and acting_for.pk != account.pk:
            if acting_for.kind != AccountKind.PARTNER or "resell" not in access.account_actions(
                actor, acting_for.pk, acting_for.kind
            ):
                raise NotPermitted(
                    _("Only a partner's sales staff create tenants for customers."), code="not_permitted"
                )
            if not partner_manages_account(acting_for, account):
                raise access.NotFound()
            reseller = acting_for
        elif "change" not in access.account_actions(actor, account.pk, account.kind):
            access.require(actor, "change", account)
    elif acting_for is not None and acting_for.pk != account.pk and acting_for.kind == AccountKind.PARTNER:
        reseller = acting_for
    if account.kind != AccountKind.CUSTOMER and reseller is not None:
        raise RuleViolation(_("Partners create tenants for customer accounts only."), code="not_a_customer")
    check_environment(account, environment)
    tenant = Tenant.objects.create(
        number=number or next_number("tenant"),
        name=name,
        environment=environment,
        account=account,
        reseller=reseller,
    )
    access.sync_tenant_permissions([tenant.pk])
    record_event(
        actor=actor,
        action="tenant.created",
        target=tenant,
        acting_account=acting_for,
        data={"environment": environment, "reseller": reseller.number if reseller else None},
    )
    return tenant


@transaction.atomic
def rename_tenant(*, actor: User, tenant: Tenant, name: str) -> Tenant:
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    access.require(actor, "change", tenant)
    name = (name or "").strip()
    if not name:
        raise RuleViolation(
            _("The tenant needs a name."), code="name_required", fields={"name": [_("Required.")]}
        )
    old = tenant.name
    tenant.name = name
    tenant.save(update_fields=["name"])
    record_event(actor=actor, action="tenant.renamed", target=tenant, data={"from": old, "to": name})
    return tenant


def _is_owner(user: User, account: Account) -> bool:
    """TEN-1: a transfer needs both owners themselves; a superuser may start or decline one, never approve."""
    return Role.OWNER in access.roles_by_account(user).get(account.pk, ())


@transaction.atomic
def request_transfer(*, actor: User, tenant: Tenant, to_account: Account) -> TenantTransfer:
    """Start moving a tenant to another account (TEN-1). The requesting owner's side counts as approved;
    vendor admins (superusers) may start a transfer for the owners, who then approve both sides."""
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    access.require(actor, "view", tenant)
    requested_by_owner = _is_owner(actor, tenant.account)
    if not (requested_by_owner or actor.is_superuser):
        raise NotPermitted(_("Only an owner of the tenant's account can transfer it."), code="owner_required")
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
    if transfer.status != TransferStatus.PENDING:
        raise InvalidTransition(_("This transfer is no longer pending."), code="transfer_not_pending")
    sides = []
    if _is_owner(actor, transfer.from_account):
        sides.append("from")
    if _is_owner(actor, transfer.to_account):
        sides.append("to")
    if not sides:
        raise NotPermitted(_("Only an owner of one of the two accounts can approve."), code="owner_required")
    for side in sides:
        setattr(transfer, f"{side}_approved_by", actor)
    if transfer.from_approved_by_id and transfer.to_approved_by_id:
        tenant = Tenant.objects.select_for_update().get(pk=transfer.tenant_id)
        if tenant.account_id != transfer.from_account_id:
            raise InvalidTransition(
                _("The tenant has moved since the transfer was requested."), code="transfer_stale"
            )
        check_environment(transfer.to_account, tenant.environment)
        tenant.account = transfer.to_account
        tenant._transfer_approved = True
        tenant.save(update_fields=["account"])
        transfer.status = TransferStatus.COMPLETED
        transfer.completed_at = timezone.now()
        access.sync_tenant_permissions([tenant.pk])  # a managed-account relation may differ on the new side
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
    if transfer.status != TransferStatus.PENDING:
        raise InvalidTransition(_("This transfer is no longer pending."), code="transfer_not_pending")
    if not (
        actor.is_superuser or _is_owner(actor, transfer.from_account) or _is_owner(actor, transfer.to_account)
    ):
        raise NotPermitted(_("Only an owner of one of the two accounts can decline."), code="owner_required")
    transfer.status = TransferStatus.DECLINED
    transfer.save(update_fields=["status"])
    record_event(
        actor=actor, action="tenant.transfer_declined", target=transfer.tenant, data={"transfer": transfer.pk}
    )
    return transfer
