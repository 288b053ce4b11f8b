"""Reading in-app notifications (DEL-1, DEL-4)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from portal import access

from ..models import Notification


@transaction.atomic
def mark_notification_read(*, actor: User, notification: Notification) -> Notification:
    access.require(actor, "view", notification)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def mark_all_notifications_read(*, actor: User) -> int:
    return access.visible(actor, Notification).filter(read_at__isnull=True).update(read_at=timezone.now())
