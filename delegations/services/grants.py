"""Caretaker grant lifecycle. Implements DEL-1, DEL-2, DEL-3, DEL-4, DEL-6, DEL-7.

    request (partner)  ─┐                ┌─ revoke (customer) ─→ revoked
                        ├→ pending ─accept→ active ─ resign (caretaker) ─→ resigned
    grant (customer)   ─┘     │                    └─ expiry (job) ─→ expired
                              ├─ decline (answering side) ─→ declined
                              ├─ withdraw (initiating side) ─→ withdrawn
                              └─ 30 days unanswered (job) ─→ lapsed

Every transition locks the grant row, checks who may (portal.access, sources in delegations.access: 404
unseen, 403 refused) and the state (409), and — in the same transaction — writes the state and records the
audit event naming the grant. The rights follow from the grant row itself (DEL-6): the authority reads
active, unexpired grants, so the commit that changes the status changes the access. Notices and e-mails are
outbox jobs of the same transaction, run after commit.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Account, User
from portal import access, ratelimit
from portal.audit import record_event
from portal.errors import InvalidTransition, NotPermitted, RuleViolation
from portal.outbox import enqueue
from tenants.models import Tenant

from .. import tokens
from ..models import OPEN_STATUSES, CaretakerGrant, GrantInvitation, GrantOrigin, GrantStatus
from ..transitions import GRANT
from .common import (
    after_commit_grants,
    caretaker_partner_account,
    check_expiry_within_maximum,
    clean_email,
    clean_message,
    clean_scope,
    expiry_at,
    lock_grant,
    lock_pending_grants,
    lock_tenants,
    partner_account_for,
)

# DEL-1: what the requester is told, whether or not the tenant exists (UI and API show exactly this).
REQUEST_RECEIVED = gettext_lazy(
    "If a tenant with this number exists, its owners have been asked to grant access."
)
# A repeated request by the same user for the same number: said so, in the page (DEL-1). It reveals nothing —
# an unknown number has its pending request too — and the API keeps answering REQUEST_RECEIVED.
REQUESTED, ALREADY_PENDING, ALREADY_ACTIVE = "requested", "already_pending", "already_active"
REQUEST_OUTCOME_MESSAGES = {
    ALREADY_PENDING: gettext_lazy(
        "You have already asked for access to this tenant; that request is still pending. Your new message "
        "was added to it."
    ),
    ALREADY_ACTIVE: gettext_lazy("You already have caretaker access to this tenant."),
}
EXTENSION = timedelta(days=30)  # one click on "extend" adds this to the current expiry
MAX_TENANTS_PER_GRANT = 200


def _record(actor, action: str, grant: CaretakerGrant, data: dict | None = None, acting_account=None) -> None:
    record_event(
        actor=actor,
        action=action,
        target=grant,
        grant=grant,
        acting_account=acting_account,
        data={
            "tenant_number": grant.tenant_number,
            "scope": grant.scope,
            "caretaker": grant.caretaker_email,
            **(data or {}),
        },
    )


def _lock_grant_after_invitation(pk: int) -> CaretakerGrant:
    """Lock order everywhere: invitation, then grants, then tenants (the link path takes them in that order)."""
    invitation_id = CaretakerGrant.objects.filter(pk=pk).values_list("invitation_id", flat=True).first()
    if invitation_id is not None:
        list(GrantInvitation.objects.select_for_update().filter(pk=invitation_id))
    return lock_grant(pk)


def _customer_side(actor, grant: CaretakerGrant):
    """DEL-7: the account acted for when the customer side answers, revokes or extends — the grant's customer
    account if the actor is its member (not whichever account it had selected); otherwise None, and the audit
    falls back to the actor's active account (e.g. vendor staff)."""
    member = grant.customer_account_id is not None and any(
        reason.source in ("customer_answers_request", "customer_grants")
        for reason in access.why(actor, grant)
    )
    return grant.customer_account if member else None


def _caretaker_side(grant: CaretakerGrant):
    """DEL-7: the account acted for when the caretaker side answers or resigns: its partner account, if any."""
    return grant.partner_account if grant.partner_account_id else None


# --- DEL-1: a partner asks ------------------------------------------------------------------


def _clean_tenant_number(value: str) -> str:
    number = (value or "").strip().upper()
    if not number or len(number) > 20:
        raise RuleViolation(
            _("Enter a tenant number, e.g. T-000123."),
            code="invalid_tenant_number",
            fields={"tenant_number": [_("Enter a tenant number.")]},
        )
    return number


