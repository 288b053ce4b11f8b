"""Licence writes. Implements LIC-2 (authorizations), LIC-3 (issue), LIC-4 (move between accounts), LIC-5
(assign, take back), LIC-6 (activate, move, restore, check-in with recall), SUB-1..SUB-5 (cancel, void, swap,
renewal, expiry).

Every service runs in a transaction, locks the row it changes, asks the authority who may act
(``access.require``) and the transition table when (``transitions.LICENSE``), and writes an audit event.
The jobs (renewal, expiry) are set-based: a handful of statements per run, whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Account, Membership
from portal import access
from portal.audit import record_event
from portal.errors import NotPermitted, RuleViolation

from . import keys
from .models import (
    Activation,
    DeactivationReason,
    Kind,
    License,
    LicenseTransfer,
    LicenseTransferStatus,
    Product,
    ProductGroup,
    ResellerAuthorization,
    Status,
    Subscription,
    SubscriptionRenewal,
    Term,
    VoidReason,
)
from .periods import add_term, first_period
from .transitions import LICENSE, TRANSFER

User = get_user_model()
WINDOW = dt.timedelta(days=30)
SUBSCRIPTION_KINDS = (Kind.SUBSCRIPTION, Kind.NFR)


def today() -> dt.date:
    return timezone.localdate()


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the portal's time zone (Europe/Berlin)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _lock(license: License) -> License:
    return License.objects.select_for_update().select_related("product", "group", "tenant").get(pk=license.pk)


def _is_privileged(actor) -> bool:
    return actor is access.SYSTEM or (access.is_person(actor) and actor.is_superuser)


# --- Catalogue and authorizations (LIC-1, LIC-2) ---------------------------------------------------------


def _subset(values, allowed, field: str, label: str) -> list[str]:
    values = list(dict.fromkeys(values or []))
    beyond = sorted(set(values) - set(allowed))
    if beyond:
        raise RuleViolation(
            _("%(label)s beyond what the product group allows: %(values)s")
            % {"label": label, "values": ", ".join(beyond)},
            code="beyond_group",
            fields={field: [_("Allowed: %(values)s") % {"values": ", ".join(allowed) or "–"}]},
        )
    return values


@transaction.atomic
def authorize_reseller(
    *, actor, reseller: Account, group: ProductGroup, kinds, max_demo_days: int, terms
) -> ResellerAuthorization:
    """LIC-2: the vendor authorizes a partner as reseller for a group, within the group's values. Vendor
    admins (superusers) only."""
    if not _is_privileged(actor):
        raise NotPermitted(_("Only vendor administrators authorize resellers."), code="not_permitted")
    if reseller.kind != "partner":
        raise RuleViolation(
            _("Only partner accounts can be resellers."),
            code="not_a_partner",
            fields={"reseller": [_("Choose a partner.")]},
        )
    kinds = _subset(kinds, group.allowed_kinds, "kinds", _("Licence kinds"))
    terms = _subset(terms, group.terms, "terms", _("Terms"))
    if not kinds:
        raise RuleViolation(
            _("Choose at least one licence kind."), code="kinds_required", fields={"kinds": [_("Required.")]}
        )
    if not (group.demo_days_min <= max_demo_days <= group.demo_days_max):
        raise RuleViolation(
            _("Demo days must lie between %(min)s and %(max)s.")
            % {"min": group.demo_days_min, "max": group.demo_days_max},
            code="demo_days_out_of_range",
            fields={"max_demo_days": [_("Out of range.")]},
        )
    authorization, created = ResellerAuthorization.objects.update_or_create(
        reseller=reseller,
        group=group,
        defaults={"kinds": kinds, "max_demo_days": max_demo_days, "terms": terms},
        create_defaults={
            "kinds": kinds,
            "max_demo_days": max_demo_days,
            "terms": terms,
            "created_by": actor if access.is_person(actor) else None,
        },
    )
    record_event(
        actor=actor,
        action="license.reseller_authorized" if created else "license.reseller_authorization_changed",
        target=authorization,
        account=reseller,
        data={"group": group.code, "kinds": kinds, "terms": terms, "max_demo_days": max_demo_days},
    )
    return authorization


@transaction.atomic
def withdraw_authorization(*, actor, authorization: ResellerAuthorization) -> None:
    if not _is_privileged(actor):
        raise NotPermitted(_("Only vendor administrators authorize resellers."), code="not_permitted")
    record_event(
        actor=actor,
        action="license.reseller_authorization_withdrawn",
        target=authorization,
        account=authorization.reseller,
        data={"group": authorization.group.code},
    )
    authorization.delete()


# --- Issue (LIC-3) ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """What an issuer may issue for one group: the group's values narrowed by the authorization."""

    group: ProductGroup
    kinds: list[str]
    terms: list[str]
    demo_days_min: int
    demo_days_default: int
    demo_days_max: int


