"""Managed accounts: a partner manages a customer's account with the owner's approval. Implements ACC-4, DEL-7.

    request (partner) → pending ─approve (owner)→ active ─dissolve (owner, or vendor staff after notifying
                          │                                the partner)→ dissolved
                          ├─ decline (owner) → declined
                          └─ withdraw (partner) → withdrawn

While active, the partner's members hold scope ∩ role rights on every tenant of the customer, present and
future: the authority reads them from the active relation (delegations.access, source "managed_account"), so
they end in the transaction that ends the relation. Billing and ownership stay with the customer: no scope
carries them (delegations.access.SCOPE_RIGHTS).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account, User
from portal import access, ratelimit
from portal.audit import record_event
from portal.errors import InvalidTransition, RuleViolation
from portal.text import has_control_characters

from ..models import ManagedAccount, ManagedAccountStatus
from ..transitions import RELATION
from .common import (
    after_commit_relation,
    clean_message,
    clean_scope,
    lock_relation,
    partner_account_for,
)


def _record(
    actor, action: str, relation: ManagedAccount, data: dict | None = None, acting_account=None
) -> None:
    record_event(
        actor=actor,
        action=action,
        target=relation,
        account=relation.customer_account,
        acting_account=acting_account,
        data={
            "customer": relation.customer_label,
            "partner": relation.partner_account.identifier,
            "scope": relation.scope,
            **(data or {}),
        },
    )


# What the requesting partner is told, whether or not the customer number exists (UI and API show exactly this).
MANAGEMENT_REQUEST_RECEIVED = gettext_lazy(
    "If a customer account with this number exists, its owners have been asked to approve."
)


def _clean_customer_number(value: str) -> str:
    number = (value or "").strip().upper()
    if not number or len(number) > 20 or has_control_characters(number):
        raise RuleViolation(
            _("Enter a customer number, e.g. K-100042."),
            code="invalid_customer_number",
            fields={"customer_number": [_("Enter a customer number.")]},
        )
    return number


@transaction.atomic
def request_management(
    *,
    actor: User,
    customer_number: str,
    scope: str,
    message: str = "",
    partner_account: Account | None = None,
) -> ManagedAccount:
    """A partner (admin or sales) asks to manage a customer account; its owners decide (ACC-4).

    Mirrors the caretaker request (DEL-1): the request is stored with the typed
    number whether or not such a customer exists, the answer is the same either way (MANAGEMENT_REQUEST_
    RECEIVED), the partner sees no name before the owner approves, and the request counts against the
    per-user, per-partner-account and per-customer-number rate limits (nothing is stored when one is
    exhausted). Asking again while a request is pending, or for an account the partner already manages,
    stores nothing new and answers the same. Returns the (new or already open) relation for internal callers;
    the interfaces never show it before the owner's answer.
    """
    partner_account = partner_account_for(actor, "request_management", partner_account)
    scope = clean_scope(scope)
    message = clean_message(message)
    number = _clean_customer_number(customer_number)
    ratelimit.hit("management_request_user", str(actor.pk))
    ratelimit.hit("management_request_account", str(partner_account.pk))
    ratelimit.hit("management_request_target", number)
    open_relations = ManagedAccount.objects.filter(
        customer_number=number,
        partner_account=partner_account,
        status__in=[ManagedAccountStatus.PENDING, ManagedAccountStatus.ACTIVE],
    )
    existing = open_relations.first()
    if existing is not None:
        return existing
    customer = Account.objects.filter(number=number, kind="customer").first()
    try:
        with transaction.atomic():
            relation = ManagedAccount.objects.create(
                customer_account=customer,
                customer_number=number,
                partner_account=partner_account,
                scope=scope,
                message=message,
                requested_by=actor,
            )
    except IntegrityError:
        return open_relations.get()  # the same request arrived twice at once: one row is enough
    _record(actor, "management.requested", relation, acting_account=partner_account)
    # Enqueued whether or not the account exists (the task finds no owners for an unknown number).
    after_commit_relation("management_requested", relation, actor)
    return relation


@transaction.atomic
def approve_management(*, actor: User, relation: ManagedAccount) -> ManagedAccount:
    """Only an owner of the customer account approves; the partner's rights start in this transaction."""
    relation = lock_relation(relation.pk)
    access.require(actor, "approve", relation)
    RELATION.require(relation, "approve")
    if relation.customer_account_id is None:
        raise InvalidTransition(_("This request is no longer pending."), code="management_not_pending")
    Account.objects.select_for_update().get(pk=relation.customer_account_id)  # one managing partner at a time
    if ManagedAccount.objects.filter(
        customer_account_id=relation.customer_account_id, status=ManagedAccountStatus.ACTIVE
    ).exists():
        raise InvalidTransition(
            _("Another partner manages this account. Dissolve that relation first."), code="already_managed"
        )
    relation.status = ManagedAccountStatus.ACTIVE
    relation.decided_at = timezone.now()
    relation.decided_by = actor
    relation.save(update_fields=["status", "decided_at", "decided_by"])
    _record(actor, "management.approved", relation)
    after_commit_relation("management_approved", relation, actor)
    return relation