@transaction.atomic
def request_caretaker_access(
    *,
    actor: User,
    tenant_number: str,
    scope: str,
    message: str = "",
    partner_account: Account | None = None,
) -> str:
    """A partner's tech user asks for caretaker access to one tenant (DEL-1).

    Whether the tenant exists, the caller learns the same ("if it exists, its owners have been asked"); the
    result only tells a first request (REQUESTED) from a repeat (ALREADY_PENDING: the new message is added to
    the pending request; ALREADY_ACTIVE), which the requester knows anyway. Counts against the per-user and per-partner-account rate limits first; raises
    RateLimited (429) with a clear message when one is exhausted — nothing is stored then.
    """
    partner_account = partner_account_for(actor, "request_caretaker", partner_account)
    number = _clean_tenant_number(tenant_number)
    scope = clean_scope(scope)
    message = clean_message(message)
    ratelimit.hit("delegation_request_user", str(actor.pk))
    ratelimit.hit("delegation_request_account", str(partner_account.pk))
    email = actor.email.lower()
    tenant = Tenant.objects.filter(number=number).first()
    grant = None
    existing = (
        CaretakerGrant.objects.select_for_update()
        .filter(tenant_number=number, caretaker_email=email, status__in=OPEN_STATUSES)
        .first()
    )
    if existing is not None:
        if existing.status == GrantStatus.ACTIVE:
            return ALREADY_ACTIVE
        if message:
            _add_message(actor, existing, message, partner_account)
        return ALREADY_PENDING
    try:
        with transaction.atomic():
            grant = CaretakerGrant.objects.create(
                tenant=tenant,
                tenant_number=number,
                customer_account_id=tenant.account_id if tenant else None,
                caretaker=actor,
                caretaker_email=email,
                partner_account=partner_account,
                origin=GrantOrigin.REQUEST,
                scope=scope,
                message=message,
                requested_by=actor,
            )
    except IntegrityError:
        return ALREADY_PENDING  # the same request arrived twice at once: one row is enough
    _record(actor, "delegation.requested", grant, acting_account=partner_account)
    # Enqueued whether or not the tenant exists (the task finds no recipients for an unknown number).
    after_commit_grants("request_received", [grant.pk], actor)
    return REQUESTED


def _add_message(actor: User, grant: CaretakerGrant, message: str, partner_account: Account) -> None:
    """A repeated request adds its message to the pending one (the owners read both)."""
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    combined = f"{grant.message}\n\n[{stamp}] {message}" if grant.message else message
    grant.message = clean_message(combined[-2000:])
    grant.save(update_fields=["message"])
    _record(actor, "delegation.request_repeated", grant, {"message": message}, partner_account)
    # Each added message is its own notice (the moment tells them apart).
    after_commit_grants(
        "request_message_added", [grant.pk], actor, keys={grant.pk: timezone.now().isoformat()}
    )


# --- DEL-2: a customer grants ---------------------------------------------------------------


