"""Cross-cutting records: number sequences, the audit trail (DEL-7), idempotency keys (API-2), background
jobs and their side effects (the transactional outbox, portal.outbox; OPS-1, OPS-2), rate-limit counters
(issue 10 throttles)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Sequence(models.Model):
    """A named counter for human-readable numbers (K-100042, T-000123); incremented under a row lock."""

    name = models.CharField(_("name"), max_length=40, primary_key=True)
    last_value = models.PositiveBigIntegerField(_("last value"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self) -> str:
        return f"{self.name}={self.last_value}"


class AuditEvent(models.Model):
    """Who did what, acting for which account, through which grant (DEL-7)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
        verbose_name=_("actor"),
    )
    acting_account = models.ForeignKey(
        "accounts.Account",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="acted_events",
        verbose_name=_("acting account"),
    )
    # The account whose trail this belongs to, and the tenant it concerns (for the tenant's trail).
    account = models.ForeignKey(
        "accounts.Account",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
        verbose_name=_("account"),
    )
    tenant = models.ForeignKey(
        "tenants.Tenant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
        verbose_name=_("tenant"),
    )
    grant = models.ForeignKey(
        "delegations.CaretakerGrant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
        verbose_name=_("grant"),
    )
    action = models.CharField(_("action"), max_length=80, db_index=True)
    target_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("target type")
    )
    target_id = models.CharField(max_length=64, blank=True, verbose_name=_("target id"))
    target_repr = models.CharField(max_length=255, blank=True, verbose_name=_("object"))
    changes = models.JSONField(default=dict, blank=True, verbose_name=_("changes"))

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-created_at"]),
            models.Index(fields=["tenant", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target_repr}"


class IdempotencyRecord(models.Model):
    """First response to a creating POST with an Idempotency-Key, replayed for repeats (API-2)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    key = models.CharField(_("key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=255)
    request_fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response_body = models.BinaryField(_("response body"), null=True, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_key")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class JobStatus(models.TextChoices):
    PENDING = "pending", _("waiting for hand-over")  # written; not (or no longer) with the broker
    QUEUED = "queued", _("handed to the broker")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


OPEN_JOB_STATUSES = (JobStatus.PENDING, JobStatus.QUEUED, JobStatus.RUNNING)


class OutboxJob(models.Model):
    """One piece of background work, written in the transaction of the change it follows (portal.outbox).

    The row, not the broker message, is the record of the job: the relay hands it to Celery after commit, the
    sweep hands it over again when it was not handed over or not finished in time, and a worker runs it only
    after claiming it (one UPDATE), so a redelivered or repeated message does nothing.
    """

    task_name = models.CharField(_("task"), max_length=200, db_index=True)
    kwargs = models.JSONField(_("arguments"), default=dict, blank=True)
    # One job per event: a second enqueue() with the same key returns the first job.
    dedupe_key = models.CharField(_("dedupe key"), max_length=255, null=True, blank=True, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("due"), default=timezone.now)
    handovers = models.PositiveIntegerField(_("hand-overs"), default=0)
    queued_at = models.DateTimeField(_("handed over"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    # A claim is honoured until then (the task's hard time limit plus a margin); afterwards the sweep
    # takes the job back: the worker that claimed it is gone.
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=200, blank=True)
    task_id = models.CharField(_("message id"), max_length=64, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True, db_index=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep reads only open rows; done rows (most of the table) stay out of this index.
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=models.Q(status__in=["pending", "queued", "running"]),
                name="outbox_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.task_name} ({self.status})"


class SideEffect(models.Model):
    """An external effect (a mail) that happened once for ``key`` (portal.outbox.once): written in the
    transaction around the effect, so a second run of the same job finds it and does not repeat the effect."""

    key = models.CharField(max_length=255, unique=True)
    job_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("side effect")
        verbose_name_plural = _("side effects")

    def __str__(self) -> str:
        return self.key


class RequestCounter(models.Model):
    """Fixed-window counters of the rate limiter (portal.ratelimit): caretaker and management requests,
    invitations, password resets — per requester and per target.

    Kept in the database rather than the cache: the count is written in the request's own transaction (a
    refused or failed request does not count), works with the default SQLite set-up, and cannot leak
    between test databases the way a shared Redis cache would.
    """

    scope = models.CharField(max_length=40)
    identity = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("rate-limit counter")
        verbose_name_plural = _("rate-limit counters")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "identity", "window_start"], name="portal_request_counter_unique"
            ),
        ]
        indexes = [models.Index(fields=["window_start"])]

    def __str__(self) -> str:
        return f"{self.scope}:{self.identity}@{self.window_start:%Y-%m-%d %H:%M} = {self.count}"
