"""Delegated access: caretaker grants, grant links, managed accounts, in-app notifications.
Implements DEL-1..DEL-5, DEL-7 (data), ACC-4.

Only the services write these rows; the effect on permissions lives in portal.access (DEL-6).

A caretaker *request* stores the tenant number as the partner typed it. When no such tenant exists the row
still exists (``tenant`` and ``customer_account`` empty): the partner's view of it — list, audit, lapse after
30 days — is the same either way, so nothing reveals whether a number exists (DEL-1, no enumeration).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from portal.fields import actor_field
from tenants.models import Tenant


class Scope(models.TextChoices):
    READ = "read", _("Read")
    TECHNICAL = "technical", _("Technical")
    FULL_TECHNICAL = "full_technical", _("Full technical")


class GrantStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACTIVE = "active", _("Active")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")
    RESIGNED = "resigned", _("Resigned")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    LAPSED = "lapsed", _("Lapsed")


OPEN_STATUSES = (GrantStatus.PENDING, GrantStatus.ACTIVE)
ENDED_STATUSES = tuple(s for s in GrantStatus.values if s not in OPEN_STATUSES)


class GrantOrigin(models.TextChoices):
    REQUEST = "request", _("Requested by the caretaker")
    GRANT = "grant", _("Granted by the customer")


class GrantInvitation(models.Model):
    """The single-use link of a customer grant (DEL-2): one e-mail, one or more pending grants.

    The e-mailed token is ``signing.dumps({"i": pk, "n": nonce})``; the nonce is the secret, the signature
    guards against tampering, ``used_at`` is set once under a row lock (two tabs activate once).
    """

    nonce = models.CharField(max_length=64, unique=True, verbose_name=_("nonce"))
    email = models.EmailField(_("e-mail"))
    customer_account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer account")
    )
    invited_by = actor_field(_("invited by"), blank=False)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    expires_at = models.DateTimeField(_("link valid until"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    used_by = actor_field(_("used by"))
    # Set when a newer link replaced this one (resend): the old link no longer works.
    replaced_at = models.DateTimeField(null=True, blank=True, verbose_name=_("replaced at"))

    class Meta:
        verbose_name = _("grant link")
        verbose_name_plural = _("grant links")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.created_at:%Y-%m-%d})" if self.created_at else self.email


class CaretakerGrant(models.Model):
    """Technical-caretaker access to exactly one tenant (DEL-1, DEL-2), with its lifecycle (DEL-4)."""

    tenant = models.ForeignKey(
        Tenant,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="caretaker_grants",
        verbose_name=_("tenant"),
    )
    # As entered by the requesting partner (DEL-1); equals tenant.number whenever the tenant exists.
    tenant_number = models.CharField(_("tenant number"), max_length=20)
    customer_account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="granted_caretakers",
        verbose_name=_("customer account"),
    )
    caretaker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="caretaker_grants",
        verbose_name=_("caretaker"),
    )
    caretaker_email = models.EmailField(_("caretaker e-mail"))
    partner_account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="caretaker_grants",
        verbose_name=_("partner account"),
    )
    origin = models.CharField(max_length=10, choices=GrantOrigin.choices, verbose_name=_("origin"))
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, default=Scope.READ)
    status = models.CharField(
        _("status"), max_length=10, choices=GrantStatus.choices, default=GrantStatus.PENDING
    )
    message = models.TextField(_("message"), blank=True)
    requested_by = actor_field(_("requested by"), blank=False)
    invitation = models.ForeignKey(
        GrantInvitation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grants",
        verbose_name=_("invitation"),
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    decided_by = actor_field(_("decided by"))
    ended_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ended at"))
    ended_by = actor_field(_("ended by"))
    # Claimed by the reminder job in one UPDATE ... WHERE ... IS NULL: each reminder goes out once (DEL-4).
    # Extending a grant clears them, so the new expiry is reminded again.
    reminder_7d_sent_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("reminder (7 days) sent at")
    )
    reminder_1d_sent_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("reminder (1 day) sent at")
    )

    class Meta:
        verbose_name = _("caretaker grant")
        verbose_name_plural = _("caretaker grants")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["caretaker", "status"]),
            # The expiry and reminder sweeps read only active grants with an expiry.
            models.Index(
                fields=["expires_at"],
                condition=Q(status="active", expires_at__isnull=False),
                name="grant_active_expiry_idx",
            ),
            models.Index(
                fields=["created_at"], condition=Q(status="pending"), name="grant_pending_created_idx"
            ),
            models.Index(fields=["caretaker_email", "status"]),
            models.Index(fields=["customer_account", "status"]),
            models.Index(fields=["requested_by", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="active") | Q(caretaker__isnull=False), name="active_grant_has_caretaker"
            ),
            # Only a partner's request may name a tenant that does not exist, and it can never become active.
            models.CheckConstraint(
                condition=Q(tenant__isnull=False, customer_account__isnull=False)
                | Q(origin="request", status__in=["pending", "withdrawn", "lapsed"]),
                name="grant_without_tenant_only_unanswered_request",
            ),
            # One open (pending or active) grant per caretaker and tenant.
            models.UniqueConstraint(
                fields=["tenant_number", "caretaker_email"],
                condition=Q(status__in=["pending", "active"]),
                name="one_open_grant_per_caretaker",
            ),
            models.CheckConstraint(
                condition=Q(caretaker_email=models.functions.Lower("caretaker_email")),
                name="grant_caretaker_email_lowercase",
            ),
        ]

    def __str__(self) -> str:
        # Never the tenant's name: the requester must not learn it from an audit line (DEL-1).
        return f"{self.caretaker_email} → {self.tenant_number} ({self.scope}, {self.status})"

    @property
    def effective_status(self) -> str:
        """``expired`` for an active grant past its expiry that the sweep has not reached yet (DEL-4)."""
        if (
            self.status == GrantStatus.ACTIVE
            and self.expires_at is not None
            and self.expires_at <= timezone.now()
        ):
            return GrantStatus.EXPIRED
        return self.status

    @property
    def is_open(self) -> bool:
        return self.effective_status in OPEN_STATUSES

    @property
    def disclosed_to_caretaker(self) -> bool:
        """May the caretaker side see the tenant's name and owner? Not while a partner's request is unanswered
        (that would tell whether the number exists); yes once the customer granted or accepted."""
        return self.origin == GrantOrigin.GRANT or self.decided_at is not None and self.status != "declined"


class ManagedAccountStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACTIVE = "active", _("Active")
    DECLINED = "declined", _("Declined")
    DISSOLVED = "dissolved", _("Dissolved")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    LAPSED = "lapsed", _("Lapsed")


class ManagedAccount(models.Model):
    """A partner manages a customer's account with the owner's approval (ACC-4).

    Like a caretaker request, a management request stores the customer number as the partner typed it. When
    no customer account has that number the row still exists (``customer_account`` empty) and looks to the
    partner exactly like an unanswered request; it lapses after 30 days like any other. The partner learns
    the customer's name only once the owner approves (no enumeration of customer numbers).
    """

    customer_account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="managing_relations",
        verbose_name=_("customer account"),
    )
    # As entered by the requesting partner; equals customer_account.number whenever the account exists.
    customer_number = models.CharField(_("customer number"), max_length=20, blank=True, db_index=True)
    partner_account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="managed_relations", verbose_name=_("partner account")
    )
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, default=Scope.TECHNICAL)
    status = models.CharField(
        _("status"), max_length=10, choices=ManagedAccountStatus.choices, default="pending"
    )
    requested_by = actor_field(_("requested by"), blank=False)
    decided_by = actor_field(_("decided by"))
    ended_by = actor_field(_("ended by"))
    message = models.TextField(_("message"), blank=True)
    # Vendor staff dissolve on the owner's behalf only after telling the partner (ACC-4); the notice is kept.
    partner_notified_at = models.DateTimeField(_("partner notified"), null=True, blank=True)
    partner_notice = models.TextField(_("notice to the partner"), blank=True)
    end_reason = models.TextField(_("reason for ending"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    ended_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ended at"))

    class Meta:
        verbose_name = _("managed account")
        verbose_name_plural = _("managed accounts")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A customer account has at most one managing partner at a time.
            models.UniqueConstraint(
                fields=["customer_account"], condition=Q(status="active"), name="one_active_managing_partner"
            ),
            models.UniqueConstraint(
                fields=["customer_number", "partner_account"],
                condition=Q(status="pending"),
                name="one_pending_managed_request",
            ),
            # Only a request may name an account that does not exist, and it can never become active.
            models.CheckConstraint(
                condition=Q(customer_account__isnull=False)
                | Q(status__in=["pending", "withdrawn", "lapsed"]),
                name="managed_without_account_only_unanswered",
            ),
            models.CheckConstraint(
                condition=~Q(customer_account=models.F("partner_account")), name="managed_account_not_itself"
            ),
        ]

    def __str__(self) -> str:
        # Never the customer's name: the requester must not learn it from an audit line.
        return f"{self.partner_account.identifier} manages {self.customer_label} ({self.status})"

    @property
    def customer_label(self) -> str:
        """The customer as the partner typed it (or, for relations without a number, its identifier)."""
        if self.customer_number:
            return self.customer_number
        return self.customer_account.identifier if self.customer_account_id else ""

    @property
    def disclosed_to_partner(self) -> bool:
        """May the partner side see the customer's name? Only once the owner approved (ACC-4, no
        enumeration): an unanswered, declined, withdrawn or lapsed request tells nothing."""
        return self.customer_account_id is not None and self.status in (
            ManagedAccountStatus.ACTIVE,
            ManagedAccountStatus.DISSOLVED,
        )


class Notification(models.Model):
    """An in-app notice for one user (DEL-1: owners learn of requests; reminders, answers, endings).

    The text is rendered at display time from ``kind`` and ``data`` in the reader's language.
    ``dedupe_key`` makes delivery idempotent: a job that runs twice notifies once.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    kind = models.CharField(max_length=40, verbose_name=_("kind"))
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))
    url = models.CharField(max_length=300, blank=True, verbose_name=_("URL"))
    grant = models.ForeignKey(
        CaretakerGrant,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("grant"),
    )
    managed_account = models.ForeignKey(
        ManagedAccount,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("managed account"),
    )
    dedupe_key = models.CharField(max_length=120, blank=True, verbose_name=_("dedupe key"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=_("read at"))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], condition=~Q(dedupe_key=""), name="notification_delivered_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}"

    @property
    def text(self) -> str:
        from .notifications import notification_text

        return notification_text(self.kind, self.data, self.user)
