"""Support: contracts, coverage, closure days, tickets, legacy double links.
Implements SUP-1 (contracts), SUP-2 (coverage categories), SUP-3 (closure days), SUP-6 (tickets), CHK-1
(flagged legacy double links from ``manage.py import_legacy``).

Rules that need other rows (entitlement, who may file, e-mail domain of a staging account) live in
``support.entitlement`` and ``support.services``; models hold constraints only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account


class ContractKind(models.TextChoices):
    UPDATE_SERVICE = "update_service", _("Update service")
    SUPPORT_CONTRACT = "support_contract", _("Support contract")


class Contract(models.Model):
    """An account's update service or support contract, valid from/to (open end allowed) (SUP-1). A support
    contract names the customer's central technical contact and system administrator (seed 001)."""

    number = models.CharField(_("contract number"), max_length=20, unique=True)
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="support_contracts", verbose_name=_("account")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ContractKind.choices)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("Empty: open end."))
    technical_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("central technical contact"),
    )
    system_administrator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("system administrator"),
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["account", "kind", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="contract_valid_until_after_from",
                violation_error_message=_("A contract cannot end before it starts."),
            ),
        ]
        indexes = [models.Index(fields=["account", "kind"])]

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"

    def audit_scope(self) -> tuple[int, None]:
        return self.account_id, None

    def is_valid_on(self, day) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


class CoverageCategory(models.Model):
    """What a support contract covers, and what it excludes (billable work) (SUP-2, seed 001)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    covered = models.BooleanField(_("covered by a support contract"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("coverage category")
        verbose_name_plural = _("coverage categories")
        ordering = ["-covered", "position", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def billable(self) -> bool:
        return not self.covered


class ClosureDay(models.Model):
    """A day the support desk is closed besides weekends and public holidays (SUP-3)."""

    date = models.DateField(_("date"), unique=True)
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("closure day")
        verbose_name_plural = _("closure days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.reason}".strip()


class Verdict(models.TextChoices):
    ENTITLED = "entitled", _("Entitled")
    NOT_ENTITLED = "not_entitled", _("Not entitled")
    VIA_LEADING_ACCOUNT = "via_leading_account", _("Via the leading account")
    SUPPORTED_BY_PARTNER = "supported_by_partner", _("Supported by the partner")


class TicketStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting")
    CLOSED = "closed", _("Closed")


class Ticket(models.Model):
    """A support ticket (SUP-6). ``account`` is the account it is filed from (for a staging or simulation
    account: its leading production account); ``subject_account`` the account it is about, referenced by
    ``reference`` (its number, or its e-mail where it has none). The verdict and its reasons at creation are
    stored; ``email_domain`` (of the subject account) links tickets of one company."""

    number = models.CharField(_("ticket number"), max_length=20, unique=True)
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="support_tickets",
        verbose_name=_("filed from account"),
    )
    subject_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", verbose_name=_("subject account")
    )
    reference = models.CharField(_("reference"), max_length=254, blank=True)
    tenant = models.ForeignKey(
        "tenants.Tenant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="support_tickets",
        verbose_name=_("tenant"),
    )
    category = models.ForeignKey(
        CoverageCategory, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("category")
    )
    billable = models.BooleanField(_("billable"), default=False)
    subject = models.CharField(_("subject"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.OPEN
    )
    verdict = models.CharField(_("verdict"), max_length=24, choices=Verdict.choices)
    reasons = models.JSONField(_("reasons"), default=list)
    email_domain = models.CharField(_("e-mail domain"), max_length=254, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    # The partner that filed it on the customer's behalf (managed account or caretaker grant), if any.
    filed_by_account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="support_tickets_filed",
        verbose_name=_("filed by partner"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "status"]),
            models.Index(fields=["subject_account", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    def audit_scope(self) -> tuple[int, None]:
        return self.account_id, None


class TicketMessage(models.Model):
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="messages", verbose_name=_("ticket")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket.number} #{self.pk}"


class LegacyTenantLink(models.Model):
    """A second account linked to a tenant in imported legacy data (seed 000 case C). New data cannot have
    it (the tenant's account is a foreign key, TEN-1); the import keeps it here, flagged, for the set-up
    check to report and for support to resolve by choosing the one account (audited)."""

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="legacy_links", verbose_name=_("tenant")
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="legacy_tenant_links",
        verbose_name=_("legacy account"),
    )
    source = models.CharField(_("source"), max_length=200, blank=True)
    imported_at = models.DateTimeField(_("imported"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    chosen_account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("chosen account"),
    )

    class Meta:
        verbose_name = _("legacy double link")
        verbose_name_plural = _("legacy double links")
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "account"],
                condition=Q(resolved_at__isnull=True),
                name="one_open_legacy_link",
            )
        ]

    def __str__(self) -> str:
        return f"{self.tenant.number} ↔ {self.account.identifier}"

    def audit_scope(self) -> tuple[int, int]:
        return self.account_id, self.tenant_id


class SupportAccount(Account):
    """The account as the support desk sees it: a proxy registered with the access authority for the rights
    support adds (``lookup`` for vendor staff, ``file_ticket`` for members, managing partners and technical
    caretakers) — support.access. Same rows as Account."""

    class Meta:
        proxy = True
        verbose_name = _("support account")
        verbose_name_plural = _("support accounts")
        default_permissions = ()
