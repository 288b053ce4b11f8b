"""record_event(): the one way services write the audit trail (DEL-7)."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from portal import access
from portal.models import AuditEvent


def _account_and_tenant(target: models.Model | None):
    from accounts.models import Account
    from tenants.models import Tenant

    if target is None:
        return None, None
    if isinstance(target, Tenant):
        return target.account_id, target.pk
    if isinstance(target, Account):
        return target.pk, None
    tenant = getattr(target, "tenant", None)
    if isinstance(tenant, Tenant):
        return tenant.account_id, tenant.pk
    account_id = getattr(target, "account_id", None) or getattr(target, "customer_account_id", None)
    return account_id, None


def record_event(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    acting_account=None,
    account=None,
    tenant=None,
    grant=None,
    target_repr: str | None = None,
) -> AuditEvent:
    """Write one audit event. The account and tenant whose trail it joins are derived from the target
    unless given. ``acting_account`` defaults to the actor's active account when one is attached."""
    derived_account_id, derived_tenant_id = _account_and_tenant(target)
    if acting_account is None and actor is not None:
        acting_account = getattr(actor, "active_account", None)
    tenant_id = tenant.pk if tenant is not None else derived_tenant_id
    grant_id = grant.pk if grant is not None else None
    if grant_id is None and tenant_id is not None and actor is not None:
        from tenants.models import Tenant

        the_tenant = tenant or (target if isinstance(target, Tenant) else getattr(target, "tenant", None))
        if the_tenant is None:
            the_tenant = Tenant.objects.get(pk=tenant_id)
        grant_id = access.grant_used(actor, the_tenant)  # DEL-7: what a delegate did names its grant
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        acting_account=acting_account,
        account_id=account.pk if account is not None else derived_account_id,
        tenant_id=tenant_id,
        grant_id=grant_id,
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=(target_repr if target_repr is not None else str(target) if target is not None else "")[
            :255
        ],
        changes=data or {},
    )
