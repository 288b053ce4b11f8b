"""The periodic delegation jobs: expiry, lapse, reminders. Implements DEL-4, DEL-6, DEL-7.

All three are set-based and safe to run twice or concurrently:

* each batch is one ``SELECT … FOR UPDATE SKIP LOCKED`` of due rows, one ``UPDATE`` of exactly those rows,
  one ``INSERT … SELECT`` of the audit events, and one task enqueued after commit for the notices;
* a second sweep skips the rows the first holds and, once the first commits, no longer finds them due;
* reminders are claimed with ``UPDATE … WHERE reminder_…_sent_at IS NULL`` on the locked rows, so each goes
  out once; delivery is deduplicated per (user, grant, expiry) as well.

The authority reads rights from the grant rows and treats an active grant past its expiry as inactive at read
time (delegations.access), so a late sweep never lets a caretaker in; the sweep makes the rows say so.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal import access, ratelimit
from portal.models import AuditEvent

from ..models import CaretakerGrant, GrantStatus, ManagedAccount, ManagedAccountStatus
from .common import after_commit_grants

LAPSE_AFTER = timedelta(days=30)
REMINDERS = (("1d", timedelta(days=1)), ("7d", timedelta(days=7)))
BATCH_SIZE = 1000


def _audit_rows(ids: list[int], action: str, now: datetime) -> None:
    """One audit event per grant (DEL-7: the system is the actor, the grant is named), written by one
    ``INSERT … SELECT`` from the grant rows — no per-row work in Python, so the sweep stays set-based.

    Raw SQL because the ORM has no INSERT … SELECT; the columns are those record_event() fills.
    """
    if not ids:
        return
    audit, grants = AuditEvent._meta.db_table, CaretakerGrant._meta.db_table
    json_object = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    content_type = ContentType.objects.get_for_model(CaretakerGrant)
    placeholders = ", ".join(["%s"] * len(ids))
    sql = f"""
        INSERT INTO {audit} (created_at, action, target_id, target_repr, changes, account_id, acting_account_id,
                             actor_id, grant_id, target_type_id, tenant_id)
        SELECT %s, %s, CAST(g.id AS VARCHAR(64)),
               SUBSTR(g.caretaker_email || %s || g.tenant_number || ' (' || g.scope || ', ' || g.status || ')', 1, 255),
               {json_object}('tenant_number', g.tenant_number, 'scope', g.scope, 'caretaker', g.caretaker_email),
               g.customer_account_id, NULL, NULL, g.id, %s, g.tenant_id
        FROM {grants} g
        WHERE g.id IN ({placeholders})
        ORDER BY g.id
    """  # noqa: S608 - table names come from the models, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [connection.ops.adapt_datetimefield_value(now), action, " → ", content_type.pk, *ids]
        )


ROW_FIELDS = ("pk", "tenant_id")


def _sweep(due: Q, *, to_status: str, action: str, event: str, now: datetime, batch_size: int) -> int:
    total = 0
    while True:
        with transaction.atomic():
            rows = list(
                CaretakerGrant.objects.select_for_update(skip_locked=True)
                .filter(due)
                .order_by()
                .values_list(*ROW_FIELDS)[:batch_size]
            )
            if not rows:
                return total
            ids = [row[0] for row in rows]
            CaretakerGrant.objects.filter(pk__in=ids).update(status=to_status, ended_at=now)
            _audit_rows(ids, action, now)
            after_commit_grants(event, ids)
        total += len(ids)
        if len(ids) < batch_size:
            return total


def expire_due_grants(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """active → expired for every grant whose expiry has come; returns how many (DEL-4). Run every minute."""
    now = now or timezone.now()
    due = Q(status=GrantStatus.ACTIVE, expires_at__isnull=False, expires_at__lte=now)
    return _sweep(
        due,
        to_status=GrantStatus.EXPIRED,
        action="delegation.expired",
        event="grant_expired",
        now=now,
        batch_size=batch_size,
    )


def lapse_stale_requests(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """pending → lapsed for requests and invitations unanswered for 30 days (DEL-4). Pending grants hold no
    rights, so nothing is recomputed. Also drops rate-limit counters older than a day."""
    now = now or timezone.now()
    due = Q(status=GrantStatus.PENDING, created_at__lte=now - LAPSE_AFTER)
    lapsed = _sweep(
        due,
        to_status=GrantStatus.LAPSED,
        action="delegation.lapsed",
        event="grant_lapsed",
        now=now,
        batch_size=batch_size,
    )
    lapse_stale_management_requests(now=now, batch_size=batch_size)
    ratelimit.purge(now - timedelta(days=1))
    return lapsed


def lapse_stale_management_requests(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """pending → lapsed for management requests unanswered for 30 days (ACC-4), the same for a real and an
    unknown customer number (no enumeration). Set-based: SKIP LOCKED batches, one UPDATE, one audit event per
    relation written by record_event (few rows: one per partner request)."""
    from portal.audit import record_event

    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                ManagedAccount.objects.select_for_update(skip_locked=True)
                .filter(status=ManagedAccountStatus.PENDING, created_at__lte=now - LAPSE_AFTER)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return total
            ManagedAccount.objects.filter(pk__in=ids).update(status=ManagedAccountStatus.LAPSED, ended_at=now)
            for relation in ManagedAccount.objects.filter(pk__in=ids).select_related(
                "customer_account", "partner_account"
            ):
                record_event(
                    actor=access.SYSTEM,
                    action="management.lapsed",
                    target=relation,
                    account=relation.customer_account,
                    data={"customer": relation.customer_label, "scope": relation.scope},
                )
            total += len(ids)


def send_expiry_reminders(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Claim and send the 1-day and 7-day reminders to both sides (DEL-4); each exactly once per expiry date.

    The 1-day reminder is claimed first and also marks the 7-day one, so a grant that is already within a day
    of its expiry does not get a stale "in a week" notice afterwards.
    """
    now = now or timezone.now()
    counts = {}
    for label, ahead in REMINDERS:
        column = f"reminder_{label}_sent_at"
        due = Q(
            status=GrantStatus.ACTIVE,
            expires_at__gt=now,
            expires_at__lte=now + ahead,
            **{f"{column}__isnull": True},
        )
        total = 0
        while True:
            with transaction.atomic():
                rows = list(
                    CaretakerGrant.objects.select_for_update(skip_locked=True)
                    .filter(due)
                    .order_by()
                    .values_list("pk", "expires_at")[:batch_size]
                )
                if not rows:
                    break
                ids = [pk for pk, _expires in rows]
                changes = {column: now}
                if label == "1d":
                    changes["reminder_7d_sent_at"] = Coalesce(F("reminder_7d_sent_at"), Value(now))
                # The claim: the rows are locked by this transaction and still unclaimed, so it is the only writer.
                claimed = ids
                CaretakerGrant.objects.filter(pk__in=claimed).update(**changes)
                # One reminder per grant and expiry date: an extension re-arms it for the new date.
                after_commit_grants(
                    f"grant_reminder_{label}", claimed, keys={pk: expires.isoformat() for pk, expires in rows}
                )
            total += len(claimed)
            if len(ids) < batch_size:
                break
        counts[label] = total
    return counts