def frame_for(authorization: ResellerAuthorization) -> Frame:
    group = authorization.group
    kinds = [k for k in group.allowed_kinds if k in authorization.kinds]
    terms = [t for t in group.terms if t in authorization.terms]
    maximum = min(group.demo_days_max, authorization.max_demo_days)
    return Frame(
        group=group,
        kinds=kinds,
        terms=terms,
        demo_days_min=group.demo_days_min,
        demo_days_default=min(group.demo_days_default, maximum),
        demo_days_max=maximum,
    )


def _authorization(issuer: Account, product: Product, group: ProductGroup | None) -> ResellerAuthorization:
    candidates = ResellerAuthorization.objects.filter(
        reseller=issuer, group__products=product
    ).select_related("group")
    if group is not None:
        candidates = candidates.filter(group=group)
    authorization = candidates.order_by("group__code").first()
    if authorization is None:
        raise RuleViolation(
            _("Your account is not authorized to issue licences for this product."),
            code="not_authorized_for_product",
            fields={"product": [_("Not in your authorized product groups.")]},
        )
    return authorization


def _new_key() -> str:
    for _attempt in range(5):
        key = keys.generate_key()
        if not License.objects.filter(key=key).exists():
            return key
    raise RuntimeError("could not draw an unused licence key")  # 125 random bits: never in practice


