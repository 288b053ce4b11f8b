"""Helpers shared by the tenant services (not part of the public service API)."""

from __future__ import annotations

from django.db import models

from accounts.models import User
from portal import access


def require(actor: User | None, action: str, obj: models.Model) -> None:
    """``access.require`` for people; ``actor=None`` is the system itself (demo data, scheduled jobs)."""
    if actor is None:
        return
    access.require(actor, action, obj)


def can(actor: User | None, action: str, obj: models.Model) -> bool:
    return True if actor is None else access.can(actor, action, obj)


def names(items) -> str:
    """``"Mail archive, Encryption"`` for service types or booked services, for messages."""
    parts = []
    for item in items:
        service_type = getattr(item, "service_type", item)
        number = getattr(item, "number", None)
        parts.append(f"{service_type.name} ({number})" if number else service_type.name)
    return ", ".join(parts)