@transaction.atomic
def grant_caretaker_access(
    *,
    actor: User,
    tenants,
    email: str,
    scope: str,
    expires_on: date | None = None,
    message: str = "",
) -> list[CaretakerGrant]:
    """A customer owner/admin grants ``email`` access to one or more tenants of one account (DEL-2).

    Creates one pending grant per tenant and one single-use link (GrantInvitation); the link is e-mailed after
    commit. The grants become active when the caretaker accepts the link logged in with that e-mail.
    """
    tenant_ids = [t.pk for t in tenants]
    if not tenant_ids:
        raise RuleViolation(
            _("Choose at least one tenant."), code="tenants_required", fields={"tenants": [_("Required.")]}
        )
    if len(tenant_ids) > MAX_TENANTS_PER_GRANT:
        raise RuleViolation(
            _("Choose at most %(n)d tenants at once.") % {"n": MAX_TENANTS_PER_GRANT},
            code="too_many_tenants",
            fields={"tenants": [_("Too many.")]},
        )
    lock_tenants(tenant_ids)
    locked = list(Tenant.objects.filter(pk__in=tenant_ids).select_related("account").order_by("number"))
    for tenant in locked:
        access.require(actor, "view", tenant)
    accounts = {t.account_id for t in locked}
    if len(accounts) != 1:
        raise RuleViolation(
            _("All tenants of one grant must belong to the same account."),
            code="tenants_of_several_accounts",
            fields={"tenants": [_("Choose tenants of one account.")]},
        )
    account = locked[0].account
    access.require(actor, "delegate", account)
    email = clean_email(email)
    if email == actor.email.lower():
        raise RuleViolation(
            _("You cannot grant access to yourself."),
            code="self_grant",
            fields={"email": [_("Enter someone else's e-mail.")]},
        )
    scope = clean_scope(scope)
    message = clean_message(message)
    expires_at = expiry_at(expires_on)
    numbers = [t.number for t in locked]
    taken = sorted(
        CaretakerGrant.objects.filter(
            tenant_number__in=numbers, caretaker_email=email, status__in=OPEN_STATUSES
        ).values_list("tenant_number", flat=True)
    )
    if taken:
        raise RuleViolation(
            _("%(email)s already has access, or an open invitation or request, for: %(tenants)s")
            % {"email": email, "tenants": ", ".join(taken)},
            code="already_delegated",
            fields={"tenants": [_("Already delegated: %(tenants)s") % {"tenants": ", ".join(taken)}]},
        )
    invitation = GrantInvitation.objects.create(
        nonce=secrets.token_urlsafe(32),
        email=email,
        customer_account=account,
        invited_by=actor,
        expires_at=timezone.now() + tokens.LINK_VALIDITY,
    )
    grants = []
    for tenant in locked:
        grant = CaretakerGrant.objects.create(
            tenant=tenant,
            tenant_number=tenant.number,
            customer_account=account,
            caretaker_email=email,
            origin=GrantOrigin.GRANT,
            scope=scope,
            message=message,
            requested_by=actor,
            invitation=invitation,
            expires_at=expires_at,
        )
        _record(
            actor,
            "delegation.granted",
            grant,
            {"expires_at": expires_at.isoformat() if expires_at else None},
            account,
        )
        grants.append(grant)
    _send_link_after_commit(invitation)
    after_commit_grants("grant_offered", [g.pk for g in grants], actor)
    return grants


def _send_link_after_commit(invitation: GrantInvitation) -> None:
    enqueue(
        "delegations.tasks.send_grant_link", key=f"grant-link:{invitation.pk}", invitation_id=invitation.pk
    )


@transaction.atomic
def resend_grant_link(*, actor: User, grant: CaretakerGrant) -> GrantInvitation:
    """Send a fresh link for a pending customer grant (the old link stops working)."""
    grant = _lock_grant_after_invitation(grant.pk)
    access.require(actor, "withdraw", grant)
    if grant.origin != GrantOrigin.GRANT:
        raise InvalidTransition(_("Only a customer's grant has a link."), code="not_a_grant")
    GRANT.require(grant, "withdraw")  # a new link while the grant could still be withdrawn: pending
    old = (
        GrantInvitation.objects.select_for_update().get(pk=grant.invitation_id)
        if grant.invitation_id
        else None
    )
    invitation = GrantInvitation.objects.create(
        nonce=secrets.token_urlsafe(32),
        email=grant.caretaker_email,
        customer_account_id=grant.customer_account_id,
        invited_by=actor,
        expires_at=timezone.now() + tokens.LINK_VALIDITY,
    )
    pending = CaretakerGrant.objects.filter(pk=grant.pk)
    if old is not None:
        old.replaced_at = timezone.now()
        old.save(update_fields=["replaced_at"])
        pending = CaretakerGrant.objects.filter(invitation=old, status=GrantStatus.PENDING)
    moved = list(pending.select_for_update().order_by("pk"))
    CaretakerGrant.objects.filter(pk__in=[g.pk for g in moved]).update(invitation=invitation)
    for moved_grant in moved:
        _record(actor, "delegation.link_resent", moved_grant)
    _send_link_after_commit(invitation)
    return invitation


# --- Answers ---------------------------------------------------------------------------------


def _activate(grant: CaretakerGrant, *, actor: User, caretaker: User) -> CaretakerGrant:
    """pending → active, with the permissions, in the caller's transaction (tenant locked here)."""
    lock_tenants([grant.tenant_id])
    tenant = Tenant.objects.get(pk=grant.tenant_id)
    if tenant.account_id != grant.customer_account_id:
        raise InvalidTransition(
            _("The tenant has moved to another account since; this grant can no longer be accepted."),
            code="tenant_moved",
        )
    if grant.expires_at is not None and grant.expires_at <= timezone.now():
        raise InvalidTransition(_("The expiry date of this grant has passed."), code="grant_expiry_passed")
    if not caretaker.is_active:
        raise InvalidTransition(_("The caretaker's user is deactivated."), code="caretaker_inactive")
    now = timezone.now()
    grant.caretaker = caretaker
    grant.status = GrantStatus.ACTIVE
    grant.decided_at = now
    grant.decided_by = actor
    grant.save(
        update_fields=["caretaker", "partner_account", "status", "decided_at", "decided_by", "expires_at"]
    )
    return grant