@transaction.atomic
def issue_license(
    *,
    actor,
    issuer: Account,
    holder: Account,
    product: Product,
    kind: str,
    group: ProductGroup | None = None,
    tenant=None,
    quantity: int = 1,
    demo_days: int | None = None,
    term: str | None = None,
    assigned_user=None,
    started_on: dt.date | None = None,
    issued_at: dt.datetime | None = None,
) -> License:
    """LIC-3: issue a licence within the issuer's authorization (kind, demo days, term, group)."""
    if not _is_privileged(actor):
        access.require(actor, "view", issuer)
        if not access.can(actor, "resell", issuer):
            raise NotPermitted(_("Your role does not allow issuing licences."), code="not_permitted")
    authorization = _authorization(issuer, product, group)
    frame = frame_for(authorization)
    group = frame.group
    if not _is_privileged(actor) and not access.can(actor, "issue", group):
        raise NotPermitted(_("Your role does not allow issuing licences."), code="not_permitted")

    if kind not in Kind.values:
        raise RuleViolation(_("Unknown licence kind."), code="invalid_kind", fields={"kind": [_("Unknown.")]})
    if kind not in frame.kinds:
        raise RuleViolation(
            _("Your authorization for %(group)s does not include %(kind)s licences.")
            % {"group": group.name, "kind": Kind(kind).label},
            code="kind_not_authorized",
            fields={"kind": [_("Allowed: %(values)s") % {"values": ", ".join(frame.kinds) or "–"}]},
        )
    # Holder: a customer the issuer created as reseller, or the issuer itself (NFR, hosting, LIC-4).
    if holder.pk != issuer.pk and holder.reseller_id != issuer.pk and not _is_privileged(actor):
        raise RuleViolation(
            _("Licences can only be issued to your own customers."),
            code="not_your_customer",
            fields={"holder": [_("Not a customer of your account.")]},
        )
    if kind == Kind.NFR and holder.kind == "customer":
        raise RuleViolation(
            _("NFR licences are for partners' internal use, not for customers."),
            code="nfr_not_for_customers",
            fields={"kind": [_("Not for customers.")]},
        )
    if tenant is not None:
        if not _is_privileged(actor) and not access.can(actor, "view", tenant):
            raise RuleViolation(
                _("Unknown tenant."), code="unknown_tenant", fields={"tenant": [_("Unknown tenant.")]}
            )
        if tenant.account_id != holder.pk and holder.kind != "partner":
            raise RuleViolation(
                _("The tenant belongs to another account; only a hosting partner may hold a licence for it."),
                code="tenant_of_other_account",
                fields={"tenant": [_("Belongs to another account.")]},
            )
    if not isinstance(quantity, int) or not (1 <= quantity <= group.activation_limit):
        raise RuleViolation(
            _("Machines must be between 1 and %(limit)s.") % {"limit": group.activation_limit},
            code="quantity_out_of_range",
            fields={"quantity": [_("At most %(limit)s.") % {"limit": group.activation_limit}]},
        )
    if (
        assigned_user is not None
        and not Membership.objects.filter(account=holder, user=assigned_user).exists()
    ):
        raise RuleViolation(
            _("Licences can only be assigned to members of the holding account."),
            code="not_a_member",
            fields={"assigned_user": [_("Not a member.")]},
        )

    now = issued_at or timezone.now()
    starts = started_on or timezone.localdate(now)
    expires_at = None
    if kind == Kind.DEMO:
        demo_days = frame.demo_days_default if demo_days is None else demo_days
        if not isinstance(demo_days, int) or not (frame.demo_days_min <= demo_days <= frame.demo_days_max):
            raise RuleViolation(
                _("Demo days must lie between %(min)s and %(max)s.")
                % {"min": frame.demo_days_min, "max": frame.demo_days_max},
                code="demo_days_out_of_range",
                fields={
                    "demo_days": [
                        _("Between %(min)s and %(max)s.")
                        % {"min": frame.demo_days_min, "max": frame.demo_days_max}
                    ]
                },
            )
        expires_at = now + dt.timedelta(days=demo_days)
    else:
        demo_days = None
    if kind == Kind.SUBSCRIPTION:
        if term not in frame.terms:
            raise RuleViolation(
                _("Choose a term your authorization allows: %(values)s")
                % {"values": ", ".join(frame.terms) or "–"},
                code="term_not_authorized",
                fields={"term": [_("Allowed: %(values)s") % {"values": ", ".join(frame.terms) or "–"}]},
            )
    elif kind == Kind.NFR:
        term = group.nfr_term  # SUB-5: NFR runs on its group's own term
    else:
        term = None

    license = License.objects.create(
        key=_new_key(),
        kind=kind,
        status=Status.ACTIVE,
        product=product,
        group=group,
        holder=holder,
        issuer=issuer,
        tenant=tenant,
        assigned_user=assigned_user,
        quantity=quantity,
        demo_days=demo_days,
        issued_at=now,
        expires_at=expires_at,
        created_by=actor if access.is_person(actor) else None,
    )
    if term is not None:
        period_start, period_end = first_period(starts, term)
        Subscription.objects.create(
            license=license,
            term=term,
            started_on=starts,
            anchor_day=starts.day,
            current_period_start=period_start,
            current_period_end=period_end,
        )
        license.expires_at = start_of_day(period_end)
        license.save(update_fields=["expires_at"])
    record_event(
        actor=actor,
        action="license.issued",
        target=license,
        acting_account=issuer,
        data={
            "license_kind": kind,
            "product": product.article_number,
            "holder": holder.identifier,
            "quantity": quantity,
            **({"term": term} if term else {}),
            **({"demo_days": demo_days} if demo_days else {}),
        },
    )
    return license


# --- Cancel, void, swap (SUB-2, SUB-3) ------------------------------------------------------------------


