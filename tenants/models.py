"""Tenants ("Mandanten"). Implements TEN-1, TEN-2 (rules that need other rows live in services).

Domains, the service catalogue and booked services (TEN-4..TEN-8) join this module.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from portal.fields import actor_field


class Environment(models.TextChoices):
    PRODUCTION = "production", _("Production")
    STAGING = "staging", _("Staging")
    TEST = "test", _("Test")


class Tenant(models.Model):
    """Holds a customer's data. Exactly one owning account: a foreign key, never a many-to-many (TEN-1)."""

    number = models.CharField(_("tenant number"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    environment = models.CharField(
        _("environment"), max_length=12, choices=Environment.choices, default=Environment.PRODUCTION
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="tenants"
    )
    # The partner that created the tenant as reseller of the owning account manages it (TEN-3): its members
    # hold their roles' rights on it (tenants.access, source "reseller"). Never set for a tenant created
    # through a managed-account relation, whose rights end with the relation (ACC-4).
    reseller = models.ForeignKey(
        Account,
        verbose_name=_("created by partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resold_tenants",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["number"]
        default_permissions = ("add", "change", "delete", "view")
        # Answered per object by the access authority (tenants.access.TENANT_PERMISSIONS), never stored.
        permissions = [
            ("book_service", "Book domains and billable services"),
            ("add_service", "Add services that are not billable"),
            ("end_service", "End booked services"),
            ("deploy_service", "Deploy domains and services"),
            ("run_check", "Run the consistency check"),
            ("view_billing", "See prices, offers and billing"),
            ("manage_confidential", "Mark domains confidential (expert mode)"),
        ]
        indexes = [models.Index(fields=["name"]), models.Index(fields=["account", "number"])]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def save(self, *args, **kwargs):
        # TEN-1: a tenant is never re-linked to another account except by an approved transfer.
        loaded = getattr(self, "_loaded_account_id", None)
        if (
            loaded is not None
            and loaded != self.account_id
            and not getattr(self, "_transfer_approved", False)
        ):
            from portal.errors import RuleViolation

            raise RuleViolation(
                _("A tenant cannot be linked to another account. Use a transfer approved by both owners."),
                code="tenant_relink_refused",
                fields={"account": [_("The owning account cannot be changed here.")]},
            )
        super().save(*args, **kwargs)
        self._loaded_account_id = self.account_id

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_account_id = instance.__dict__.get("account_id")
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        # The account read back is the database's now (e.g. after a transfer made through another instance).
        if fields is None or {"account", "account_id"} & set(fields):
            self._loaded_account_id = self.__dict__.get("account_id")

    def audit_scope(self) -> tuple[int, int]:
        """Events on a tenant join its account's trail and its own (portal.audit)."""
        return self.account_id, self.pk


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    COMPLETED = "completed", _("Completed")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")


class TenantTransfer(models.Model):
    """Moving a tenant to another account: both owners approve, then it moves, audited (TEN-1)."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="transfers", verbose_name=_("tenant")
    )
    from_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", verbose_name=_("from account")
    )
    to_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", verbose_name=_("to account")
    )
    status = models.CharField(
        max_length=10,
        choices=TransferStatus.choices,
        default=TransferStatus.PENDING,
        verbose_name=_("status"),
    )
    requested_by = actor_field(_("requested by"), blank=False)
    from_approved_by = actor_field(_("approved by (from)"))
    to_approved_by = actor_field(_("approved by (to)"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))

    class Meta:
        verbose_name = _("tenant transfer")
        verbose_name_plural = _("tenant transfers")
        ordering = ["-created_at"]
        constraints = [
            # One open transfer per tenant at a time.
            models.UniqueConstraint(
                fields=["tenant"], condition=Q(status="pending"), name="one_pending_transfer"
            ),
            models.CheckConstraint(
                condition=~Q(from_account=models.F("to_account")), name="transfer_changes_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant.number}: {self.from_account.identifier} → {self.to_account.identifier}"


# --- Domains, catalogue, booked services, checks, offers (TEN-4..TEN-8) ----------------------------------

# A booking is "live" while it is ordered, deployed or ending; ended and cancelled bookings are history.
LIVE_SERVICE_STATUSES = ("ordered", "deployed", "ending")


class Domain(models.Model):
    """A customer's mail domain inside a tenant (TEN-4).

    ``name`` is the ASCII (IDNA A-label) form, lower case, without a trailing dot; ``unicode_name`` the form
    shown to people. A domain is *live* until it is released (its base service ended or was cancelled);
    only live domains must be unique, so a released domain can be registered again, also elsewhere.
    ``str()`` is the masked name for confidential domains, so audit entries and exports never leak it.
    """

    tenant = models.ForeignKey(
        Tenant, verbose_name=_("tenant"), on_delete=models.PROTECT, related_name="domains"
    )
    name = models.CharField(_("domain"), max_length=253)
    unicode_name = models.CharField(_("domain (display)"), max_length=253)
    confidential = models.BooleanField(_("confidential"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = actor_field(_("created by"))
    deployed_at = models.DateTimeField(_("deployed"), null=True, blank=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(released_at__isnull=True),
                name="domain_name_unique_live",
                violation_error_message=_("This domain is already registered."),
            ),
            models.CheckConstraint(condition=~Q(name=""), name="domain_name_not_empty"),
        ]
        indexes = [models.Index(fields=["tenant", "released_at"])]

    def __str__(self) -> str:
        from tenants.domains import mask_fqdn

        return mask_fqdn(self.unicode_name) if self.confidential else self.unicode_name

    @property
    def is_live(self) -> bool:
        return self.released_at is None


class RegisteredUser(models.Model):
    """A mailbox/user of a domain that the service is used for; the list drives billing (TEN-6)."""

    domain = models.ForeignKey(
        Domain, verbose_name=_("domain"), on_delete=models.CASCADE, related_name="registered_users"
    )
    email = models.EmailField(_("e-mail"))
    name = models.CharField(_("name"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = actor_field(_("created by"))

    class Meta:
        verbose_name = _("registered user")
        verbose_name_plural = _("registered users")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "email"],
                name="registered_user_unique_per_domain",
                violation_error_message=_("This user is already registered for the domain."),
            )
        ]

    def __str__(self) -> str:
        """Masked like ``Domain.__str__`` on a confidential domain (audit, admin, exports: safe by default)."""
        if self.domain.confidential:
            from tenants.masking import mask_email

            return mask_email(self.email, self.domain)
        return self.email

    @property
    def tenant(self) -> Tenant:
        return self.domain.tenant


class ServiceType(models.Model):
    """The service catalogue (TEN-5). ``requires`` forms an acyclic graph, checked on every change
    (tenants.catalogue); the one active ``is_base`` service is booked with every domain."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    monthly_price = models.DecimalField(_("monthly price (EUR)"), max_digits=10, decimal_places=2)
    is_base = models.BooleanField(_("base service"), default=False)
    requires = models.ManyToManyField(
        "self", verbose_name=_("requires"), symmetrical=False, related_name="required_by", blank=True
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        ordering = ["-is_base", "position", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(monthly_price__gte=0), name="service_type_price_not_negative"),
            models.UniqueConstraint(
                fields=["is_base"],
                condition=Q(is_base=True, active=True),
                name="one_active_base_service",
                violation_error_message=_("There is already an active base service."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def billable(self) -> bool:
        """A service with a price is billable: caretakers never book it (DEL-3)."""
        return self.monthly_price > 0


class ServiceStatus(models.TextChoices):
    ORDERED = "ordered", _("ordered")
    DEPLOYED = "deployed", _("deployed")
    ENDING = "ending", _("ending")
    ENDED = "ended", _("ended")
    CANCELLED = "cancelled", _("cancelled")


class DiscountReason(models.TextChoices):
    """Well-known discount reasons; any other non-empty text is a free-text reason (TEN-6, TEN-8)."""

    NFR = "nfr", _("nfr")
    TEST = "test", _("test")


class BookedService(models.Model):
    """A service booked for a domain (TEN-6). The state machine lives in tenants.services.booking:
    ordered → deployed → ending → ended, and ordered → cancelled."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    domain = models.ForeignKey(
        Domain, verbose_name=_("domain"), on_delete=models.PROTECT, related_name="services"
    )
    service_type = models.ForeignKey(
        ServiceType, verbose_name=_("service"), on_delete=models.PROTECT, related_name="bookings"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ServiceStatus.choices, default=ServiceStatus.ORDERED
    )
    ordered_at = models.DateTimeField(_("ordered"), auto_now_add=True)
    ordered_by = actor_field(_("ordered by"))
    deployed_on = models.DateField(_("deployed on"), null=True, blank=True)
    deployed_by = actor_field(_("deployed by"))
    billing_start = models.DateField(_("billing start"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=0)
    discount_reason = models.CharField(_("discount reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("booked service")
        verbose_name_plural = _("booked services")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="booked_service_discount_0_100",
                violation_error_message=_("The discount must be between 0 and 100 %."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["ordered", "deployed", "ending", "ended", "cancelled"]),
                name="booked_service_status_valid",
            ),
            # An end date exactly when the service is ending or ended.
            models.CheckConstraint(
                condition=(Q(status__in=["ending", "ended"]) & Q(end_date__isnull=False))
                | (Q(status__in=["ordered", "deployed", "cancelled"]) & Q(end_date__isnull=True)),
                name="booked_service_end_date_iff_ending",
            ),
            # Only what was deployed can be deployed, ending or ended.
            models.CheckConstraint(
                condition=~Q(status__in=["deployed", "ending", "ended"]) | Q(deployed_on__isnull=False),
                name="booked_service_deployed_has_date",
            ),
            # One live booking of a service type per domain: double clicks and races cannot book twice.
            models.UniqueConstraint(
                fields=["domain", "service_type"],
                condition=Q(status__in=["ordered", "deployed", "ending"]),
                name="booked_service_one_live_per_type",
                violation_error_message=_("This service is already booked for the domain."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "end_date"]),
            models.Index(fields=["domain", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.service_type.name} @ {self.domain}"

    @property
    def tenant(self) -> Tenant:
        return self.domain.tenant

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_SERVICE_STATUSES


class CheckStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class CheckRun(models.Model):
    """One asynchronous consistency check of a tenant's domains and services (TEN-7)."""

    tenant = models.ForeignKey(
        Tenant, verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="check_runs"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CheckStatus.choices, default=CheckStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    total_domains = models.PositiveIntegerField(_("domains to check"), default=0)
    checked_domains = models.PositiveIntegerField(_("domains checked"), default=0)
    requested_by = actor_field(_("requested by"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Heartbeat: touched on every progress step, so a run whose worker died can be recognised as stale.
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("consistency check")
        verbose_name_plural = _("consistency checks")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="check_run_progress_max_100"),
            # A second check while one is queued or running returns that one (and a race cannot start two).
            models.UniqueConstraint(
                fields=["tenant"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_check_per_tenant",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.tenant.number} check #{self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (CheckStatus.QUEUED, CheckStatus.RUNNING)


class FindingSeverity(models.TextChoices):
    ERROR = "error", _("error")
    WARNING = "warning", _("warning")
    INFO = "info", _("info")


class Finding(models.Model):
    """One finding of a check. Stored structured (code + params), worded when shown, so a confidential
    domain's name never sits in a stored text (tenants.checks.describe_finding)."""

    run = models.ForeignKey(
        CheckRun, verbose_name=_("check"), on_delete=models.CASCADE, related_name="findings"
    )
    code = models.CharField(_("code"), max_length=40)
    severity = models.CharField(_("severity"), max_length=10, choices=FindingSeverity.choices)
    domain = models.ForeignKey(
        Domain, verbose_name=_("domain"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    service = models.ForeignKey(
        BookedService,
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.code} ({self.severity})"

    @property
    def tenant(self) -> Tenant:
        return self.run.tenant


class Offer(models.Model):
    """A priced quote for selected services (TEN-7 "create offer"); amounts are snapshots in EUR."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    tenant = models.ForeignKey(
        Tenant, verbose_name=_("tenant"), on_delete=models.PROTECT, related_name="offers"
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    valid_until = models.DateField(_("valid until"))
    monthly_total = models.DecimalField(_("monthly total"), max_digits=12, decimal_places=2)
    annual_total = models.DecimalField(_("annual total"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = actor_field(_("created by"))

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(monthly_total__gte=0) & Q(annual_total__gte=0), name="offer_totals_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.tenant.number}"


class OfferLine(models.Model):
    offer = models.ForeignKey(Offer, verbose_name=_("offer"), on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    service_type = models.ForeignKey(
        ServiceType, verbose_name=_("service"), on_delete=models.PROTECT, related_name="offer_lines"
    )
    name = models.CharField(_("name"), max_length=120)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.DecimalField(_("monthly unit price"), max_digits=10, decimal_places=2)
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=0)
    discount_reason = models.CharField(_("discount reason"), max_length=200, blank=True)
    monthly_amount = models.DecimalField(_("monthly amount"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("offer line")
        verbose_name_plural = _("offer lines")
        ordering = ["offer", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="offer_line_discount_0_100",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="offer_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.offer.number}/{self.position} {self.name}"

    @property
    def tenant(self) -> Tenant:
        return self.offer.tenant