@transaction.atomic
def accept_delegation(
    *, actor: User, grant: CaretakerGrant, expires_on: date | None = None
) -> CaretakerGrant:
    """The answering side accepts a pending grant (DEL-1, DEL-2).

    A partner's request is accepted by the customer's owners/admins, who may set an expiry date. A customer's
    grant is accepted by the caretaker logged in with the invited e-mail (the same as opening the link).
    """
    grant = _lock_grant_after_invitation(grant.pk)
    access.require(actor, "accept", grant)
    GRANT.require(grant, "accept")
    if grant.origin == GrantOrigin.REQUEST:
        if expires_on is not None:
            grant.expires_at = expiry_at(expires_on)
        caretaker = grant.caretaker
    else:
        if expires_on is not None:
            raise RuleViolation(
                _("Only the customer sets the expiry date."),
                code="expiry_not_allowed",
                fields={"expires_on": [_("Leave empty.")]},
            )
        caretaker = actor
        grant.partner_account = caretaker_partner_account(actor)
    _activate(grant, actor=actor, caretaker=caretaker)
    if (
        grant.invitation_id
        and not CaretakerGrant.objects.filter(
            invitation_id=grant.invitation_id, status=GrantStatus.PENDING
        ).exists()
    ):
        # Everything the link offered is answered: the link is spent.
        GrantInvitation.objects.filter(pk=grant.invitation_id, used_at__isnull=True).update(
            used_at=timezone.now(), used_by=actor
        )
    _record(
        actor,
        "delegation.accepted",
        grant,
        {"expires_at": grant.expires_at.isoformat() if grant.expires_at else None},
        _customer_side(actor, grant) if grant.origin == GrantOrigin.REQUEST else _caretaker_side(grant),
    )
    after_commit_grants("grant_accepted", [grant.pk], actor)
    return grant


@transaction.atomic
def decline_delegation(*, actor: User, grant: CaretakerGrant, reason: str = "") -> CaretakerGrant:
    """The answering side says no to a pending grant (DEL-4: pending → declined)."""
    grant = lock_grant(grant.pk)
    access.require(actor, "decline", grant)
    GRANT.require(grant, "decline")
    grant.status = GrantStatus.DECLINED
    grant.decided_at = timezone.now()
    grant.decided_by = actor
    grant.save(update_fields=["status", "decided_at", "decided_by"])
    _record(
        actor,
        "delegation.declined",
        grant,
        {"reason": clean_message(reason)},
        _customer_side(actor, grant) if grant.origin == GrantOrigin.REQUEST else _caretaker_side(grant),
    )
    after_commit_grants("grant_declined", [grant.pk], actor)
    return grant


@transaction.atomic
def withdraw_delegation(*, actor: User, grant: CaretakerGrant) -> CaretakerGrant:
    """The initiating side takes back a pending grant: the partner its request, the customer its invitation."""
    grant = lock_grant(grant.pk)
    access.require(actor, "withdraw", grant)
    GRANT.require(grant, "withdraw")
    grant.status = GrantStatus.WITHDRAWN
    grant.ended_at = timezone.now()
    grant.ended_by = actor
    grant.save(update_fields=["status", "ended_at", "ended_by"])
    acting = grant.partner_account if grant.origin == GrantOrigin.REQUEST else grant.customer_account
    _record(actor, "delegation.withdrawn", grant, acting_account=acting)
    after_commit_grants("grant_withdrawn", [grant.pk], actor)
    return grant


# --- Ending and extending an active grant ---------------------------------------------------------


def _end(
    grant: CaretakerGrant, *, actor: User, status: str, action: str, reason: str, acting_account=None
) -> CaretakerGrant:
    grant.status = status
    grant.ended_at = timezone.now()
    grant.ended_by = actor
    grant.save(update_fields=["status", "ended_at", "ended_by"])
    lock_tenants([grant.tenant_id])
    _record(actor, action, grant, {"reason": clean_message(reason)}, acting_account)
    return grant


