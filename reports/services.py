"""Writes of the reports app: destinations, deliveries, re-sends, the delivery job's body. Implements REP-4
(and the reports app's part of LIC-12).

Every write runs in a transaction, checks the caller's right through the authority (``reports.access``) and is
audited. Sending goes through the transactional outbox: ``schedule_deliveries`` and ``resend_delivery`` record
the job ``reports.tasks.deliver`` in their transaction; the outbox retries it with the task's back-off (about
a day for webhooks) and a once-key per (delivery, re-send) keeps a second run from sending twice.
"""

from __future__ import annotations

import json
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import access
from portal.audit import record_event
from portal.errors import RuleViolation
from portal.outbox import enqueue, once, send_mail_once

from . import webhooks
from .models import Content, Delivery, DeliveryAttempt, DeliveryStatus, Destination, DestinationKind

DELIVER_TASK = "reports.tasks.deliver"
FIELDS = ("name", "kind", "url", "email", "send_licenses", "send_statement", "active")


def _validate(values: dict) -> dict:
    kind = values.get("kind")
    if kind not in DestinationKind.values:
        raise RuleViolation(
            _("Choose webhook or e-mail."), code="invalid_kind", fields={"kind": [_("Webhook or e-mail.")]}
        )
    if not (values.get("name") or "").strip():
        raise RuleViolation(
            _("The destination needs a name."), code="name_required", fields={"name": [_("Required.")]}
        )
    if kind == DestinationKind.WEBHOOK:
        values["email"] = ""
        try:
            webhooks.check_url(values.get("url") or "", when_saving=True)
        except webhooks.UnsafeURL as exc:
            raise RuleViolation(str(exc), code="unsafe_url", fields={"url": [str(exc)]}) from exc
    else:
        values["url"] = ""
        if not values.get("email"):
            raise RuleViolation(
                _("An e-mail destination needs an address."),
                code="email_required",
                fields={"email": [_("Required.")]},
            )
    return values


@transaction.atomic
def create_destination(*, actor, account, **values) -> Destination:
    """A webhook or e-mail destination of ``account`` (its admins, vendor admins)."""
    values = _validate({key: values[key] for key in FIELDS if key in values})
    destination = Destination.objects.create(
        account=account, created_by=actor if access.is_person(actor) else None, **values
    )
    access.require(actor, "change", destination)  # refused: the row goes with the transaction
    record_event(
        actor=actor,
        action="reports.destination.created",
        target=destination,
        data={"kind": destination.kind, "target": destination.target},
    )
    return destination


@transaction.atomic
def update_destination(*, actor, destination: Destination, **changes) -> Destination:
    destination = Destination.objects.select_for_update().get(pk=destination.pk)
    access.require(actor, "change", destination)
    values = {key: getattr(destination, key) for key in FIELDS}
    values.update({key: changes[key] for key in FIELDS if key in changes})
    values = _validate(values)
    before = {key: getattr(destination, key) for key in FIELDS}
    for key, value in values.items():
        setattr(destination, key, value)
    destination.save(update_fields=list(FIELDS))
    record_event(
        actor=actor,
        action="reports.destination.changed",
        target=destination,
        data={k: {"from": before[k], "to": v} for k, v in values.items() if before[k] != v},
    )
    return destination


@transaction.atomic
def delete_destination(*, actor, destination: Destination) -> None:
    """Remove a destination with its delivery log."""
    destination = Destination.objects.select_for_update().get(pk=destination.pk)
    access.require(actor, "change", destination)
    record_event(
        actor=actor,
        action="reports.destination.deleted",
        target=destination,
        data={"kind": destination.kind, "name": destination.name},
    )
    destination.delete()


@transaction.atomic
def rotate_secret(*, actor, destination: Destination) -> Destination:
    from .models import new_webhook_secret

    destination = Destination.objects.select_for_update().get(pk=destination.pk)
    access.require(actor, "change", destination)
    destination.secret = new_webhook_secret()
    destination.save(update_fields=["secret"])
    record_event(actor=actor, action="reports.destination.secret_rotated", target=destination)
    return destination


def _job_key(delivery: Delivery) -> str:
    return f"reports.deliver:{delivery.pk}:{delivery.resends}"


@transaction.atomic
def schedule_deliveries(*, content: str, period_start: date, period_end: date) -> int:
    """The beat's work: one delivery per active destination that wants ``content`` for the period, each
    recorded with its outbox job. Running twice creates nothing new (unique per destination and period)."""
    flag = "send_licenses" if content == Content.LICENSES else "send_statement"
    created = 0
    for destination in Destination.objects.filter(active=True, **{flag: True}).order_by("pk"):
        delivery, new = Delivery.objects.get_or_create(
            destination=destination,
            content=content,
            period_start=period_start,
            defaults={"period_end": period_end},
        )
        if new:
            enqueue(DELIVER_TASK, key=_job_key(delivery), delivery_id=delivery.pk)
            created += 1
    return created