@transaction.atomic
def decline_management(*, actor: User, relation: ManagedAccount, reason: str = "") -> ManagedAccount:
    relation = lock_relation(relation.pk)
    access.require(actor, "decline", relation)
    RELATION.require(relation, "decline")
    relation.status = ManagedAccountStatus.DECLINED
    relation.decided_at = timezone.now()
    relation.decided_by = actor
    relation.end_reason = clean_message(reason)
    relation.save(update_fields=["status", "decided_at", "decided_by", "end_reason"])
    _record(actor, "management.declined", relation, {"reason": relation.end_reason})
    after_commit_relation("management_declined", relation, actor)
    return relation


@transaction.atomic
def withdraw_management(*, actor: User, relation: ManagedAccount) -> ManagedAccount:
    relation = lock_relation(relation.pk)
    access.require(actor, "withdraw", relation)
    RELATION.require(relation, "withdraw")
    relation.status = ManagedAccountStatus.WITHDRAWN
    relation.ended_at = timezone.now()
    relation.ended_by = actor
    relation.save(update_fields=["status", "ended_at", "ended_by"])
    _record(actor, "management.withdrawn", relation, acting_account=relation.partner_account)
    after_commit_relation("management_withdrawn", relation, actor)
    return relation


@transaction.atomic
def notify_partner_of_dissolution(*, actor: User, relation: ManagedAccount, notice: str) -> ManagedAccount:
    """Vendor staff tell the partner that they will dissolve on the owner's behalf (ACC-4, seed 000 case F:
    "we try to reach the partner agency first"). The notice is kept on the relation and in the audit trail."""
    relation = lock_relation(relation.pk)
    access.require(actor, "notify_partner", relation)
    RELATION.require(relation, "notify_partner")
    notice = clean_message(notice)
    if not notice:
        raise RuleViolation(
            _("Write the notice to the partner."), code="notice_required", fields={"notice": [_("Required.")]}
        )
    relation.partner_notified_at = timezone.now()
    relation.partner_notice = notice
    relation.save(update_fields=["partner_notified_at", "partner_notice"])
    _record(actor, "management.partner_notified", relation, {"notice": notice})
    after_commit_relation("management_dissolution_notice", relation, actor)
    return relation


@transaction.atomic
def dissolve_management(*, actor: User, relation: ManagedAccount, reason: str = "") -> ManagedAccount:
    """End an active relation at once (ACC-4): the owner any time; vendor staff on the owner's behalf only
    after the partner was notified (``notify_partner_of_dissolution``). The partner's rights on the
    customer's tenants go in this transaction."""
    relation = lock_relation(relation.pk)
    # The owner dissolves as owner; vendor staff dissolve on the owner's behalf (a right of its own).
    on_behalf = not access.can(actor, "dissolve", relation)
    action = "dissolve_on_behalf" if on_behalf else "dissolve"
    access.require(actor, action, relation)
    RELATION.require(relation, action)  # on the owner's behalf only after the partner was notified
    relation.status = ManagedAccountStatus.DISSOLVED
    relation.ended_at = timezone.now()
    relation.ended_by = actor
    relation.end_reason = clean_message(reason)
    relation.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
    _record(
        actor,
        "management.dissolved",
        relation,
        {"reason": relation.end_reason, "on_behalf_of_owner": on_behalf},
    )
    after_commit_relation("management_dissolved", relation, actor)
    return relation