@transaction.atomic
def revoke_caretaker_access(*, actor: User, grant: CaretakerGrant, reason: str = "") -> CaretakerGrant:
    """The customer ends an active grant at any time (DEL-4); the rights go in the same transaction (DEL-6)."""
    grant = lock_grant(grant.pk)
    access.require(actor, "revoke", grant)
    # An active grant past its expiry that the sweep has not reached is still "active" in the row: revoking ends it.
    GRANT.require(grant, "revoke")
    _end(
        grant,
        actor=actor,
        status=GrantStatus.REVOKED,
        action="delegation.revoked",
        reason=reason,
        acting_account=_customer_side(actor, grant),
    )
    after_commit_grants("grant_revoked", [grant.pk], actor)
    return grant


@transaction.atomic
def resign_caretaker_access(*, actor: User, grant: CaretakerGrant, reason: str = "") -> CaretakerGrant:
    """The caretaker gives up an active grant (DEL-4)."""
    grant = lock_grant(grant.pk)
    access.require(actor, "resign", grant)
    GRANT.require(grant, "resign")
    _end(
        grant,
        actor=actor,
        status=GrantStatus.RESIGNED,
        action="delegation.resigned",
        reason=reason,
        acting_account=_caretaker_side(grant),
    )
    after_commit_grants("grant_resigned", [grant.pk], actor)
    return grant


@transaction.atomic
def extend_caretaker_access(
    *, actor: User, grant: CaretakerGrant, expires_on: date | None = None
) -> CaretakerGrant:
    """The customer moves the expiry of an active grant later (DEL-4, one click from the reminder mail).

    Without a date the grant runs EXTENSION (30 days) longer. The reminders are re-armed for the new date.
    A grant past its expiry cannot be extended any more (it has ended; grant it again).
    """
    grant = lock_grant(grant.pk)
    access.require(actor, "extend", grant)
    GRANT.require(grant, "extend")
    if grant.expires_at is None:
        raise RuleViolation(
            _("This grant does not expire; there is nothing to extend."), code="grant_has_no_expiry"
        )
    old = grant.expires_at
    new = expiry_at(expires_on) if expires_on is not None else old + EXTENSION
    check_expiry_within_maximum(new)  # repeated one-click extensions never pass the five-year maximum
    if new <= old:
        raise RuleViolation(
            _("The new expiry date must be later than the current one."),
            code="expiry_not_later",
            fields={
                "expires_on": [
                    _("Later than %(date)s.") % {"date": timezone.localtime(old).date().isoformat()}
                ]
            },
        )
    grant.expires_at = new
    grant.reminder_7d_sent_at = None
    grant.reminder_1d_sent_at = None
    grant.save(update_fields=["expires_at", "reminder_7d_sent_at", "reminder_1d_sent_at"])
    _record(
        actor,
        "delegation.extended",
        grant,
        {"from": old.isoformat(), "to": new.isoformat()},
        _customer_side(actor, grant),
    )
    after_commit_grants("grant_extended", [grant.pk], actor)
    return grant


# --- DEL-2: the link ---------------------------------------------------------------------------


def _invitation_for(token: str, *, lock: bool) -> GrantInvitation:
    try:
        invitation_id, nonce = tokens.read_token(token)
    except tokens.TokenExpired as exc:
        raise InvalidTransition(
            _("This link has expired. Ask the customer to send a new one."), code="link_expired"
        ) from exc
    except tokens.TokenInvalid as exc:
        raise RuleViolation(
            _("This link is invalid."), code="link_invalid", fields={"token": [_("Invalid.")]}
        ) from exc
    queryset = GrantInvitation.objects.select_for_update() if lock else GrantInvitation.objects
    invitation = queryset.filter(pk=invitation_id, nonce=nonce).first()
    if invitation is None:
        raise RuleViolation(
            _("This link is invalid."), code="link_invalid", fields={"token": [_("Invalid.")]}
        )
    if invitation.used_at is not None:
        raise InvalidTransition(_("This link has already been used."), code="link_used")
    if invitation.replaced_at is not None:
        raise InvalidTransition(
            _("This link was replaced by a newer one; use the latest e-mail."), code="link_replaced"
        )
    if invitation.expires_at <= timezone.now():
        raise InvalidTransition(
            _("This link has expired. Ask the customer to send a new one."), code="link_expired"
        )
    return invitation