@transaction.atomic
def cancel_license(*, actor, license: License) -> License:
    """SUB-2 (Kündigung): no more renewals; usable until the period end, then expired by the sweep."""
    license = _lock(license)
    access.require(actor, "cancel", license)
    LICENSE.require(license, "cancel")
    subscription = Subscription.objects.select_for_update().get(license=license)
    now = timezone.now()
    subscription.auto_renew = False
    subscription.cancelled_at = now
    subscription.save(update_fields=["auto_renew", "cancelled_at"])
    license.status = Status.CANCELLED
    license.status_changed_at = now
    license.expires_at = start_of_day(subscription.current_period_end)
    license.save(update_fields=["status", "status_changed_at", "expires_at"])
    record_event(
        actor=actor,
        action="license.cancelled",
        target=license,
        data={"usable_until": subscription.current_period_end.isoformat()},
    )
    return license


def _void(actor, license: License, reason: str, action: str) -> Subscription:
    LICENSE.require(license, action)
    subscription = Subscription.objects.select_for_update().get(license=license)
    now = timezone.now()
    subscription.auto_renew = False
    subscription.voided_at = now
    subscription.void_reason = reason
    subscription.ended_on = timezone.localdate(now)
    subscription.save(update_fields=["auto_renew", "voided_at", "void_reason", "ended_on"])
    license.status = Status.RECALL_PENDING
    license.status_changed_at = now
    license.save(update_fields=["status", "status_changed_at"])
    return subscription


@transaction.atomic
def void_license(*, actor, license: License, reason: str = VoidReason.REFUND) -> License:
    """SUB-3 (Storno) with reason ``refund``: ``recall_pending`` at once; revoked at its next check-in."""
    if reason != VoidReason.REFUND:
        raise RuleViolation(
            _("A swap replaces the licence: use swap."),
            code="use_swap",
            fields={"reason": [_("Only refund here.")]},
        )
    license = _lock(license)
    access.require(actor, "void", license)
    _void(actor, license, reason, "void")
    record_event(actor=actor, action="license.voided", target=license, data={"void_reason": reason})
    return license


@transaction.atomic
def swap_license(
    *, actor, license: License, product: Product, term: str | None = None, quantity: int | None = None
) -> License:
    """SUB-3 swap: void the old subscription and issue its replacement in one transaction, linked both ways; a
    refusal of the new one leaves the old one unchanged."""
    license = _lock(license)
    access.require(actor, "swap", license)
    old_subscription = _void(actor, license, VoidReason.SWAP, "swap")
    new = issue_license(
        actor=actor,
        issuer=license.issuer,
        holder=license.holder,
        product=product,
        kind=license.kind,
        tenant=license.tenant,
        quantity=quantity or license.quantity,
        term=term or old_subscription.term,
        assigned_user=license.assigned_user,
    )
    Subscription.objects.filter(license=new).update(replaces=old_subscription)
    record_event(
        actor=actor,
        action="license.swapped",
        target=license,
        data={"void_reason": VoidReason.SWAP, "replaced_by": new.key, "product": product.article_number},
    )
    return new


# --- Pools and seats (LIC-5) ----------------------------------------------------------------------------


@transaction.atomic
def assign_license(*, actor, license: License, user) -> License:
    """Assign the licence to a member of the holding account, or take it back (``user=None``): taking it back
    ends its live activations."""
    license = _lock(license)
    access.require(actor, "assign", license)
    LICENSE.require(license, "assign")
    previous = license.assigned_user
    if user is not None and not Membership.objects.filter(account_id=license.holder_id, user=user).exists():
        raise RuleViolation(
            _("Licences can only be assigned to members of the holding account."),
            code="not_a_member",
            fields={"user": [_("Not a member.")]},
        )
    if previous is not None and (user is None or user.pk != previous.pk):
        _end_live(license, DeactivationReason.RELEASED, actor)
    license.assigned_user = user
    license.save(update_fields=["assigned_user"])
    access.forget(previous) if previous is not None else None
    record_event(
        actor=actor,
        action="license.assigned" if user is not None else "license.taken_back",
        target=license,
        data={
            "user": user.email if user is not None else None,
            "previous": previous.email if previous else None,
        },
    )
    return license


# --- Activations (LIC-6) --------------------------------------------------------------------------------


def _end_live(
    license: License, reason: str, actor, *, fingerprint: str | None = None, vendor: bool = False
) -> int:
    live = Activation.objects.filter(license=license, deactivated_at__isnull=True)
    if fingerprint is not None:
        live = live.filter(fingerprint=fingerprint)
    return live.update(
        deactivated_at=timezone.now(),
        reason=reason,
        deactivated_by=actor if access.is_person(actor) else None,
        by_vendor_support=vendor,
    )


