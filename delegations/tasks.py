"""Delegation background jobs. Implements DEL-1, DEL-2, DEL-4 (expiry, lapse, reminders), ACC-4 notices.

Each task has its service's name, takes ids, imports the service inside and can run twice safely: the sweeps
find nothing left to do, notices are deduplicated per (user, dedupe key) and every mail is sent once per
event (``portal.outbox.send_mail_once``). Notices and links are outbox tasks (portal.outbox): services record
them in their transaction, and a job lost by the broker is handed over again by the outbox sweep.
Beat schedule: portal/settings CELERY_BEAT_SCHEDULE, section "delegations".
"""

from __future__ import annotations

from celery import shared_task

from portal.outbox import outbox_task


@shared_task(name="delegations.tasks.expire_grants")
def expire_grants() -> int:
    """Every minute: active grants past their expiry become expired, their rights go (DEL-4, DEL-6)."""
    from delegations.services import expire_due_grants

    return expire_due_grants()


@shared_task(name="delegations.tasks.lapse_requests")
def lapse_requests() -> int:
    """Hourly: pending requests and invitations unanswered for 30 days lapse (DEL-4)."""
    from delegations.services import lapse_stale_requests

    return lapse_stale_requests()


@shared_task(name="delegations.tasks.send_reminders")
def send_reminders() -> dict:
    """Every few minutes: reminders 7 days and 1 day before expiry, to both sides, once each (DEL-4)."""
    from delegations.services import send_expiry_reminders

    return send_expiry_reminders()


@outbox_task(name="delegations.tasks.deliver_notifications")
def deliver_notifications(
    event: str,
    grant_ids: list[int] | None = None,
    relation_ids: list[int] | None = None,
    exclude_user_id: int | None = None,
    keys: dict[str, str] | None = None,
) -> int:
    """In-app notices and e-mails for one event on some grants or managed-account relations."""
    from delegations.notifications import deliver_grant_event, deliver_relation_event

    sent = 0
    if grant_ids:
        sent += deliver_grant_event(event, grant_ids, exclude_user_id=exclude_user_id, keys=keys)
    if relation_ids:
        sent += deliver_relation_event(event, relation_ids, exclude_user_id=exclude_user_id)
    return sent


@outbox_task(name="delegations.tasks.send_grant_link")
def send_grant_link(invitation_id: int) -> bool:
    """E-mail the single-use link of a customer's grant (DEL-2); nothing if it was used or replaced meanwhile."""
    from delegations.notifications import send_grant_link_mail

    return send_grant_link_mail(invitation_id)