@transaction.atomic
def resend_delivery(*, actor, delivery: Delivery) -> Delivery:
    """Send a delivery again (the "re-send" button): a new outbox job with its own once-key."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    access.require(actor, "resend", delivery)
    delivery.resends += 1
    delivery.status = DeliveryStatus.PENDING
    delivery.save(update_fields=["resends", "status"])
    enqueue(DELIVER_TASK, key=_job_key(delivery), delivery_id=delivery.pk)
    record_event(
        actor=actor, action="reports.delivery.resent", target=delivery, data={"resend": delivery.resends}
    )
    return delivery


# --- the job's body ------------------------------------------------------------------------------------------


def _last_attempt(task_max_attempts: int) -> bool:
    from portal.models import OutboxJob
    from portal.outbox import current_job_id

    job_id = current_job_id()
    if job_id is None:
        return True
    attempts = OutboxJob.objects.filter(pk=job_id).values_list("attempts", flat=True).first() or 0
    return attempts >= task_max_attempts


def _record(
    delivery: Delivery, *, started, ok: bool, status_code=None, error: str = "", final=False, rows=None
):
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
        locked.attempts += 1
        DeliveryAttempt.objects.create(
            delivery=locked,
            number=locked.attempts,
            started_at=started,
            duration_ms=int((timezone.now() - started).total_seconds() * 1000),
            status_code=status_code,
            error=error[:2000],
            ok=ok,
        )
        locked.last_status_code = status_code
        locked.last_error = "" if ok else error[:2000]
        if rows is not None:
            locked.rows = rows
        if ok:
            locked.status = DeliveryStatus.DELIVERED
            locked.delivered_at = timezone.now()
        elif final:
            locked.status = DeliveryStatus.FAILED
        locked.save()


def send_delivery(delivery_id: int, *, max_attempts: int = 1) -> str:
    """Send one delivery (the outbox job ``reports.tasks.deliver``): a signed JSON POST or a mail with the
    CSV. A webhook answer other than 2xx, or no answer, raises ``WebhookError`` for the outbox to retry."""
    from . import selectors

    delivery = (
        Delivery.objects.select_related("destination", "destination__account").filter(pk=delivery_id).first()
    )
    if delivery is None or delivery.status == DeliveryStatus.DELIVERED:
        return "nothing to do"
    destination = delivery.destination
    key = _job_key(delivery)
    started = timezone.now()
    if destination.kind == DestinationKind.EMAIL:
        header, rows = selectors.delivery_table(delivery)
        csv_bytes = b"".join(selectors.csv_bytes(header, rows))
        subject, text = selectors.delivery_mail_text(delivery)
        try:
            send_mail_once(
                key,
                subject=subject,
                message=text,
                recipient_list=[destination.email],
                attachments=[(selectors.delivery_filename(delivery), csv_bytes, "text/csv")],
            )
        except Exception as exc:  # logged as an attempt; the outbox decides whether to retry (SMTP 4xx)
            from portal.outbox import is_transient

            final = not is_transient(exc) or _last_attempt(max_attempts)
            _record(delivery, started=started, ok=False, error=f"{type(exc).__name__}: {exc}", final=final)
            raise
        _record(delivery, started=started, ok=True, rows=len(rows))
        return "mailed"
    payload = selectors.delivery_payload(delivery)
    body = json.dumps(payload, ensure_ascii=False, default=str, separators=(",", ":")).encode()
    try:
        with once(key) as first:
            if first:
                answer = webhooks.post(
                    destination.url,
                    body,
                    secret=destination.secret,
                    headers={"Portal-Delivery": f"{delivery.pk}.{delivery.resends}"},
                )
                if not 200 <= answer.status < 300:
                    raise _BadAnswer(answer.status)
    except webhooks.UnsafeURL as exc:
        _record(delivery, started=started, ok=False, error=str(exc), final=True)
        return "refused"
    except _BadAnswer as exc:
        _record(
            delivery,
            started=started,
            ok=False,
            status_code=exc.status,
            error=f"HTTP {exc.status}",
            final=_last_attempt(max_attempts),
        )
        raise webhooks.WebhookError(f"HTTP {exc.status}") from None
    except webhooks.WebhookError as exc:
        _record(delivery, started=started, ok=False, error=str(exc), final=_last_attempt(max_attempts))
        raise
    if not first:
        return "sent before"
    _record(delivery, started=started, ok=True, status_code=answer.status, rows=len(payload.get("data", [])))
    return "sent"


class _BadAnswer(Exception):
    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


# --- LIC-12 ----------------------------------------------------------------------------------------------------


def erase_destinations(*, account, user_ids) -> None:
    """An erased account keeps no e-mail address in its destinations: they are removed."""
    Destination.objects.filter(account=account, kind=DestinationKind.EMAIL).delete()