def _mask(email: str) -> str:
    local, _at, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


@transaction.atomic
def accept_grant_link(*, actor: User, token: str) -> list[CaretakerGrant]:
    """Open-and-accept of a customer's grant link (DEL-2). Single use: the link row is locked and consumed here,
    so a second use — or two tabs posting at once — activates the grants once; the other answers ``link_used``.
    Only the user with the invited e-mail may accept; anyone else gets ``wrong_email`` and the link stays usable.
    """
    invitation = _invitation_for(token, lock=True)
    if actor.email.lower() != invitation.email.lower():
        raise NotPermitted(
            _(
                "This invitation is for %(email)s, but you are logged in as %(you)s. Log in with the invited address."
            )
            % {"email": _mask(invitation.email), "you": actor.email},
            code="wrong_email",
        )
    grants = lock_pending_grants(invitation)
    if not grants:
        if invitation.grants.filter(
            status__in=[GrantStatus.ACTIVE, GrantStatus.EXPIRED, GrantStatus.REVOKED]
        ).exists():
            raise InvalidTransition(_("This grant has already been accepted."), code="link_used")
        raise InvalidTransition(_("This grant is no longer pending."), code="grant_not_pending")
    invitation.used_at = timezone.now()
    invitation.used_by = actor
    invitation.save(update_fields=["used_at", "used_by"])
    partner = caretaker_partner_account(actor)
    lock_tenants([g.tenant_id for g in grants])  # all at once, in id order, like the sweeps
    for grant in grants:
        grant.partner_account = partner
        _activate(grant, actor=actor, caretaker=actor)
        _record(actor, "delegation.accepted", grant, {"via": "link"}, _caretaker_side(grant))
    after_commit_grants("grant_accepted", [g.pk for g in grants], actor)
    return grants


@transaction.atomic
def sign_up_and_accept_grant_link(
    *, token: str, password: str, name: str = ""
) -> tuple[User, list[CaretakerGrant]]:
    """A caretaker without a log-in signs up from the link: the link proves the e-mail (DEL-2).

    Creates the user with the invited e-mail and accepts in one transaction. Log the user in afterwards.
    """
    invitation = _invitation_for(token, lock=True)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise RuleViolation(
            _("A user with this e-mail exists already. Log in to accept."),
            code="user_exists",
            fields={"email": [_("Log in instead.")]},
        )
    candidate = User(email=invitation.email, name=(name or "").strip()[:150])
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise RuleViolation(
            exc.messages[0], code="invalid_password", fields={"password": exc.messages}
        ) from exc
    user = User.objects.create_user(email=invitation.email, password=password, name=candidate.name)
    record_event(actor=user, action="user.signed_up", target=user, data={"via": "grant_link"})
    return user, accept_grant_link(actor=user, token=token)


# --- A transfer of the tenant ends what its old owner gave (TEN-1, issue 8 §5) -------------------------


def lock_open_grants_of(tenant_id: int) -> list[CaretakerGrant]:
    """Lock order: grants before the tenant (as everywhere in this app)."""
    return list(
        CaretakerGrant.objects.select_for_update()
        .filter(tenant_id=tenant_id, status__in=OPEN_STATUSES)
        .order_by("pk")
    )


def end_grants_on_transfer(*, tenant: Tenant, transfer, actor: User) -> list[CaretakerGrant]:
    """The tenant moved to another account: every caretaker grant its old owner gave ends now (active ones
    are revoked, pending ones declined), audited, and the caretakers are told (outbox → notices and mails)."""
    reason = gettext_lazy("The tenant was transferred to another account.")
    ended = []
    for grant in lock_open_grants_of(tenant.pk):
        if grant.status == GrantStatus.ACTIVE:
            GRANT.require(grant, "revoke")
            _end(
                grant,
                actor=actor,
                status=GrantStatus.REVOKED,
                action="delegation.revoked",
                reason=str(reason),
                acting_account=transfer.from_account,
            )
            after_commit_grants("grant_revoked", [grant.pk], actor)
        else:
            GRANT.require(grant, "decline")
            grant.status = GrantStatus.DECLINED
            grant.decided_at = timezone.now()
            grant.decided_by = actor
            grant.save(update_fields=["status", "decided_at", "decided_by"])
            _record(actor, "delegation.declined", grant, {"reason": str(reason)}, transfer.from_account)
            after_commit_grants("grant_declined", [grant.pk], actor)
        ended.append(grant)
    return ended
