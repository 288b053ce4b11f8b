"""Helpers shared by the delegation services: input cleaning, locks, expiry dates, notices (outbox jobs)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, User
from portal import access
from portal.errors import InvalidTransition, NotPermitted, RuleViolation
from portal.outbox import enqueue
from tenants.models import Tenant

from ..models import CaretakerGrant, GrantInvitation, GrantStatus, ManagedAccount, Scope

MAX_MESSAGE = 2000
MAX_EXPIRY = timedelta(days=5 * 366)


def clean_scope(scope: str) -> str:
    if scope not in Scope.values:
        raise RuleViolation(
            _("Choose a scope: read, technical or full technical."),
            code="invalid_scope",
            fields={"scope": [_("Allowed: %(scopes)s") % {"scopes": ", ".join(Scope.values)}]},
        )
    return scope


def clean_message(message: str | None) -> str:
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise RuleViolation(
            _("The message is too long."),
            code="message_too_long",
            fields={"message": [_("At most %(n)d characters.") % {"n": MAX_MESSAGE}]},
        )
    return message


def clean_email(email: str, field: str = "email") -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise RuleViolation(
            _("Enter a valid e-mail address."), code="invalid_email", fields={field: exc.messages}
        ) from exc
    return email


def expiry_at(expires_on: date | None, field: str = "expires_on") -> datetime | None:
    """An expiry date means: access ends at the end of that day, Europe/Berlin (the start of the next day)."""
    if expires_on is None:
        return None
    if isinstance(expires_on, datetime) or not isinstance(expires_on, date):
        raise RuleViolation(_("Enter a date."), code="invalid_date", fields={field: [_("Enter a date.")]})
    today = timezone.localdate()
    if expires_on < today:
        raise RuleViolation(
            _("The expiry date must not be in the past."),
            code="expiry_in_past",
            fields={field: [_("Today or later.")]},
        )
    # Compared as dates first: ``date.max + 1 day`` (9999-12-31) would overflow before any check.
    if expires_on > today + MAX_EXPIRY:
        raise expiry_too_far(field)
    moment = timezone.make_aware(datetime.combine(expires_on + timedelta(days=1), time.min))
    check_expiry_within_maximum(moment, field)
    return moment


def expiry_too_far(field: str = "expires_on") -> RuleViolation:
    return RuleViolation(
        _("The expiry date is too far in the future (at most five years)."),
        code="expiry_too_far",
        fields={field: [_("At most five years ahead.")]},
    )


def check_expiry_within_maximum(moment: datetime, field: str = "expires_on") -> None:
    """Every way to set an expiry — a date, one-click extensions one after another — stays within MAX_EXPIRY."""
    if moment - timezone.now() > MAX_EXPIRY:
        raise expiry_too_far(field)


def lock_grant(pk: int) -> CaretakerGrant:
    # Lock the row: two people answering, ending or extending the same grant must not both pass the state check.
    return CaretakerGrant.objects.select_for_update().get(pk=pk)


def lock_pending_grants(invitation: GrantInvitation) -> list[CaretakerGrant]:
    """The invitation's pending grants, locked in id order (the link's accept; DEL-2)."""
    return list(
        CaretakerGrant.objects.select_for_update()
        .filter(invitation=invitation, status=GrantStatus.PENDING)
        .order_by("pk")
    )


def lock_relation(pk: int) -> ManagedAccount:
    return ManagedAccount.objects.select_for_update().get(pk=pk)


def lock_tenants(tenant_ids) -> list[int]:
    """Lock the tenant rows whose access is about to change, in id order (no deadlocks): a grant's answer and
    a transfer or another answer on the same tenant take turns."""
    ids = sorted({pk for pk in tenant_ids if pk is not None})
    if not ids:
        return []
    return list(
        Tenant.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True)
    )


def require_status(obj, *allowed: str, code: str, detail: str) -> None:
    status = obj.effective_status if isinstance(obj, CaretakerGrant) else obj.status
    if status not in allowed:
        raise InvalidTransition(detail, code=code)


def partner_account_for(actor: User, action: str, partner_account: Account | None) -> Account:
    """The partner account the actor acts for: the given one (must allow ``action``) or its only candidate."""
    if partner_account is not None:
        if partner_account.kind != "partner":
            raise RuleViolation(
                _("Act for your partner account to do this."),
                code="partner_account_required",
                fields={"account": [_("Choose a partner account.")]},
            )
        access.require(actor, action, partner_account)
        return partner_account
    candidates = list(
        access.visible(actor, Account, action)
        .filter(kind="partner", memberships__user=actor)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    if not candidates:
        raise NotPermitted(_("Your role in a partner account does not allow this."), code="not_permitted")
    if len(candidates) > 1:
        raise RuleViolation(
            _("You belong to several partner accounts; choose the one you act for."),
            code="partner_account_required",
            fields={"account": [_("Choose a partner account.")]},
        )
    return Account.objects.get(pk=candidates[0])


def caretaker_partner_account(user: User) -> Account | None:
    """The partner account a caretaker works for: the active one if it is a partner, else the first."""
    partners = Account.objects.filter(kind="partner", memberships__user=user).distinct().order_by("pk")
    active = getattr(user, "active_account", None)
    if active is not None and partners.filter(pk=active.pk).exists():
        return active
    return partners.first()


def after_commit_grants(
    event: str, grant_ids, actor: User | None = None, keys: dict[int, str] | None = None
) -> None:
    """Record the notices of ``event`` as an outbox job in this transaction (delivered after commit). ``keys``
    (grant id → text) tell apart repeated events of one grant, e.g. reminders for successive expiry dates."""
    exclude = actor.pk if actor is not None else None
    suffixes = {str(pk): value for pk, value in (keys or {}).items()}
    enqueue(
        "delegations.tasks.deliver_notifications",
        event=event,
        grant_ids=list(grant_ids),
        exclude_user_id=exclude,
        keys=suffixes or None,
    )


def after_commit_relation(event: str, relation: ManagedAccount, actor: User | None = None) -> None:
    exclude = actor.pk if actor is not None else None
    enqueue(
        "delegations.tasks.deliver_notifications",
        event=event,
        relation_ids=[relation.pk],
        exclude_user_id=exclude,
    )
