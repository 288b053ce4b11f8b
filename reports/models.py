"""Delivery destinations, deliveries and their attempts. Implements REP-4 (the reports themselves, REP-1..3, are
queries over the licences app's models: reports.selectors)."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.fields import actor_field


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class DestinationKind(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    EMAIL = "email", _("E-mail")


class Content(models.TextChoices):
    LICENSES = "licenses", _("New licences (daily)")
    STATEMENT = "statement", _("Monthly statement")


class Destination(models.Model):
    """Where a reseller (or the vendor) wants its reports: a webhook URL or an e-mail address (REP-4)."""

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="report_destinations",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=DestinationKind.choices)
    url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    secret = models.CharField(_("signing secret"), max_length=80, default=new_webhook_secret, editable=False)
    email = models.EmailField(_("e-mail"), blank=True)
    send_licenses = models.BooleanField(_("new licences daily"), default=True)
    send_statement = models.BooleanField(_("statement on the 1st"), default=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = actor_field(_("created by"))

    class Meta:
        verbose_name = _("delivery destination")
        verbose_name_plural = _("delivery destinations")
        ordering = ["account", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="webhook") & ~Q(url="")) | (Q(kind="email") & ~Q(email="")),
                name="destination_has_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.target})"

    @property
    def target(self) -> str:
        return self.url if self.kind == DestinationKind.WEBHOOK else self.email

    def audit_scope(self) -> tuple[int, None]:
        return self.account_id, None


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One report for one destination and period; sent by the outbox job ``reports.tasks.deliver`` (retries
    with back-off are the outbox's), re-sent on request (``resends`` counts them, each is a new job)."""

    destination = models.ForeignKey(
        Destination, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("destination")
    )
    content = models.CharField(_("content"), max_length=10, choices=Content.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))  # inclusive
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    resends = models.PositiveIntegerField(_("re-sends"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The beat job may run twice: one delivery per destination, content and period.
            models.UniqueConstraint(
                fields=["destination", "content", "period_start"], name="one_delivery_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.destination.name}: {self.get_content_display()} {self.period_start}–{self.period_end}"

    def audit_scope(self) -> tuple[int, None]:
        return self.destination.account_id, None


class DeliveryAttempt(models.Model):
    """One try of a delivery: when, the answer's status code (webhooks), or the error."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("delivery")
    )
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    ok = models.BooleanField(_("succeeded"), default=False)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error[:40]}"
