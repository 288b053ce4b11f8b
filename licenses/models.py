"""Licences and subscriptions. Implements LIC-1 (catalogue), LIC-2 (reseller authorizations), LIC-3 (licence),
LIC-4 (licence held at a hoster, moved with both sides' consent), LIC-5 (pools and seats), LIC-6 (activations,
moves, restores), SUB-1..SUB-5 (subscriptions, renewals).

Rules that need other rows live in ``licenses.services``; rights come from ``licenses.access`` (reseller
authorization, licence holder, assigned user, issuer), never from fields read in views.

Periods: a subscription's period is ``[current_period_start, current_period_end)`` — ``current_period_end`` is
the day the next period starts (the renewal day), not the last usable day. A renewal row
(``SubscriptionRenewal``) exists once per (subscription, period start): that unique row is what makes two runs
of the renewal job renew each period exactly once (SUB-4).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from portal.fields import actor_field


class Kind(models.TextChoices):
    FULL = "full", _("Full (perpetual)")
    DEMO = "demo", _("Demo")
    SUBSCRIPTION = "subscription", _("Subscription")
    NFR = "nfr", _("NFR (not for resale)")


class Status(models.TextChoices):
    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Cancelled (runs to its end)")
    RECALL_PENDING = "recall_pending", _("Recall pending")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class Term(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    ANNUAL = "annual", _("Annual")


class VoidReason(models.TextChoices):
    REFUND = "refund", _("Refund")
    SWAP = "swap", _("Swap to another subscription")


def _kinds_default() -> list[str]:
    return [Kind.FULL, Kind.DEMO, Kind.SUBSCRIPTION]


def _terms_default() -> list[str]:
    return [Term.MONTHLY, Term.ANNUAL]


class ProductGroup(models.Model):
    """A vendor-defined group of products and the values allowed for its licences (LIC-1)."""

    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    allowed_kinds = models.JSONField(_("allowed licence kinds"), default=_kinds_default)
    demo_days_min = models.PositiveIntegerField(_("demo days (minimum)"), default=7)
    demo_days_default = models.PositiveIntegerField(_("demo days (default)"), default=30)
    demo_days_max = models.PositiveIntegerField(_("demo days (maximum)"), default=90)
    terms = models.JSONField(_("subscription terms"), default=_terms_default)
    nfr_term = models.CharField(_("NFR term"), max_length=10, choices=Term.choices, default=Term.ANNUAL)
    activation_limit = models.PositiveIntegerField(
        _("activations per licence"), default=1, validators=[MinValueValidator(1)]
    )
    moves_per_30_days = models.PositiveIntegerField(_("moves per 30 days"), default=3)

    class Meta:
        verbose_name = _("product group")
        verbose_name_plural = _("product groups")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(demo_days_min__lte=models.F("demo_days_default"))
                & Q(demo_days_default__lte=models.F("demo_days_max")),
                name="productgroup_demo_days_ordered",
                violation_error_message=_("Demo days must satisfy minimum ≤ default ≤ maximum."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """An article: what a licence is for (LIC-1). ``is_nfr_code``: the NFR product code that unlocks every
    feature of the catalogue (SUB-5)."""

    article_number = models.CharField(_("article number"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    product_code = models.CharField(_("product code"), max_length=40, db_index=True)
    features = models.JSONField(_("feature entitlements"), default=list, blank=True)
    groups = models.ManyToManyField(
        ProductGroup, verbose_name=_("product groups"), related_name="products", blank=True
    )
    is_nfr_code = models.BooleanField(_("NFR code (unlocks all features)"), default=False)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["article_number"]

    def __str__(self) -> str:
        return f"{self.article_number} {self.name}"


class Price(models.Model):
    """The vendor's list price in EUR per product and term (LIC-1)."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="prices"
    )
    term = models.CharField(_("term"), max_length=10, choices=Term.choices)
    amount = models.DecimalField(
        _("amount (EUR)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        ordering = ["product", "term"]
        constraints = [models.UniqueConstraint(fields=["product", "term"], name="price_unique_product_term")]

    def __str__(self) -> str:
        return f"{self.product.article_number} {self.term}: {self.amount} EUR"


class ResellerPrice(models.Model):
    """A reseller's own purchase price per product and term (LIC-1); the list price applies without one."""

    reseller = models.ForeignKey(
        Account, verbose_name=_("reseller"), on_delete=models.CASCADE, related_name="reseller_prices"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="reseller_prices"
    )
    term = models.CharField(_("term"), max_length=10, choices=Term.choices)
    amount = models.DecimalField(
        _("amount (EUR)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    class Meta:
        verbose_name = _("reseller price")
        verbose_name_plural = _("reseller prices")
        ordering = ["reseller", "product", "term"]
        constraints = [
            models.UniqueConstraint(fields=["reseller", "product", "term"], name="resellerprice_unique")
        ]

    def __str__(self) -> str:
        return f"{self.reseller.identifier} {self.product.article_number} {self.term}: {self.amount} EUR"


class ResellerAuthorization(models.Model):
    """The vendor authorizes a partner account as reseller for one product group and a subset of its allowed
    values (LIC-2). A source of rights with the authority (``licenses.access``): members of the reseller hold
    ``issue`` on the group's products within these values."""

    reseller = models.ForeignKey(
        Account, verbose_name=_("reseller"), on_delete=models.CASCADE, related_name="reseller_authorizations"
    )
    group = models.ForeignKey(
        ProductGroup, verbose_name=_("product group"), on_delete=models.CASCADE, related_name="authorizations"
    )
    kinds = models.JSONField(_("licence kinds"), default=list)
    max_demo_days = models.PositiveIntegerField(_("maximum demo days"), default=30)
    terms = models.JSONField(_("subscription terms"), default=list)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = actor_field(_("created by"))

    class Meta:
        verbose_name = _("reseller authorization")
        verbose_name_plural = _("reseller authorizations")
        ordering = ["reseller", "group"]
        constraints = [
            models.UniqueConstraint(fields=["reseller", "group"], name="resellerauthorization_unique")
        ]

    def __str__(self) -> str:
        return f"{self.reseller.identifier} → {self.group.code}"


class License(models.Model):
    """A licence (LIC-3). ``key`` is stored normalized (``licenses.keys.normalize_key``). ``holder`` is the
    account that holds it (a hoster's account for a customer's tenant, LIC-4); ``issuer`` the reseller (or the
    vendor's sales unit) that issued it."""

    key = models.CharField(_("licence key"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="licenses"
    )
    group = models.ForeignKey(
        ProductGroup,
        verbose_name=_("product group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licenses",
        help_text=_("The group it was issued under: its activation and move limits apply."),
    )
    holder = models.ForeignKey(
        Account, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="held_licenses"
    )
    issuer = models.ForeignKey(
        Account, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="issued_licenses"
    )
    tenant = models.ForeignKey(
        "tenants.Tenant",
        verbose_name=_("tenant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licenses",
    )
    assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_licenses",
    )
    quantity = models.PositiveIntegerField(
        _("machines"), default=1, validators=[MinValueValidator(1), MaxValueValidator(10_000)]
    )
    demo_days = models.PositiveIntegerField(_("demo days"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued"), db_index=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    last_check_in_at = models.DateTimeField(_("last check-in"), null=True, blank=True)
    created_by = actor_field(_("created by"))

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["-issued_at", "-id"]
        indexes = [
            # The reseller's and the holder's lists page by (issued_at, id) (keyset).
            models.Index(fields=["issuer", "-issued_at", "-id"], name="license_issuer_keyset"),
            models.Index(fields=["holder", "-issued_at", "-id"], name="license_holder_keyset"),
            models.Index(fields=["assigned_user"], name="license_assigned_user"),
            # The demo/cancelled expiry sweeps read only rows that can still expire.
            models.Index(
                fields=["expires_at"],
                name="license_expiring",
                condition=Q(status__in=["active", "cancelled"]) & Q(expires_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.key

    def audit_scope(self) -> tuple[int, None]:
        """Events on a licence join its holder's trail (portal.audit)."""
        return self.holder_id, None

    @property
    def is_hosted(self) -> bool:
        """Held by another account than the tenant's owner (LIC-4, seed 000 case B)."""
        return self.tenant_id is not None and self.tenant.account_id != self.holder_id


class LicenseTransferStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class LicenseTransfer(models.Model):
    """LIC-4: moving a hoster-held licence into the tenant owner's account; one side proposes, the other
    accepts."""

    license = models.ForeignKey(
        License, verbose_name=_("licence"), on_delete=models.CASCADE, related_name="transfers"
    )
    from_account = models.ForeignKey(
        Account, verbose_name=_("from"), on_delete=models.PROTECT, related_name="license_transfers_out"
    )
    to_account = models.ForeignKey(
        Account, verbose_name=_("to"), on_delete=models.PROTECT, related_name="license_transfers_in"
    )
    proposed_by_account = models.ForeignKey(
        Account, verbose_name=_("proposed by account"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=LicenseTransferStatus.choices,
        default=LicenseTransferStatus.PENDING,
    )
    proposed_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    proposed_by = actor_field(_("proposed by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = actor_field(_("decided by"))

    class Meta:
        verbose_name = _("licence move")
        verbose_name_plural = _("licence moves")
        ordering = ["-proposed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["license"], condition=Q(status="pending"), name="licensetransfer_one_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.license.key}: {self.from_account.identifier} → {self.to_account.identifier}"

    def audit_scope(self) -> tuple[int, None]:
        return self.to_account_id, None


class DeactivationReason(models.TextChoices):
    MOVED = "moved", _("Moved to another machine")
    RESTORED = "restored", _("Restored after loss")
    RELEASED = "released", _("Released")
    REVOKED = "revoked", _("Licence revoked")


class Activation(models.Model):
    """One machine a licence runs on (LIC-6). Ended activations stay as history: the moves and restores of the
    last 30 days are counted from them."""

    license = models.ForeignKey(
        License, verbose_name=_("licence"), on_delete=models.CASCADE, related_name="activations"
    )
    fingerprint = models.CharField(_("machine fingerprint"), max_length=200)
    activated_at = models.DateTimeField(_("activated"))
    activated_by = actor_field(_("activated by"))
    deactivated_at = models.DateTimeField(_("deactivated"), null=True, blank=True)
    deactivated_by = actor_field(_("deactivated by"))
    reason = models.CharField(
        _("reason for ending"), max_length=10, choices=DeactivationReason.choices, blank=True
    )
    by_vendor_support = models.BooleanField(_("by vendor support"), default=False)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)

    class Meta:
        verbose_name = _("activation")
        verbose_name_plural = _("activations")
        ordering = ["-activated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["license", "fingerprint"],
                condition=Q(deactivated_at__isnull=True),
                name="activation_one_live_per_machine",
            )
        ]
        indexes = [models.Index(fields=["license", "deactivated_at"], name="activation_history")]

    def __str__(self) -> str:
        return f"{self.license.key} @ {self.fingerprint}"

    @property
    def is_live(self) -> bool:
        return self.deactivated_at is None


class Subscription(models.Model):
    """The running part of a ``subscription`` or ``nfr`` licence (SUB-1..SUB-5). ``anchor_day`` is the day of
    the month it started on: a period that would end on a day the month lacks ends on the month's last day,
    and the next one returns to the anchor day."""

    license = models.OneToOneField(
        License, verbose_name=_("licence"), on_delete=models.CASCADE, related_name="subscription"
    )
    term = models.CharField(_("term"), max_length=10, choices=Term.choices)
    started_on = models.DateField(_("started on"))
    anchor_day = models.PositiveSmallIntegerField(
        _("renewal day"), validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    current_period_start = models.DateField(_("current period start"))
    current_period_end = models.DateField(
        _("current period end"), help_text=_("The day the next period starts (renewal day).")
    )
    auto_renew = models.BooleanField(_("renews automatically"), default=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    void_reason = models.CharField(_("void reason"), max_length=10, choices=VoidReason.choices, blank=True)
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["current_period_end", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(current_period_start__lt=models.F("current_period_end")),
                name="subscription_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True, void_reason="")
                | Q(voided_at__isnull=False) & ~Q(void_reason=""),
                name="subscription_void_has_reason",
            ),
        ]
        indexes = [
            # The renewal job reads only subscriptions that renew.
            models.Index(
                fields=["current_period_end"],
                name="subscription_due",
                condition=Q(auto_renew=True, voided_at__isnull=True, ended_on__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.license.key} ({self.term})"


class SubscriptionRenewal(models.Model):
    """One renewal of one period (SUB-4): the unique (subscription, period_start) row is the exactly-once
    guarantee of the renewal job."""

    subscription = models.ForeignKey(
        Subscription, verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="renewals"
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("subscription renewal")
        verbose_name_plural = _("subscription renewals")
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_start"], name="subscriptionrenewal_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}: {self.period_start} – {self.period_end}"