def _clean_fingerprint(fingerprint, field: str = "fingerprint") -> str:
    fingerprint = (fingerprint or "").strip() if isinstance(fingerprint, str) else ""
    if not fingerprint or len(fingerprint) > 200:
        raise RuleViolation(
            _("Give the machine's fingerprint (at most 200 characters)."),
            code="invalid_fingerprint",
            fields={field: [_("Required, at most 200 characters.")]},
        )
    return fingerprint


def _live_count(license: License) -> int:
    return Activation.objects.filter(license=license, deactivated_at__isnull=True).count()


@transaction.atomic
def activate_license(*, actor, license: License, fingerprint: str) -> Activation:
    """Activate on a machine, up to the licence's quantity; activating the same machine again is a no-op."""
    fingerprint = _clean_fingerprint(fingerprint)
    license = _lock(license)
    access.require(actor, "activate", license)
    LICENSE.require(license, "activate")
    existing = Activation.objects.filter(
        license=license, fingerprint=fingerprint, deactivated_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    if _live_count(license) >= license.quantity:
        raise RuleViolation(
            _("This licence is active on %(count)s of %(count)s machines. Move it or restore it instead.")
            % {"count": license.quantity},
            code="activation_limit",
        )
    activation = Activation.objects.create(
        license=license,
        fingerprint=fingerprint,
        activated_at=timezone.now(),
        activated_by=actor if access.is_person(actor) else None,
    )
    record_event(actor=actor, action="license.activated", target=license, data={"fingerprint": fingerprint})
    return activation


def _next_possible(license: License, reason: str, limit: int) -> dt.datetime | None:
    """None if one more ``reason`` (move/restore) fits into the last 30 days, else when the next one does."""
    since = timezone.now() - WINDOW
    recent = list(
        Activation.objects.filter(
            license=license, reason=reason, deactivated_at__gte=since, by_vendor_support=False
        )
        .order_by("-deactivated_at")
        .values_list("deactivated_at", flat=True)[: max(limit, 1)]
    )
    if len(recent) < limit:
        return None
    return recent[-1] + WINDOW if recent else timezone.now()


def moves_limit(license: License) -> int:
    return license.group.moves_per_30_days if license.group_id else 3


@transaction.atomic
def move_license(*, actor, license: License, from_fingerprint: str, to_fingerprint: str) -> Activation:
    """Deactivate on one machine and activate on another, at most ``moves_per_30_days`` times in 30 days."""
    from_fingerprint = _clean_fingerprint(from_fingerprint, "from_fingerprint")
    to_fingerprint = _clean_fingerprint(to_fingerprint, "to_fingerprint")
    license = _lock(license)
    access.require(actor, "move", license)
    LICENSE.require(license, "move")
    if from_fingerprint == to_fingerprint:
        raise RuleViolation(
            _("Choose another machine to move to."),
            code="same_machine",
            fields={"to_fingerprint": [_("Same machine.")]},
        )
    live = Activation.objects.filter(
        license=license, fingerprint=from_fingerprint, deactivated_at__isnull=True
    ).first()
    if live is None:
        raise RuleViolation(
            _("The licence is not active on that machine."),
            code="not_active_there",
            fields={"from_fingerprint": [_("Not active on this machine.")]},
        )
    if Activation.objects.filter(
        license=license, fingerprint=to_fingerprint, deactivated_at__isnull=True
    ).exists():
        raise RuleViolation(
            _("The licence is already active on that machine."),
            code="already_active_there",
            fields={"to_fingerprint": [_("Already active.")]},
        )
    limit = moves_limit(license)
    next_at = _next_possible(license, DeactivationReason.MOVED, limit)
    if next_at is not None:
        raise RuleViolation(
            _(
                "This licence was moved %(limit)s times in the last 30 days; the next move is possible on %(date)s."
            )
            % {"limit": limit, "date": date_format(timezone.localtime(next_at), "DATETIME_FORMAT")},
            code="move_limit",
        )
    _end_live(license, DeactivationReason.MOVED, actor, fingerprint=from_fingerprint)
    activation = Activation.objects.create(
        license=license,
        fingerprint=to_fingerprint,
        activated_at=timezone.now(),
        activated_by=actor if access.is_person(actor) else None,
    )
    record_event(
        actor=actor,
        action="license.moved",
        target=license,
        data={"from": from_fingerprint, "to": to_fingerprint},
    )
    return activation


@transaction.atomic
def restore_license(*, actor, license: License, fingerprint: str | None = None) -> Activation | None:
    """After loss: every live activation is revoked and a new one may follow (here, if ``fingerprint``). Not a
    move; at most once per 30 days unless vendor support does it. Audited."""
    if fingerprint is not None:
        fingerprint = _clean_fingerprint(fingerprint)
    license = _lock(license)
    access.require(actor, "restore", license)
    LICENSE.require(license, "restore")
    unlimited = access.can(actor, "restore_unlimited", license)
    if not unlimited:
        next_at = _next_possible(license, DeactivationReason.RESTORED, 1)
        if next_at is not None:
            raise RuleViolation(
                _(
                    "This licence was restored in the last 30 days; the next restore is possible on %(date)s, or ask vendor support."
                )
                % {"date": date_format(timezone.localtime(next_at), "DATETIME_FORMAT")},
                code="restore_limit",
            )
    ended = _end_live(license, DeactivationReason.RESTORED, actor, vendor=unlimited)
    if ended == 0:
        # Nothing to revoke: record the restore on its own row so that the 30-day limit still counts it.
        now = timezone.now()
        Activation.objects.create(
            license=license,
            fingerprint="—",
            activated_at=now,
            deactivated_at=now,
            reason=DeactivationReason.RESTORED,
            by_vendor_support=unlimited,
        )
    activation = None
    if fingerprint:
        activation = Activation.objects.create(
            license=license,
            fingerprint=fingerprint,
            activated_at=timezone.now(),
            activated_by=actor if access.is_person(actor) else None,
        )
    record_event(
        actor=actor,
        action="license.restored",
        target=license,
        data={"revoked_activations": ended, "fingerprint": fingerprint, "by_vendor_support": unlimited},
    )
    return activation


# --- Moves between accounts (LIC-4) ---------------------------------------------------------------------


@transaction.atomic
def propose_move(*, actor, license: License) -> LicenseTransfer:
    """One side (the hoster holding the licence, or the tenant's owner) proposes moving a hoster-held licence
    into the tenant owner's account; the other side accepts."""
    license = _lock(license)
    access.require(actor, "propose_move", license)
    LICENSE.require(license, "propose_move")
    existing = LicenseTransfer.objects.filter(license=license, status=LicenseTransferStatus.PENDING).first()
    if existing is not None:
        return existing
    to_account = license.tenant.account
    roles = access.subject(actor).roles if access.is_person(actor) else {}
    proposing = license.holder if license.holder_id in roles else to_account
    transfer = LicenseTransfer.objects.create(
        license=license,
        from_account=license.holder,
        to_account=to_account,
        proposed_by_account=proposing,
        proposed_by=actor if access.is_person(actor) else None,
    )
    record_event(
        actor=actor,
        action="license.move_proposed",
        target=license,
        data={"from": license.holder.identifier, "to": to_account.identifier},
    )
    record_event(
        actor=actor,
        action="license.move_proposed",
        target=transfer,
        account=to_account,
        data={"license": license.key, "from": license.holder.identifier},
    )
    return transfer


@transaction.atomic
def answer_move(*, actor, transfer: LicenseTransfer, action: str) -> LicenseTransfer:
    """``accept`` (the licence moves to the tenant's owner; both trails record it), ``decline`` or
    ``withdraw``."""
    if action not in TRANSFER.transitions:
        raise RuleViolation(_("Unknown answer."), code="invalid_action")
    transfer = LicenseTransfer.objects.select_for_update().get(pk=transfer.pk)
    access.require(actor, action, transfer)
    target = TRANSFER.require(transfer, action).target
    now = timezone.now()
    transfer.status = target
    transfer.decided_at = now
    transfer.decided_by = actor if access.is_person(actor) else None
    transfer.save(update_fields=["status", "decided_at", "decided_by"])
    license = _lock(transfer.license)
    if action == "accept":
        previous_holder = license.holder
        license.holder_id = transfer.to_account_id
        if (
            license.assigned_user_id
            and not Membership.objects.filter(
                account_id=transfer.to_account_id, user_id=license.assigned_user_id
            ).exists()
        ):
            license.assigned_user = None
        license.save(update_fields=["holder", "assigned_user"])
        for account in (previous_holder, transfer.to_account):
            record_event(
                actor=actor,
                action="license.moved_to_account",
                target=license,
                account=account,
                data={"from": previous_holder.identifier, "to": transfer.to_account.identifier},
            )
    else:
        record_event(
            actor=actor, action=f"license.move_{target}", target=transfer, data={"license": license.key}
        )
    return transfer


# --- Check-in (LIC-6) -----------------------------------------------------------------------------------


def _interval() -> dt.timedelta:
    from django.conf import settings

    return dt.timedelta(hours=settings.LICENSE_CHECK_IN_INTERVAL_HOURS)


def check_in(*, key: str, fingerprint, nonce: str) -> dict:
    """The answer to a client's check-in (without the signature, which the view adds over the exact bytes).
    The key is the credential. A ``recall_pending`` licence is revoked in this call and the answer says so.
    Unknown, malformed and revoked keys answer alike apart from ``reason``: nothing tells whether a key exists
    beyond what the key's holder already knows."""
    now = timezone.now()
    answer: dict = {"nonce": nonce, "checked_at": now.isoformat(), "valid": False}
    normalized = keys.normalize_key(key)
    if normalized is None:
        return {
            **answer,
            "status": None,
            "reason": "malformed_key",
            "detail": _("This is not a valid licence key."),
        }
    fingerprint = fingerprint.strip()[:200] if isinstance(fingerprint, str) else ""
    with transaction.atomic():
        license = (
            License.objects.select_for_update()
            .select_related("product", "subscription")
            .filter(key=normalized)
            .first()
        )
        if license is None:
            return {
                **answer,
                "status": None,
                "reason": "unknown_key",
                "detail": _("This licence key is not valid."),
            }
        recalled = False
        if license.status == Status.RECALL_PENDING:
            LICENSE.require(license, "recall")
            license.status = Status.REVOKED
            license.status_changed_at = now
            license.save(update_fields=["status", "status_changed_at"])
            _end_live(license, DeactivationReason.REVOKED, access.SYSTEM)
            record_event(
                actor=access.SYSTEM,
                action="license.recalled",
                target=license,
                data={"fingerprint": fingerprint},
            )
            recalled = True
        License.objects.filter(pk=license.pk).update(last_check_in_at=now)
        activated = False
        if fingerprint:
            activated = bool(
                Activation.objects.filter(
                    license=license, fingerprint=fingerprint, deactivated_at__isnull=True
                ).update(last_seen_at=now)
            )
    usable = license.status in (Status.ACTIVE, Status.CANCELLED) and (
        license.expires_at is None or license.expires_at > now
    )
    answer.update(
        valid=usable,
        status=license.status,
        kind=license.kind,
        product={
            "article_number": license.product.article_number,
            "product_code": license.product.product_code,
        },
        entitlements=entitlements(license.product),
        expires_at=license.expires_at.isoformat() if license.expires_at else None,
        activated_on_this_machine=activated,
        next_check_in_at=(now + _interval()).isoformat() if usable else None,
        reason=(
            "recalled"
            if recalled
            else None
            if usable
            else {"revoked": "revoked", "expired": "expired", "recall_pending": "recalled"}.get(
                license.status, "expired"
            )
        ),
    )
    if recalled:
        answer["detail"] = _("This licence was recalled and is now revoked. Remove it from this machine.")
    elif not usable:
        answer["detail"] = _("This licence is no longer valid.")
    return answer


def entitlements(product: Product) -> list[str]:
    """The product's features; the NFR product code unlocks every feature of the catalogue (SUB-5)."""
    if product.is_nfr_code:
        features: set[str] = set()
        for values in Product.objects.values_list("features", flat=True):
            features.update(values or [])
        return sorted(features)
    return list(product.features or [])


# --- Renewal and expiry jobs (SUB-2, SUB-4, SUB-5, LIC-3 demos) -----------------------------------------


def _due_subscriptions(day: dt.date):
    return Subscription.objects.filter(
        current_period_end__lte=day,
        auto_renew=True,
        voided_at__isnull=True,
        ended_on__isnull=True,
        license__status=Status.ACTIVE,
    )


def renew_due_subscriptions(*, day: dt.date | None = None, max_rounds: int = 24) -> int:
    """SUB-4: renew every due subscription, set-based. Per (term, anchor day, period end) one ``INSERT … SELECT
    … ON CONFLICT DO NOTHING RETURNING`` writes the renewal rows — the unique (subscription, period start) row
    lets only one run, or one of two concurrent runs, renew a period — and one ``UPDATE`` moves exactly the
    subscriptions whose row this run wrote. Subscriptions several periods behind catch up in further rounds."""
    day = day or today()
    renewed = 0
    sub_table = Subscription._meta.db_table
    ren_table = SubscriptionRenewal._meta.db_table
    lic_table = License._meta.db_table
    for _round in range(max_rounds):
        groups = list(
            _due_subscriptions(day)
            .values_list("term", "anchor_day", "current_period_end")
            .distinct()
            .order_by()
        )
        if not groups:
            break
        for term, anchor_day, period_end in groups:
            next_end = add_term(period_end, term, anchor_day)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    INSERT INTO {ren_table} (subscription_id, period_start, period_end, created_at)
                    SELECT s.id, s.current_period_end, %s, %s
                      FROM {sub_table} s JOIN {lic_table} l ON l.id = s.license_id
                     WHERE s.term = %s AND s.anchor_day = %s AND s.current_period_end = %s
                       AND s.auto_renew AND s.voided_at IS NULL AND s.ended_on IS NULL AND l.status = 'active'
                    ON CONFLICT (subscription_id, period_start) DO NOTHING
                    RETURNING subscription_id
                    """,  # noqa: S608 - table names from _meta
                    [next_end, timezone.now(), term, anchor_day, period_end],
                )
                ids = [row[0] for row in cursor.fetchall()]
                if not ids:
                    continue
                updated = Subscription.objects.filter(pk__in=ids, current_period_end=period_end).update(
                    current_period_start=period_end, current_period_end=next_end
                )
                License.objects.filter(subscription__pk__in=ids).update(expires_at=start_of_day(next_end))
                renewed += updated
    return renewed


def expire_due_licenses(*, now: dt.datetime | None = None) -> int:
    """Demos past their days and cancelled subscriptions past their period end become ``expired`` (set-based,
    one UPDATE each). Subscriptions that still renew are left to the renewal job."""
    now = now or timezone.now()
    with transaction.atomic():
        expiring = License.objects.filter(
            status__in=[Status.ACTIVE, Status.CANCELLED], expires_at__lte=now
        ).exclude(
            Q(kind__in=SUBSCRIPTION_KINDS)
            & Q(subscription__auto_renew=True)
            & Q(subscription__voided_at__isnull=True)
        )
        ids = list(expiring.values_list("pk", flat=True)[:50_000])
        if not ids:
            return 0
        count = License.objects.filter(pk__in=ids, status__in=[Status.ACTIVE, Status.CANCELLED]).update(
            status=Status.EXPIRED, status_changed_at=now
        )
        Subscription.objects.filter(license_id__in=ids, ended_on__isnull=True).update(
            ended_on=timezone.localdate(now)
        )
    return count


def issue_error_field(exc: IntegrityError) -> str:  # pragma: no cover - kept for API messages
    return "key"


__all__ = [
    "Frame",
    "activate_license",
    "answer_move",
    "assign_license",
    "authorize_reseller",
    "cancel_license",
    "check_in",
    "entitlements",
    "expire_due_licenses",
    "frame_for",
    "issue_license",
    "move_license",
    "propose_move",
    "renew_due_subscriptions",
    "restore_license",
    "swap_license",
    "void_license",
    "withdraw_authorization",
]

TERMS = Term
