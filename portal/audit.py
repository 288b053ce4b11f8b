"""record_event(): the one way services write the audit trail (DEL-7)."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy

from portal import access
from portal.models import AuditEvent


def _account_and_tenant(target: models.Model | None) -> tuple[int | None, int | None]:
    """The account and tenant whose trails an event on ``target`` joins. Models say it themselves with
    ``audit_scope() -> (account_id, tenant_id)`` (Tenant, Account); others through their ``tenant``, or their
    ``account_id`` / ``customer_account_id``. The ground floor knows no app's models."""
    if target is None:
        return None, None
    scope = getattr(target, "audit_scope", None)
    if callable(scope):
        return scope()
    tenant = getattr(target, "tenant", None)
    if tenant is not None and callable(getattr(tenant, "audit_scope", None)):
        return tenant.audit_scope()
    account_id = getattr(target, "account_id", None) or getattr(target, "customer_account_id", None)
    return account_id, None


def _tenant_of(target, tenant):
    if tenant is not None:
        return tenant
    if (
        target is not None
        and callable(getattr(target, "audit_scope", None))
        and target.audit_scope()[1] == target.pk
    ):
        return target
    candidate = getattr(target, "tenant", None) if target is not None else None
    return candidate if candidate is not None and callable(getattr(candidate, "audit_scope", None)) else None


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
    if actor is None:
        raise TypeError("record_event needs an actor: a user, or access.SYSTEM for the portal itself")
    derived_account_id, derived_tenant_id = _account_and_tenant(target)
    if acting_account is None:
        acting_account = getattr(actor, "active_account", None)
    tenant_id = tenant.pk if tenant is not None else derived_tenant_id
    grant_id = grant.pk if grant is not None else None
    the_tenant = _tenant_of(target, tenant)
    if grant_id is None and the_tenant is not None and access.is_person(actor):
        used = access.delegation_used(actor, the_tenant)  # DEL-7: what a delegate did names its grant
        if used is not None and used[0] == "grant":
            grant_id = used[1]
    return AuditEvent.objects.create(
        actor=actor if access.is_person(actor) else None,
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


# How an action code reads in the trail and on the dashboard. Codes without a label are shown as they are.
ACTION_LABELS = {
    "account.created": gettext_lazy("Account created"),
    "account.changed": gettext_lazy("Account changed"),
    "account.erased": gettext_lazy("Personal data erased (GDPR)"),
    "reports.destination.created": gettext_lazy("Delivery destination created"),
    "reports.destination.changed": gettext_lazy("Delivery destination changed"),
    "reports.destination.deleted": gettext_lazy("Delivery destination removed"),
    "reports.destination.secret_rotated": gettext_lazy("Webhook signing secret renewed"),
    "reports.delivery.resent": gettext_lazy("Delivery sent again"),
    "membership.invited": gettext_lazy("Member invited"),
    "membership.invitation_sent": gettext_lazy("Invitation sent (awaiting the user's consent)"),
    "membership.invitation_accepted": gettext_lazy("Invitation accepted"),
    "membership.invitation_declined": gettext_lazy("Invitation declined"),
    "membership.invitation_withdrawn": gettext_lazy("Invitation withdrawn"),
    "management.lapsed": gettext_lazy("Account management request lapsed"),
    "api_token.issued": gettext_lazy("API token issued"),
    "api_token.revoked": gettext_lazy("API token revoked"),
    "api_token.revoked_all": gettext_lazy("All API tokens revoked"),
    "user.logged_out_everywhere": gettext_lazy("Logged out everywhere"),
    "two_factor.enabled": gettext_lazy("Two-factor authentication turned on"),
    "two_factor.disabled": gettext_lazy("Two-factor authentication turned off"),
    "two_factor.reset": gettext_lazy("Two-factor authentication reset"),
    "two_factor.recovery_codes_renewed": gettext_lazy("Recovery codes renewed"),
    "two_factor.recovery_code_used": gettext_lazy("Recovery code used"),
    "membership.roles_changed": gettext_lazy("Roles changed"),
    "membership.removed": gettext_lazy("Member removed"),
    "user.signed_up": gettext_lazy("User signed up"),
    "user.changed": gettext_lazy("User changed"),
    "user.password_set": gettext_lazy("Password set by an administrator"),
    "delegation.requested": gettext_lazy("Caretaker access requested"),
    "delegation.request_repeated": gettext_lazy("Caretaker access requested again"),
    "delegation.granted": gettext_lazy("Caretaker access granted"),
    "delegation.link_resent": gettext_lazy("Grant link sent again"),
    "delegation.accepted": gettext_lazy("Caretaker access accepted"),
    "delegation.declined": gettext_lazy("Caretaker access declined"),
    "delegation.withdrawn": gettext_lazy("Caretaker access withdrawn"),
    "delegation.revoked": gettext_lazy("Caretaker access revoked"),
    "delegation.resigned": gettext_lazy("Caretaker resigned"),
    "delegation.extended": gettext_lazy("Caretaker access extended"),
    "delegation.expired": gettext_lazy("Caretaker access expired"),
    "delegation.lapsed": gettext_lazy("Caretaker request lapsed"),
    "management.requested": gettext_lazy("Account management requested"),
    "management.approved": gettext_lazy("Account management approved"),
    "management.declined": gettext_lazy("Account management declined"),
    "management.withdrawn": gettext_lazy("Account management request withdrawn"),
    "management.partner_notified": gettext_lazy("Partner notified of the dissolution"),
    "management.dissolved": gettext_lazy("Account management dissolved"),
    "tenant.created": gettext_lazy("Tenant created"),
    "tenant.renamed": gettext_lazy("Tenant renamed"),
    "tenant.transfer_requested": gettext_lazy("Tenant transfer requested"),
    "tenant.transfer_approved": gettext_lazy("Tenant transfer approved"),
    "tenant.transfer_declined": gettext_lazy("Tenant transfer declined"),
    "tenant.transferred": gettext_lazy("Tenant transferred"),
    "tenant.domain.added": gettext_lazy("Domain added"),
    "tenant.domain.confidential_set": gettext_lazy("Confidential mark changed"),
    "tenant.domain.user_added": gettext_lazy("Registered user added"),
    "tenant.domain.user_removed": gettext_lazy("Registered user removed"),
    "tenant.services.booked": gettext_lazy("Services booked"),
    "tenant.service.discount_set": gettext_lazy("Discount set"),
    "tenant.service.cancelled": gettext_lazy("Service cancelled"),
    "tenant.service.ended": gettext_lazy("Service ended"),
    "tenant.services.ended": gettext_lazy("Services ended"),
    "tenant.deployed": gettext_lazy("Domains and services deployed"),
    "tenant.check.started": gettext_lazy("Consistency check started"),
    "tenant.check.finished": gettext_lazy("Consistency check finished"),
    "tenant.offer.created": gettext_lazy("Offer created"),
    "tenant.catalogue.service_type_created": gettext_lazy("Service type created"),
    "tenant.catalogue.service_type_changed": gettext_lazy("Service type changed"),
    "portal.jobs.rerun": gettext_lazy("Failed background jobs re-run"),
}


def register_action_labels(labels: dict) -> None:
    """Apps add the names of their own actions (support: contracts, tickets, legacy links)."""
    for action, label in labels.items():
        ACTION_LABELS.setdefault(action, label)


def action_label(action: str) -> str:
    """The action's name in the active language; an action without a label reads as its code."""
    return str(ACTION_LABELS.get(action, action))
